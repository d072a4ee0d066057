"""Concatenated short messages: the user data header and SMPP's alternatives to it.

Three ways carry a long message over SMPP 3.4, and this module says what goes into each
part for every one of them (it encodes nothing itself: chunks come from `text.split`):

* a user data header in short_message with esm_class bit 0x40 (UDHI) set, holding the
  concatenation information element, IEI 0x00 with an 8-bit reference or IEI 0x08 with a
  16-bit one (3GPP TS 23.040 §9.2.3.24.1, §9.2.3.24.8);
* the sar_msg_ref_num / sar_total_segments / sar_segment_seqnum TLVs (SMPP 3.4 §5.3.2.22–24),
  where the SMSC builds the header, so parts keep the same size as with a UDH;
* one message_payload TLV (SMPP 3.4 §5.3.2.32) and the SMSC segments it.

Parsing keeps every other information element (e.g. application port addressing, IEI 0x05).
A concatenation element with a total of 0, or a sequence number of 0 or above the total,
is ignored as TS 23.040 §9.2.3.24.1 requires, and the part stands on its own. TLVs are plain
`int` tag → `bytes` value mappings.

`Reassembler` puts received parts back together. It is pure: time is an argument (a
monotonic clock reading), parts may come in any order, repeats of a part are ignored, and
a group waiting longer than its timeout, or pushed out when `max_groups` are open, is
handed back by `expire` so the caller can deliver what came or drop it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from kodeord.smpp.constants import CommandStatus, Tag

IEI_CONCAT8 = 0x00
IEI_PORT8 = 0x04
IEI_PORT16 = 0x05
IEI_CONCAT16 = 0x08

TAG_SAR_MSG_REF_NUM = int(Tag.SAR_MSG_REF_NUM)
TAG_SAR_TOTAL_SEGMENTS = int(Tag.SAR_TOTAL_SEGMENTS)
TAG_SAR_SEGMENT_SEQNUM = int(Tag.SAR_SEGMENT_SEQNUM)
TAG_MESSAGE_PAYLOAD = int(Tag.MESSAGE_PAYLOAD)

ESM_CLASS_UDHI = 0x40

CONCAT8_UDH_LENGTH = 6  # UDHL, IEI, IEDL, ref, total, seq
CONCAT16_UDH_LENGTH = 7  # UDHL, IEI, IEDL, ref (2), total, seq
MAX_PARTS = 255
MAX_PAYLOAD = 0xFFFF  # a TLV length is two octets


class UdhError(ValueError):
    """A user data header whose lengths do not fit the data it came in."""


class ConcatMethod(Enum):
    """How the parts of a long message are tied together."""

    UDH8 = "udh8"
    UDH16 = "udh16"
    SAR = "sar"
    PAYLOAD = "payload"


@dataclass(frozen=True, slots=True)
class InformationElement:
    """One IE of a user data header: identifier and data (TS 23.040 §9.2.3.24)."""

    iei: int
    data: bytes

    def __post_init__(self) -> None:
        if not 0 <= self.iei <= 0xFF or len(self.data) > 0xFF:
            raise ValueError(f"IEI {self.iei} with {len(self.data)} octets does not fit a UDH")

    def to_bytes(self) -> bytes:
        return bytes((self.iei, len(self.data))) + self.data


@dataclass(frozen=True, slots=True)
class Concat:
    """The concatenation IE's values: reference, total parts, this part's 1-based number."""

    ref: int
    total: int
    seq: int
    ref16: bool = False

    def to_element(self) -> InformationElement:
        if not (1 <= self.seq <= self.total <= MAX_PARTS):
            raise ValueError(f"part {self.seq} of {self.total} is not a valid concatenation")
        if self.ref16:
            ref = (self.ref & 0xFFFF).to_bytes(2, "big")
            return InformationElement(IEI_CONCAT16, ref + bytes((self.total, self.seq)))
        return InformationElement(IEI_CONCAT8, bytes((self.ref & 0xFF, self.total, self.seq)))

    @classmethod
    def from_element(cls, element: InformationElement) -> Concat | None:
        """The values of a concatenation IE, or None when it is not one or is to be ignored."""
        data = element.data
        if element.iei == IEI_CONCAT8 and len(data) == 3:
            concat = cls(data[0], data[1], data[2])
        elif element.iei == IEI_CONCAT16 and len(data) == 4:
            concat = cls(int.from_bytes(data[:2], "big"), data[2], data[3], ref16=True)
        else:
            return None
        return concat if 1 <= concat.seq <= concat.total else None


@dataclass(frozen=True, slots=True)
class UserDataHeader:
    """A parsed UDH: its information elements in order."""

    elements: tuple[InformationElement, ...] = ()

    @property
    def concat(self) -> Concat | None:
        """The last valid concatenation IE (TS 23.040: a repeated IE's last instance wins)."""
        found = None
        for element in self.elements:
            found = Concat.from_element(element) or found
        return found

    def without_concat(self) -> UserDataHeader:
        """The other IEs, to carry along (e.g. port addressing) once the message is whole."""
        others = (e for e in self.elements if e.iei not in (IEI_CONCAT8, IEI_CONCAT16))
        return UserDataHeader(tuple(others))

    def to_bytes(self) -> bytes:
        return build_udh(self.elements)


def build_udh(elements: Iterable[InformationElement]) -> bytes:
    """A UDH from `elements`, UDHL first; empty bytes when there are none."""
    body = b"".join(e.to_bytes() for e in elements)
    if len(body) > 0xFF:
        raise ValueError("a user data header holds at most 255 octets of elements")
    return bytes((len(body),)) + body if body else b""


def parse_udh(data: bytes) -> UserDataHeader:
    """The UDH at the start of `data` (UDHL first); anything after it is ignored."""
    return split_udh(data)[0]


def split_udh(user_data: bytes) -> tuple[UserDataHeader, bytes]:
    """Separate the UDH from the payload of user data sent with UDHI set."""
    if not user_data:
        raise UdhError("UDHI is set but the user data is empty")
    end = 1 + user_data[0]
    if end > len(user_data):
        raise UdhError(f"UDHL {user_data[0]} runs past the {len(user_data)}-octet user data")
    elements: list[InformationElement] = []
    pos = 1
    while pos < end:
        if pos + 2 > end or pos + 2 + user_data[pos + 1] > end:
            raise UdhError(f"information element at octet {pos} runs past the header")
        size = user_data[pos + 1]
        elements.append(InformationElement(user_data[pos], user_data[pos + 2 : pos + 2 + size]))
        pos += 2 + size
    return UserDataHeader(tuple(elements)), user_data[end:]


@dataclass(frozen=True, slots=True)
class Part:
    """What to send in one submit_sm/deliver_sm: short_message, the UDHI flag, TLVs."""

    short_message: bytes
    udhi: bool = False
    tlvs: Mapping[int, bytes] = field(default_factory=dict, hash=False)

    @property
    def esm_class_bits(self) -> int:
        """Bits to OR into esm_class."""
        return ESM_CLASS_UDHI if self.udhi else 0


def udh_length(method: ConcatMethod) -> int:
    """Header octets to reserve in each part when splitting for `method`.

    SAR parts keep room for the header the SMSC will add; message_payload is never split.
    """
    if method is ConcatMethod.UDH16:
        return CONCAT16_UDH_LENGTH
    if method is ConcatMethod.PAYLOAD:
        return 0
    return CONCAT8_UDH_LENGTH


def plan_parts(
    chunks: Sequence[bytes],
    method: ConcatMethod,
    ref: int,
    *,
    extra: Sequence[InformationElement] = (),
) -> list[Part]:
    """The parts that carry `chunks` by `method`; `ref` is taken modulo its field size.

    `extra` IEs (e.g. port addressing) go into every part's UDH and need UDH methods.
    """
    if extra and method not in (ConcatMethod.UDH8, ConcatMethod.UDH16):
        raise ValueError(f"extra information elements need a UDH method, not {method.name}")
    if method is ConcatMethod.SAR:
        return sar_parts(chunks, ref)
    if method is ConcatMethod.PAYLOAD:
        return [payload_part(b"".join(chunks))]
    return udh_parts(chunks, ref, ref16=method is ConcatMethod.UDH16, extra=extra)


def udh_parts(
    chunks: Sequence[bytes],
    ref: int,
    *,
    ref16: bool = False,
    extra: Sequence[InformationElement] = (),
) -> list[Part]:
    """Each chunk behind a UDH with the concatenation IE (none for a lone chunk)."""
    total = _check_count(chunks)
    if total == 1:
        return [Part(build_udh(extra) + chunks[0], udhi=bool(extra))]
    parts = []
    for seq, chunk in enumerate(chunks, start=1):
        concat = Concat(ref, total, seq, ref16=ref16).to_element()
        parts.append(Part(build_udh((concat, *extra)) + chunk, udhi=True))
    return parts


def sar_parts(chunks: Sequence[bytes], ref: int) -> list[Part]:
    """Each chunk with the three sar_* TLVs (none for a lone chunk)."""
    total = _check_count(chunks)
    if total == 1:
        return [Part(chunks[0])]
    ref_octets = (ref & 0xFFFF).to_bytes(2, "big")
    return [
        Part(chunk, tlvs=_sar_tlvs(ref_octets, total, seq))
        for seq, chunk in enumerate(chunks, start=1)
    ]


def _sar_tlvs(ref_octets: bytes, total: int, seq: int) -> dict[int, bytes]:
    return {
        TAG_SAR_MSG_REF_NUM: ref_octets,
        TAG_SAR_TOTAL_SEGMENTS: bytes((total,)),
        TAG_SAR_SEGMENT_SEQNUM: bytes((seq,)),
    }


def payload_part(payload: bytes) -> Part:
    """The whole message in message_payload, short_message left empty (SMPP 3.4 §5.3.2.32)."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"message_payload holds at most {MAX_PAYLOAD} octets")
    return Part(b"", tlvs={TAG_MESSAGE_PAYLOAD: payload})


def _check_count(chunks: Sequence[bytes]) -> int:
    if not 1 <= len(chunks) <= MAX_PARTS:
        raise ValueError(f"a message has 1 to {MAX_PARTS} parts, not {len(chunks)}")
    return len(chunks)


@dataclass(frozen=True, slots=True)
class ReceivedPart:
    """An incoming part taken apart: payload, its UDH (empty if none), concatenation values."""

    payload: bytes
    header: UserDataHeader
    concat: Concat | None


def read_part(short_message: bytes, esm_class: int, tlvs: Mapping[int, bytes]) -> ReceivedPart:
    """Take apart a received submit_sm/deliver_sm/data_sm body.

    message_payload replaces an empty short_message (SMPP 3.4 §5.3.2.32); the UDH, when
    UDHI is set, is inside whichever carries the data. A UDH concatenation IE wins over
    SAR TLVs. A malformed UDH raises `UdhError`.
    """
    data = short_message
    if not data and TAG_MESSAGE_PAYLOAD in tlvs:
        data = tlvs[TAG_MESSAGE_PAYLOAD]
    header = UserDataHeader()
    if esm_class & ESM_CLASS_UDHI:
        header, data = split_udh(data)
    concat = header.concat or sar_concat(tlvs)
    return ReceivedPart(data, header, concat)


def user_data_status(
    short_message: bytes, esm_class: int, tlvs: Mapping[int, bytes]
) -> CommandStatus | None:
    """Why a submitted body's UDH cannot be right, as the status to refuse it with; None
    when it is fine (or there is none).

    With UDHI set (esm_class 0x40, SMPP 3.4 §5.2.12) the user data, short_message or else
    message_payload, must start with a UDH whose lengths fit: no user data at all is an
    esm_class that claims what is not there (ESME_RINVESMCLASS); a UDHL or an information
    element that runs past the data is a length that does not fit (ESME_RINVMSGLEN).
    """
    if not esm_class & ESM_CLASS_UDHI:
        return None
    data = short_message or tlvs.get(TAG_MESSAGE_PAYLOAD, b"")
    if not data:
        return CommandStatus.ESME_RINVESMCLASS
    try:
        split_udh(data)
    except UdhError:
        return CommandStatus.ESME_RINVMSGLEN
    return None


def sar_concat(tlvs: Mapping[int, bytes]) -> Concat | None:
    """Concatenation values from the sar_* TLVs, or None when absent or invalid."""
    ref = tlvs.get(TAG_SAR_MSG_REF_NUM)
    total = tlvs.get(TAG_SAR_TOTAL_SEGMENTS)
    seq = tlvs.get(TAG_SAR_SEGMENT_SEQNUM)
    if not ref or not total or not seq or len(ref) > 2 or len(total) != 1 or len(seq) != 1:
        return None
    concat = Concat(int.from_bytes(ref, "big"), total[0], seq[0], ref16=True)
    return concat if 1 <= concat.seq <= concat.total else None


@dataclass(frozen=True, slots=True)
class IncompleteGroup:
    """A message whose parts did not all arrive: (seq, payload) pairs in order."""

    key: Hashable
    ref: int
    total: int
    parts: tuple[tuple[int, bytes], ...]
    started: float
    evicted: bool = False


class _Group:
    __slots__ = ("parts", "started")

    def __init__(self, started: float) -> None:
        self.started = started
        self.parts: dict[int, bytes] = {}


class Reassembler:
    """Collects the parts of concatenated messages until each message is whole.

    A group is identified by (key, ref, total): `key` says who talks to whom (e.g. the
    source and destination addresses), as TS 23.040 §9.2.3.24.1 ties the reference to the
    originator. A group expires `timeout` seconds after its first part arrived.
    """

    def __init__(self, *, timeout: float = 300.0, max_groups: int = 10_000) -> None:
        if timeout <= 0 or max_groups < 1:
            raise ValueError("timeout must be positive and max_groups at least 1")
        self.timeout = timeout
        self.max_groups = max_groups
        # OrderedDict: popping the oldest stays O(1) however many came and went.
        self._groups: OrderedDict[tuple[Hashable, int, int], _Group] = OrderedDict()
        self._evicted: list[IncompleteGroup] = []

    def __len__(self) -> int:
        """Groups waiting for parts."""
        return len(self._groups)

    def add(
        self, key: Hashable, ref: int, total: int, seq: int, payload: bytes, now: float
    ) -> list[bytes] | None:
        """Add one part; the payloads in order when this part completes its message.

        A part whose seq/total are invalid stands alone (TS 23.040 §9.2.3.24.1), as does
        a 1-of-1 part. A repeat of a part already held is ignored (the first copy is kept).
        """
        if total <= 1 or not 1 <= seq <= total:
            return [payload]
        group_id = (key, ref, total)
        group = self._groups.get(group_id)
        if group is None:
            self._make_room()
            group = self._groups[group_id] = _Group(now)
        group.parts.setdefault(seq, payload)
        if len(group.parts) < total:
            return None
        del self._groups[group_id]
        return [group.parts[i] for i in range(1, total + 1)]

    def expire(self, now: float) -> list[IncompleteGroup]:
        """Groups pushed out for room, then those older than the timeout, oldest first."""
        done, self._evicted = self._evicted, []
        deadline = now - self.timeout
        # Insertion order is arrival order, so expired groups form a prefix.
        while self._groups and next(iter(self._groups.values())).started <= deadline:
            group_id, group = self._groups.popitem(last=False)
            done.append(_incomplete(group_id, group, evicted=False))
        return done

    def next_deadline(self) -> float | None:
        """When `expire` next has something to return (already due if groups were evicted)."""
        if self._evicted:
            return self._evicted[0].started
        first = next(iter(self._groups.values()), None)
        return None if first is None else first.started + self.timeout

    def _make_room(self) -> None:
        while len(self._groups) >= self.max_groups:
            group_id, group = self._groups.popitem(last=False)
            self._evicted.append(_incomplete(group_id, group, evicted=True))


def _incomplete(
    group_id: tuple[Hashable, int, int], group: _Group, *, evicted: bool
) -> IncompleteGroup:
    key, ref, total = group_id
    parts = tuple(sorted(group.parts.items()))
    return IncompleteGroup(key, ref, total, parts, group.started, evicted)
