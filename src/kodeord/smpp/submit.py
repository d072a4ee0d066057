"""How a message becomes submit_sm / deliver_sm PDUs, and SMPP times (SMPP 3.4 7.1.1).

Rules:
- Addresses (5.2.5, 5.2.6): a phone number in +E.164 goes out as TON international /
  NPI ISDN without its "+"; a short number (or anything without "+") goes out as TON
  unknown / NPI unknown, as it came.
- A long text is split by `smpp.message.compose` into parts with an 8-bit UDH whose
  reference is the caller's (an MT uses its id modulo 256): the same message always
  gives the same parts, so a part sent again after a crash is the same part.
- submit_sm asks for a delivery receipt (registered_delivery 1, 5.2.17) and carries the
  message's validity as an absolute UTC time (7.1.1), or none.
- Times: `absolute_time` writes `YYMMDDhhmmss000+` in UTC; `parse_time` reads an
  absolute or relative (`…R`) time. Pure: the current moment is an argument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kodeord.smpp.constants import Npi, Ton
from kodeord.smpp.message import OutgoingPart, compose
from kodeord.smpp.pdu import DeliverSm, SubmitSm

REGISTERED_DELIVERY = 0x01  # a final receipt, success or failure (5.2.17)


@dataclass(frozen=True, slots=True)
class Address:
    ton: int
    npi: int
    digits: str


def address(text: str) -> Address:
    """A +E.164 phone as international/ISDN without "+"; anything else as it is."""
    if text.startswith("+"):
        return Address(Ton.INTERNATIONAL, Npi.ISDN, text.lstrip("+"))
    return Address(Ton.UNKNOWN, Npi.UNKNOWN, text)


def phone_address(text: str) -> Address:
    """A phone number we know is one (+E.164 or its digits): international/ISDN."""
    return Address(Ton.INTERNATIONAL, Npi.ISDN, text.lstrip("+"))


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A text from a short number to a phone: what `mt_submits` turns into PDUs."""

    ref: int  # the UDH reference: 0 … 255
    short_number: str
    phone: str  # +E.164
    text: str
    expires_at: datetime | None = None


def mt_submits(message: Outgoing) -> list[tuple[int, SubmitSm]]:
    """The submit_sm of each part of an MT, numbered from 1."""
    source = Address(Ton.UNKNOWN, Npi.UNKNOWN, message.short_number)
    dest = phone_address(message.phone)
    validity = absolute_time(message.expires_at) if message.expires_at else ""
    parts = compose(message.text, ref=message.ref).parts
    return [(seq, _submit(source, dest, part, validity)) for seq, part in enumerate(parts, start=1)]


def _submit(source: Address, dest: Address, part: OutgoingPart, validity: str) -> SubmitSm:
    return SubmitSm(
        source_addr_ton=source.ton,
        source_addr_npi=source.npi,
        source_addr=source.digits,
        dest_addr_ton=dest.ton,
        dest_addr_npi=dest.npi,
        destination_addr=dest.digits,
        esm_class=part.esm_class_bits,
        data_coding=part.data_coding,
        short_message=part.short_message,
        tlvs=part.tlvs,
        registered_delivery=REGISTERED_DELIVERY,
        validity_period=validity,
    )


def mo_delivers(sender: str, short_number: str, text: str, ref: int) -> list[DeliverSm]:
    """The deliver_sm of each part of an MO to a customer's bind (from the phone, or
    whatever sender the MO had, to the short number)."""
    source = address(sender)
    return [
        DeliverSm(
            source_addr_ton=source.ton,
            source_addr_npi=source.npi,
            source_addr=source.digits,
            destination_addr=short_number,
            esm_class=part.esm_class_bits,
            data_coding=part.data_coding,
            short_message=part.short_message,
            tlvs=part.tlvs,
        )
        for part in compose(text, ref=ref).parts
    ]


# --- times (7.1.1) -------------------------------------------------------------------

_TIME = re.compile(r"(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d)(\d{2})([-+R])")


def absolute_time(moment: datetime) -> str:
    """SMPP 3.4 absolute time (7.1.1) in UTC: YYMMDDhhmmsstnnp, tenths 0, offset 00+."""
    if moment.utcoffset() is None:
        raise ValueError("moment must be timezone-aware")
    utc = moment - (moment.utcoffset() or timedelta(0))
    return utc.strftime("%y%m%d%H%M%S") + "000+"


def parse_time(text: str, now: datetime) -> datetime | None:
    """The moment an absolute (`YYMMDDhhmmsstnn±`) or relative (`…R`) time names;
    None when empty. Raises ValueError when unreadable. Relative months count 30 days
    and years 365."""
    if not text:
        return None
    match = _TIME.fullmatch(text)
    if match is None:
        raise ValueError(f"not an SMPP time: {text!r}")
    yy, mo, dd, hh, mi, ss, tenths, nn = (int(g) for g in match.groups()[:8])
    sign = match[9]
    if sign == "R":
        days = yy * 365 + mo * 30 + dd
        return now + timedelta(days=days, hours=hh, minutes=mi, seconds=ss)
    offset = timedelta(minutes=15 * nn) * (1 if sign == "+" else -1)
    local = datetime(2000 + yy, mo, dd, hh, mi, ss, tenths * 100_000)
    return (local - offset).replace(tzinfo=UTC)
