"""SMSC delivery receipts: parsing them from what operators really send, and building them.

A receipt arrives as a deliver_sm with esm_class 0x04. Its short_message follows SMPP 3.4
Appendix B, `id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm
stat:DDDDDDD err:E text:...`, though that appendix calls the format SMSC-specific and the
field shows it: dates with seconds (12 digits), hex or decimal ids and error codes, odd
case, fields missing, extra or reordered. Parsing is lenient: only an id and a state are
required, anything unreadable becomes None, and bad input raises `ReceiptParseError` (a
ValueError) and nothing else. The receipted_message_id, message_state and
network_error_code TLVs (SMPP 3.4 §5.3.2.12, §5.3.2.35, §5.3.2.31) win over the text when
both are present. Dates are naive: the SMSC's local time, as sent.

An id in a receipt need not look like the one submit_sm_resp gave (hex there, decimal here,
or zero-padded): `candidate_ids` lists the forms to look the message up by.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime

from kodeord.smpp.constants import MessageState, Tag

TAG_RECEIPTED_MESSAGE_ID = int(Tag.RECEIPTED_MESSAGE_ID)
TAG_NETWORK_ERROR_CODE = int(Tag.NETWORK_ERROR_CODE)
TAG_MESSAGE_STATE = int(Tag.MESSAGE_STATE)

NETWORK_TYPE_GSM = 3  # network_error_code's first octet (SMPP 3.4 §5.3.2.31)
MAX_MESSAGE_ID = 64  # receipted_message_id is a C-Octet String of at most 65 octets


class ReceiptParseError(ValueError):
    """The input is not a delivery receipt we can read."""


_STAT_WORDS = {state: state.stat for state in MessageState}

# stat words seen in the field, letters only and upper case, beyond the standard ones.
_STAT_VARIANTS = {
    **{word: state for state, word in _STAT_WORDS.items()},
    "DELIVERED": MessageState.DELIVERED,
    "DELIVER": MessageState.DELIVERED,
    "DELIVRED": MessageState.DELIVERED,
    "DELIVR": MessageState.DELIVERED,
    "EXPIRD": MessageState.EXPIRED,
    "DELETD": MessageState.DELETED,
    "UNDELIVERABLE": MessageState.UNDELIVERABLE,
    "UNDELIVERED": MessageState.UNDELIVERABLE,
    "UNDELIVRD": MessageState.UNDELIVERABLE,
    "UNDELIVD": MessageState.UNDELIVERABLE,
    "FAILED": MessageState.UNDELIVERABLE,
    "FAIL": MessageState.UNDELIVERABLE,
    "ACCEPTED": MessageState.ACCEPTED,
    "ACCPTD": MessageState.ACCEPTED,
    "UNKNWN": MessageState.UNKNOWN,
    "REJECTED": MessageState.REJECTED,
    "REJECT": MessageState.REJECTED,
    "REJCTD": MessageState.REJECTED,
    "BUFFRED": MessageState.ENROUTE,
    "BUFFERED": MessageState.ENROUTE,
}


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery receipt. `error` is the err: code or network_error_code's error code."""

    message_id: str
    state: MessageState
    submitted: int | None = None
    delivered: int | None = None
    submit_date: datetime | None = None
    done_date: datetime | None = None
    error: int | None = None
    network_error_type: int | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class _Partial:
    # What one source (text or TLVs) said; None where it said nothing.
    message_id: str | None = None
    state: MessageState | None = None
    submitted: int | None = None
    delivered: int | None = None
    submit_date: datetime | None = None
    done_date: datetime | None = None
    error: int | None = None
    network_error_type: int | None = None
    text: str | None = None


def parse_receipt(short_message: str | bytes, tlvs: Mapping[int, bytes] | None = None) -> Receipt:
    """The receipt in a deliver_sm: its text, overridden field by field by its TLVs."""
    partial = _from_text(_as_text(short_message))
    if tlvs:
        partial = _overlay(partial, _from_tlvs(tlvs))
    return _complete(partial)


def parse_receipt_text(text: str | bytes) -> Receipt:
    """The receipt in an Appendix B style text (see the module rules)."""
    return _complete(_from_text(_as_text(text)))


def receipt_from_tlvs(tlvs: Mapping[int, bytes]) -> Receipt:
    """The receipt told by receipted_message_id, message_state and network_error_code."""
    return _complete(_from_tlvs(tlvs))


def _complete(partial: _Partial) -> Receipt:
    if not partial.message_id:
        raise ReceiptParseError("no message id in the receipt")
    if partial.state is None:
        raise ReceiptParseError(f"no message state in the receipt for {partial.message_id!r}")
    return Receipt(
        message_id=partial.message_id,
        state=partial.state,
        submitted=partial.submitted,
        delivered=partial.delivered,
        submit_date=partial.submit_date,
        done_date=partial.done_date,
        error=partial.error,
        network_error_type=partial.network_error_type,
        text=partial.text or "",
    )


def _overlay(base: _Partial, top: _Partial) -> _Partial:
    changes = {f.name: getattr(top, f.name) for f in fields(top)}
    return replace(base, **{k: v for k, v in changes.items() if v is not None})


def _as_text(data: str | bytes) -> str:
    if isinstance(data, str):
        return data
    data = data.rstrip(b"\x00")
    if len(data) >= 2 and len(data) % 2 == 0 and data[0] == 0 and data[1] != 0:
        return data.decode("utf-16-be", "replace")  # a receipt sent as UCS-2
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# --- the text form ---------------------------------------------------------------------

_KEY = re.compile(
    r"(?<![0-9A-Za-z_])"
    r"(message[ _-]?id|msg[ _-]?id|id|sub|dlvrd|dlvr|submit[ _-]?date|done[ _-]?date"
    r"|stat|err(?:or)?|text)\s*:",
    re.IGNORECASE,
)

_CANONICAL_KEYS = {
    "messageid": "id",
    "msgid": "id",
    "dlvr": "dlvrd",
    "error": "err",
}

_REQUIRED = frozenset(("id", "stat"))


def _canonical_key(raw: str) -> str:
    key = raw.lower().replace(" ", "").replace("_", "").replace("-", "")
    return _CANONICAL_KEYS.get(key, key)


def _fields(text: str) -> dict[str, str]:
    """Field values by canonical key; the first instance of a key wins.

    Once text: has begun, a key only ends it if a required field is still missing, so the
    message text may say "id:" or "err:" freely.
    """
    bounds: list[tuple[str, int, int]] = []
    seen: set[str] = set()
    for match in _KEY.finditer(text):
        key = _canonical_key(match.group(1))
        if key in seen or ("text" in seen and seen.issuperset(_REQUIRED)):
            continue
        seen.add(key)
        bounds.append((key, match.start(), match.end()))
    ends = [start for _, start, _ in bounds[1:]] + [len(text)] if bounds else []
    return {key: text[value:end] for (key, _, value), end in zip(bounds, ends, strict=True)}


def _from_text(text: str) -> _Partial:
    fields = _fields(text)

    def token(key: str) -> str:
        words = fields.get(key, "").split()
        return words[0] if words else ""

    return _Partial(
        message_id=token("id").strip("\x00") or None,
        state=_parse_stat(token("stat")) or _bare_stat(fields),
        submitted=_parse_count(token("sub")),
        delivered=_parse_count(token("dlvrd")),
        submit_date=_parse_date(token("submitdate")),
        done_date=_parse_date(token("donedate")),
        error=_parse_error(token("err")),
        text=fields["text"].strip() if "text" in fields else None,
    )


def _parse_stat(word: str) -> MessageState | None:
    if not word:
        return None
    if word.isdecimal() and len(word) <= 2:
        number = int(word)
        return MessageState(number) if 1 <= number <= 8 else MessageState.UNKNOWN
    letters = re.sub(r"[^A-Z]", "", word.upper())
    return _STAT_VARIANTS.get(letters, MessageState.UNKNOWN)


def _bare_stat(fields: dict[str, str]) -> MessageState | None:
    """A known stat word standing without its key, as in "done date:1809031208 DELIVRD"."""
    for key, value in fields.items():
        if key != "text":
            for word in value.split()[1:]:
                if state := _STAT_VARIANTS.get(word.upper()):
                    return state
    return None


def _parse_count(word: str) -> int | None:
    return int(word) if word.isdecimal() and word.isascii() else None


def _parse_date(word: str) -> datetime | None:
    """YYMMDDhhmm, YYMMDDhhmmss or YYYYMMDDhhmmss, separators ignored; years 2000 on."""
    digits = re.sub(r"[^0-9]", "", word)
    century = 2000
    if len(digits) == 14:
        century, digits = int(digits[:2]) * 100, digits[2:]
    if len(digits) not in (10, 12):
        return None
    # Fixed-width slices: strptime would read "2413..." as month 1, day 30.
    year, month, day, hour, minute, second = (int(digits[i : i + 2] or 0) for i in range(0, 12, 2))
    try:
        return datetime(century + year, month, day, hour, minute, second)
    except ValueError:
        return None


_HEX = frozenset("0123456789abcdefABCDEF")


def _parse_error(word: str) -> int | None:
    """err: as decimal (the usual "000"), 0x-prefixed hex, or bare hex with a letter."""
    if word[:2].lower() == "0x" and len(word) > 2 and _HEX.issuperset(word[2:]):
        return int(word[2:], 16)
    if word.isascii() and word.isdecimal():
        return int(word)
    if word and _HEX.issuperset(word):
        return int(word, 16)
    return None


# --- the TLVs ---------------------------------------------------------------------------


def _from_tlvs(tlvs: Mapping[int, bytes]) -> _Partial:
    network = _network_error(tlvs.get(TAG_NETWORK_ERROR_CODE, b""))
    return _Partial(
        message_id=_c_string(tlvs.get(TAG_RECEIPTED_MESSAGE_ID, b"")) or None,
        state=_message_state(tlvs.get(TAG_MESSAGE_STATE, b"")),
        error=network[1] if network else None,
        network_error_type=network[0] if network else None,
    )


def _c_string(value: bytes) -> str:
    return value.split(b"\x00", 1)[0].decode("latin-1").strip()


def _message_state(value: bytes) -> MessageState | None:
    if len(value) != 1:
        return None
    return MessageState(value[0]) if 1 <= value[0] <= 8 else MessageState.UNKNOWN


def _network_error(value: bytes) -> tuple[int, int] | None:
    if len(value) != 3:
        return None
    return value[0], int.from_bytes(value[1:], "big")


# --- building ---------------------------------------------------------------------------


def build_receipt_text(receipt: Receipt, *, seconds: bool = False) -> str:
    """The Appendix B text for `receipt`, with 12-digit dates when `seconds`.

    Missing counts read as one submitted and one delivered if DELIVERED; a missing error
    as 0; a missing date as zeros; text is cut to its first 20 characters.
    """
    submitted = 1 if receipt.submitted is None else receipt.submitted
    delivered = receipt.delivered
    if delivered is None:
        delivered = 1 if receipt.state is MessageState.DELIVERED else 0
    return (
        f"id:{receipt.message_id} sub:{submitted:03d} dlvrd:{delivered:03d}"
        f" submit date:{_format_date(receipt.submit_date, seconds)}"
        f" done date:{_format_date(receipt.done_date, seconds)}"
        f" stat:{receipt.state.stat} err:{receipt.error or 0:03d} text:{receipt.text[:20]}"
    )


def _format_date(value: datetime | None, seconds: bool) -> str:
    if value is None:
        return "0" * (12 if seconds else 10)
    return value.strftime("%y%m%d%H%M%S" if seconds else "%y%m%d%H%M")


def build_receipt_tlvs(receipt: Receipt) -> dict[int, bytes]:
    """receipted_message_id, message_state and, with an error, network_error_code."""
    message_id = receipt.message_id.encode("ascii")
    if len(message_id) > MAX_MESSAGE_ID:
        raise ValueError(f"a receipted_message_id holds at most {MAX_MESSAGE_ID} characters")
    tlvs = {
        TAG_RECEIPTED_MESSAGE_ID: message_id + b"\x00",
        TAG_MESSAGE_STATE: bytes((receipt.state.value,)),
    }
    if receipt.error is not None:
        if not 0 <= receipt.error <= 0xFFFF:
            raise ValueError(f"error {receipt.error} does not fit network_error_code's 2 octets")
        network_type = receipt.network_error_type or NETWORK_TYPE_GSM
        tlvs[TAG_NETWORK_ERROR_CODE] = bytes((network_type,)) + receipt.error.to_bytes(2, "big")
    return tlvs


# --- matching ids -----------------------------------------------------------------------


def candidate_ids(message_id: str) -> tuple[str, ...]:
    """Forms to look `message_id` up by, most likely first.

    As given; without leading zeros; read as hex and written in decimal; read as decimal
    and written in hex (lower and upper case). Try them in order against the ids that
    submit_sm_resp returned.
    """
    found = [message_id]
    if message_id and _HEX.issuperset(message_id) and message_id.isascii():
        found.append(message_id.lstrip("0") or "0")
        found.append(str(int(message_id, 16)))
        if message_id.isdecimal():
            number = int(message_id)
            found += [f"{number:x}", f"{number:X}"]
    return tuple(dict.fromkeys(found))


def ids_match(submitted_id: str, receipted_id: str) -> bool:
    """Whether a receipt's id can name the message submit_sm_resp called `submitted_id`."""
    wanted = _id_key(submitted_id)
    return any(_id_key(candidate) == wanted for candidate in candidate_ids(receipted_id))


def _id_key(message_id: str) -> str:
    return message_id.upper().lstrip("0") or "0"
