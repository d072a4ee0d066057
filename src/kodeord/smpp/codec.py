"""SMPP 3.4 wire codec: `encode(pdu) -> bytes`, `decode(frame)`, and the `PduReader` framer.

Every PDU is a 16-octet header (command_length, command_id, command_status,
sequence_number; section 3.2) and a body laid out as its dataclass declares (pdu.py).
Layouts are compiled once at import into op tuples; runs of integers become one
`struct.Struct`. Rules:

- encode checks what the spec limits (section 4: C-string maxima including the NUL,
  short_message <= 254 octets, integer widths, TLV types) and raises LocalProtocolError.
  Error responses whose body "is not returned" (4.1.2, 4.4.2, 4.8.2) are sent header-only.
- Broken *framing* (command_length < 16 or over the configured maximum, a frame whose
  length disagrees with its header) raises RemoteProtocolError: the stream cannot
  resynchronise (3.1), so a PduReader that raised once keeps raising.
- A well-framed PDU with an unknown command_id or a body that does not parse is returned
  as an `InvalidPdu` carrying the status to answer with. Nothing else ever escapes.
- Response PDUs with an empty body decode to their defaults, whatever the status.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any, NoReturn

from kodeord.smpp.constants import CommandStatus, DestFlag
from kodeord.smpp.errors import LocalProtocolError, RemoteProtocolError
from kodeord.smpp.pdu import (
    ALL_PDU_CLASSES,
    BODY_OMITTED_ON_ERROR,
    SECRET_FIELDS,
    DistributionList,
    InvalidPdu,
    Pdu,
    SmeAddress,
    UnsuccessSme,
    Wire,
)
from kodeord.smpp.tlv import TlvError, decode_tlvs, encode_tlvs

S = CommandStatus
HEADER = struct.Struct(">IIII")
HEADER_LENGTH = 16
DEFAULT_MAX_COMMAND_LENGTH = 0x11000
"""Room for a 64 KiB message_payload TLV plus the rest of a data_sm."""

_LENGTH = struct.Struct(">I")
_U8 = struct.Struct(">B")
_BB = struct.Struct(">BB")
_U32 = struct.Struct(">I")
_INTS, _CSTR, _SM, _DESTS, _UNSUCCESS = range(5)
_OP = {"cstr": _CSTR, "sm": _SM, "dests": _DESTS, "unsuccess": _UNSUCCESS}
_INT_CHAR = {"u8": "B", "u32": "I"}

Op = tuple[int, Any, Any, str]
"""(opcode, a, b, name): _INTS (Struct, count, names), _CSTR/_SM/... (max_len, status, name)."""


@dataclass(frozen=True, slots=True)
class _Layout:
    cls: type[Pdu]
    ops: tuple[Op, ...]
    values: Any  # attrgetter over body field names, always returning a tuple
    omit_on_error: bool
    is_response: bool


class _BodyError(Exception):
    def __init__(self, status: CommandStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


# --- layout compilation ----------------------------------------------------------------


def _compile(cls: type[Pdu]) -> _Layout:
    wires = [(f.name, f.metadata["wire"]) for f in fields(cls) if "wire" in f.metadata]
    ops: list[Op] = []
    run: list[tuple[str, Wire]] = []
    for name, wire in [*wires, ("", Wire("end"))]:
        if wire.kind in _INT_CHAR:
            run.append((name, wire))
            continue
        if run:
            fmt = ">" + "".join(_INT_CHAR[w.kind] for _, w in run)
            ops.append((_INTS, struct.Struct(fmt), len(run), ",".join(n for n, _ in run)))
            run = []
        if wire.kind != "end":
            ops.append((_OP[wire.kind], wire.max_len, wire.status, name))
    return _Layout(
        cls=cls,
        ops=tuple(ops),
        values=_tuple_getter([name for name, _ in wires]),
        omit_on_error=cls.command_id in BODY_OMITTED_ON_ERROR,
        is_response=cls.command_id.is_response,
    )


def _tuple_getter(names: list[str]) -> Any:
    """attrgetter that returns a tuple for any number of names (it returns a bare value for one)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        single = attrgetter(names[0])
        return lambda pdu: (single(pdu),)
    return lambda pdu: ()


_LAYOUTS: dict[type[Pdu], _Layout] = {cls: _compile(cls) for cls in ALL_PDU_CLASSES}
_BY_ID: dict[int, _Layout] = {cls.command_id: layout for cls, layout in _LAYOUTS.items()}


# --- encoding --------------------------------------------------------------------------


def encode(pdu: Pdu) -> bytes:
    """The wire form of `pdu`; raises LocalProtocolError when a field breaks section 4."""
    layout = _LAYOUTS.get(type(pdu))
    if layout is None:
        raise LocalProtocolError(f"not an SMPP 3.4 PDU: {pdu!r}")
    try:
        if pdu.command_status and layout.omit_on_error:
            body = b""
        else:
            parts = _encode_fields(layout, pdu)
            if pdu.tlvs:
                parts += encode_tlvs(pdu.tlvs)
            body = b"".join(parts)
        header = HEADER.pack(
            HEADER_LENGTH + len(body), pdu.command_id, pdu.command_status, pdu.sequence_number
        )
    except struct.error as exc:
        raise LocalProtocolError(f"{type(pdu).__name__}: integer out of range: {exc}") from None
    return header + body


def _encode_fields(layout: _Layout, pdu: Pdu) -> list[bytes]:
    values = layout.values(pdu)
    parts: list[bytes] = []
    i = 0
    for code, a, b, name in layout.ops:
        if code == _INTS:
            parts.append(a.pack(*values[i : i + b]))
            i += b
            continue
        value = values[i]
        i += 1
        if code == _CSTR:
            parts.append(_encode_c_string(value, a, name))
        elif code == _SM:
            parts.append(_encode_short_message(value))
        elif code == _DESTS:
            parts.append(_encode_dests(value))
        else:
            parts.append(_encode_unsuccess(value))
    return parts


def _encode_c_string(value: object, max_len: int, name: str) -> bytes:
    """A C-octet string: at most max_len - 1 latin-1 octets, no NUL inside (section 3.1)."""
    if value == "":
        return b"\0"
    shown = "(hidden)" if name in SECRET_FIELDS else repr(value)
    if not isinstance(value, str):
        raise LocalProtocolError(f"{name} must be a str, got {shown}")
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:
        raise LocalProtocolError(f"{name} is not latin-1: {shown}") from None
    if len(raw) >= max_len:
        raise LocalProtocolError(f"{name} is {len(raw)} octets, max {max_len - 1} (+NUL)")
    if 0 in raw:
        raise LocalProtocolError(f"{name} contains a NUL octet")
    return raw + b"\0"


def _encode_short_message(value: object) -> bytes:
    if not isinstance(value, bytes):
        raise LocalProtocolError(f"short_message must be bytes, got {type(value).__name__}")
    if len(value) > 254:
        raise LocalProtocolError(f"short_message is {len(value)} octets, max 254 (5.2.22)")
    return _U8.pack(len(value)) + value


def _encode_dests(dests: tuple[SmeAddress | DistributionList, ...]) -> bytes:
    if len(dests) > 254:
        raise LocalProtocolError(f"{len(dests)} dest_addresses, max 254 (4.5.1)")
    parts = [_U8.pack(len(dests))]
    for dest in dests:
        if isinstance(dest, SmeAddress):
            parts.append(_BB.pack(DestFlag.SME_ADDRESS, dest.dest_addr_ton))
            parts.append(_U8.pack(dest.dest_addr_npi))
            parts.append(_encode_c_string(dest.destination_addr, 21, "destination_addr"))
        elif isinstance(dest, DistributionList):
            parts.append(_U8.pack(DestFlag.DISTRIBUTION_LIST))
            parts.append(_encode_c_string(dest.dl_name, 21, "dl_name"))
        else:
            raise LocalProtocolError(f"not a dest_address: {dest!r}")
    return b"".join(parts)


def _encode_unsuccess(smes: tuple[UnsuccessSme, ...]) -> bytes:
    if len(smes) > 255:
        raise LocalProtocolError(f"{len(smes)} unsuccess_smes, max 255 (no_unsuccess)")
    parts = [_U8.pack(len(smes))]
    for sme in smes:
        parts.append(_BB.pack(sme.dest_addr_ton, sme.dest_addr_npi))
        parts.append(_encode_c_string(sme.destination_addr, 21, "destination_addr"))
        parts.append(_U32.pack(sme.error_status_code))
    return b"".join(parts)


# --- decoding --------------------------------------------------------------------------


def decode(frame: bytes) -> Pdu | InvalidPdu:
    """Decode one whole PDU; RemoteProtocolError if `frame` is not exactly one PDU."""
    if len(frame) < HEADER_LENGTH:
        raise RemoteProtocolError(
            f"{len(frame)} octets is shorter than a header", S.ESME_RINVCMDLEN
        )
    length, command_id, status, sequence = HEADER.unpack_from(frame)
    if length != len(frame):
        raise RemoteProtocolError(
            f"command_length {length} but frame has {len(frame)} octets", S.ESME_RINVCMDLEN
        )
    return decode_frame(frame, command_id, status, sequence)


def decode_frame(frame: bytes, command_id: int, status: int, sequence: int) -> Pdu | InvalidPdu:
    """Decode the body of a frame whose header is already unpacked and checked."""
    layout = _BY_ID.get(command_id)
    if layout is None:
        reason = f"unknown command_id 0x{command_id:08X}"
        return InvalidPdu(command_id, status, sequence, frame[16:], S.ESME_RINVCMDID, reason)
    if len(frame) == HEADER_LENGTH and layout.is_response:
        return layout.cls(sequence, status)  # body omitted on error, or peer sent none
    try:
        values, pos = _decode_fields(layout.ops, frame)
        tlvs = decode_tlvs(frame, pos) if pos < len(frame) else ()
    except (_BodyError, TlvError) as exc:
        return InvalidPdu(command_id, status, sequence, frame[16:], exc.status, exc.reason)
    except (IndexError, struct.error):
        reason = f"{layout.cls.__name__} body is truncated"
        return InvalidPdu(command_id, status, sequence, frame[16:], S.ESME_RINVCMDLEN, reason)
    return layout.cls(sequence, status, tlvs, *values)


def _decode_fields(ops: tuple[Op, ...], frame: bytes) -> tuple[list[Any], int]:
    values: list[Any] = []
    pos = HEADER_LENGTH
    for code, a, b, name in ops:
        if code == _CSTR:  # inlined _read_c_string: the hot path of every PDU
            end = frame.find(0, pos, pos + a)
            if end < 0:
                _c_string_error(frame, pos, a, b, name)
            values.append(frame[pos:end].decode("latin-1") if end > pos else "")
            pos = end + 1
        elif code == _INTS:
            values += a.unpack_from(frame, pos)
            pos += a.size
        else:
            value, pos = _READERS[code](frame, pos)
            values.append(value)
    return values, pos


def _read_c_string(
    frame: bytes, pos: int, max_len: int, status: CommandStatus, name: str
) -> tuple[str, int]:
    end = frame.find(0, pos, pos + max_len)
    if end < 0:
        _c_string_error(frame, pos, max_len, status, name)
    return frame[pos:end].decode("latin-1"), end + 1


def _c_string_error(
    frame: bytes, pos: int, max_len: int, status: CommandStatus, name: str
) -> NoReturn:
    """No NUL within max_len octets: truncated PDU, or a value over its limit (section 4)."""
    if len(frame) < pos + max_len:
        raise _BodyError(S.ESME_RINVCMDLEN, f"{name} runs past the end of the PDU")
    raise _BodyError(status, f"{name} longer than {max_len - 1} octets")


def _read_short_message(frame: bytes, pos: int) -> tuple[bytes, int]:
    length = frame[pos]
    if length > 254:
        raise _BodyError(S.ESME_RINVMSGLEN, f"sm_length {length} > 254")
    end = pos + 1 + length
    if end > len(frame):
        raise _BodyError(S.ESME_RINVCMDLEN, "short_message runs past the end of the PDU")
    return frame[pos + 1 : end], end


def _read_dests(frame: bytes, pos: int) -> tuple[tuple[SmeAddress | DistributionList, ...], int]:
    count = frame[pos]
    if count > 254:
        raise _BodyError(S.ESME_RINVNUMDESTS, f"number_of_dests {count} > 254")
    pos += 1
    dests: list[SmeAddress | DistributionList] = []
    for _ in range(count):
        flag = frame[pos]
        if flag == DestFlag.SME_ADDRESS:
            ton, npi = _BB.unpack_from(frame, pos + 1)
            addr, pos = _read_c_string(frame, pos + 3, 21, S.ESME_RINVDSTADR, "destination_addr")
            dests.append(SmeAddress(ton, npi, addr))
        elif flag == DestFlag.DISTRIBUTION_LIST:
            name, pos = _read_c_string(frame, pos + 1, 21, S.ESME_RINVDLNAME, "dl_name")
            dests.append(DistributionList(name))
        else:
            raise _BodyError(S.ESME_RINVDESTFLAG, f"dest_flag {flag}")
    return tuple(dests), pos


def _read_unsuccess(frame: bytes, pos: int) -> tuple[tuple[UnsuccessSme, ...], int]:
    count = frame[pos]
    pos += 1
    smes = []
    for _ in range(count):
        ton, npi = _BB.unpack_from(frame, pos)
        addr, pos = _read_c_string(frame, pos + 2, 21, S.ESME_RINVDSTADR, "destination_addr")
        (error,) = _U32.unpack_from(frame, pos)
        smes.append(UnsuccessSme(ton, npi, addr, error))
        pos += 4
    return tuple(smes), pos


_READERS: dict[int, Callable[[bytes, int], tuple[Any, int]]] = {
    _SM: _read_short_message,
    _DESTS: _read_dests,
    _UNSUCCESS: _read_unsuccess,
}


# --- streaming -------------------------------------------------------------------------


class PduReader:
    """Cuts a byte stream into PDUs by command_length (section 3.1) and decodes them.

    `feed(data)` then call `read()` until it returns None (more bytes needed). Raises
    RemoteProtocolError for a command_length below 16 or above `max_command_length`;
    after that every `read()` raises again, since no later PDU boundary can be trusted.
    """

    def __init__(self, max_command_length: int = DEFAULT_MAX_COMMAND_LENGTH) -> None:
        self._buffer = bytearray()
        self._pos = 0
        self._max = max_command_length
        self._broken: str | None = None

    @property
    def buffered(self) -> int:
        """Octets received but not yet returned as a PDU."""
        return len(self._buffer) - self._pos

    @property
    def incomplete(self) -> bool:
        """Is the next PDU started but not all here (octets buffered, no whole frame)?"""
        waiting = len(self._buffer) - self._pos
        if waiting <= 0 or self._broken is not None:
            return False
        if waiting < 4:
            return True
        length: int = _LENGTH.unpack_from(self._buffer, self._pos)[0]
        return waiting < length

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def read(self) -> Pdu | InvalidPdu | None:
        """The next PDU (or InvalidPdu), or None until more bytes arrive."""
        frame = self.read_frame()
        if frame is None:
            return None
        _, command_id, status, sequence = HEADER.unpack_from(frame)
        return decode_frame(frame, command_id, status, sequence)

    def read_frame(self) -> bytes | None:
        """The next whole PDU as bytes, undecoded, or None until more bytes arrive."""
        if self._broken is not None:
            raise RemoteProtocolError(self._broken, S.ESME_RINVCMDLEN)
        buffer, pos = self._buffer, self._pos
        if len(buffer) - pos < 4:
            return None
        (length,) = _LENGTH.unpack_from(buffer, pos)
        if not HEADER_LENGTH <= length <= self._max:
            self._broken = f"command_length {length} outside {HEADER_LENGTH}..{self._max}"
            raise RemoteProtocolError(self._broken, S.ESME_RINVCMDLEN)
        if len(buffer) - pos < length:
            return None
        frame = bytes(buffer[pos : pos + length])
        self._consume(pos + length)
        return frame

    def _consume(self, pos: int) -> None:
        if pos == len(self._buffer):
            self._buffer.clear()
            pos = 0
        elif pos > 0x10000:  # compact now and then, not on every PDU
            del self._buffer[:pos]
            pos = 0
        self._pos = pos
