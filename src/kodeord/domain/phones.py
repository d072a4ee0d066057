"""Phone numbers of recipients and senders: parsed with `phonenumbers`, stored as E.164.

Norwegian national forms (`41234567`, `004741234567`) are read with region NO. Short
numbers (2077) are not phone numbers here: `phonenumbers` does not know commercial short
numbers, so they live in our own table (see `numbers.py`).
"""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "NO"


def to_e164(text: str, region: str = DEFAULT_REGION) -> str | None:
    """The E.164 form (`+4741234567`) of a valid phone number, or None."""
    if not text or len(text) > 32:
        return None
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
