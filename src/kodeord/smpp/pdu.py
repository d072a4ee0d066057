"""SMPP 3.4 PDUs as frozen, slotted dataclasses: one class per command (section 4).

Each class *is* its wire layout: mandatory body fields are declared in wire order, with
the spec's names, through the helpers below (`u8`, `u32`, `c_string`, ...), whose metadata
the codec compiles into encoders and decoders. So a field cannot be added in one place
and forgotten in the other. Rules:

- Header fields `sequence_number` and `command_status` are on every PDU; `command_id`
  is a class constant. `sm_length`, `number_of_dests` and `no_unsuccess` are not fields:
  they are derived from `short_message`, `dest_addresses` and `unsuccess_smes`.
- C-octet strings are `str` (latin-1, one char per octet), their maximum includes the
  NUL exactly as section 4 gives it ("Var. max 21" means at most 20 characters).
- Optional parameters are `tlvs`, a tuple of `Tlv` kept in wire order (see tlv.py);
  every PDU accepts them, since later SMPP versions add TLVs to more PDUs.
- A well-framed PDU the codec cannot decode becomes an `InvalidPdu`, never an exception.
- Passwords (`SECRET_FIELDS`) are not in any repr, and an InvalidPdu's repr leaves out its
  raw body (an undecodable bind still carries one): a PDU in a log line shows no secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, ClassVar, TypeVar

from kodeord.smpp.constants import INTERFACE_VERSION_34, CommandId, CommandStatus
from kodeord.smpp.tlv import Tlv, TlvValue, find_tlv

S = CommandStatus


@dataclass(frozen=True, slots=True)
class Wire:
    """How one body field is carried: `kind` plus, for C-strings, max length and status."""

    kind: str  # "u8" | "u32" | "cstr" | "sm" | "dests" | "unsuccess"
    max_len: int = 0
    status: CommandStatus = S.ESME_RSYSERR  # answer when a peer's value breaks the limit


def u8(default: int = 0) -> Any:
    return field(default=default, metadata={"wire": Wire("u8")})


def u32(default: int = 0) -> Any:
    return field(default=default, metadata={"wire": Wire("u32")})


def c_string(max_len: int, status: CommandStatus, *, secret: bool = False) -> Any:
    """A C-octet string of at most `max_len` octets *including* the NUL (section 3.1).
    A `secret` one (a password) is left out of the PDU's repr, so no log shows it."""
    return field(default="", repr=not secret, metadata={"wire": Wire("cstr", max_len, status)})


def short_message() -> Any:
    """sm_length (1 octet) + short_message, 0-254 octets (section 5.2.21, 5.2.22)."""
    return field(default=b"", metadata={"wire": Wire("sm", 254, S.ESME_RINVMSGLEN)})


@dataclass(frozen=True, slots=True)
class SmeAddress:
    """A submit_multi destination with dest_flag 1 (section 4.5.1.1)."""

    dest_addr_ton: int = 0
    dest_addr_npi: int = 0
    destination_addr: str = ""


@dataclass(frozen=True, slots=True)
class DistributionList:
    """A submit_multi destination with dest_flag 2: an SMSC distribution list name."""

    dl_name: str = ""


@dataclass(frozen=True, slots=True)
class UnsuccessSme:
    """One failed destination in submit_multi_resp (section 4.5.2)."""

    dest_addr_ton: int = 0
    dest_addr_npi: int = 0
    destination_addr: str = ""
    error_status_code: int = 0


@dataclass(frozen=True, slots=True)
class Pdu:
    """Fields every PDU has. Build subclasses with keywords; all fields have defaults."""

    command_id: ClassVar[CommandId]
    sequence_number: int = 0
    command_status: int = 0
    tlvs: tuple[Tlv, ...] = ()

    @property
    def is_response(self) -> bool:
        return self.command_id.is_response

    def tlv(self, tag: int) -> TlvValue | None:
        """Value of the first optional parameter with `tag`, or None when absent."""
        return find_tlv(self.tlvs, tag)


# --- header-only PDUs (sections 4.3, 4.11, 4.2) -------------------------------------


@dataclass(frozen=True, slots=True)
class GenericNack(Pdu):
    command_id: ClassVar[CommandId] = CommandId.GENERIC_NACK


@dataclass(frozen=True, slots=True)
class Unbind(Pdu):
    command_id: ClassVar[CommandId] = CommandId.UNBIND


@dataclass(frozen=True, slots=True)
class UnbindResp(Pdu):
    command_id: ClassVar[CommandId] = CommandId.UNBIND_RESP


@dataclass(frozen=True, slots=True)
class EnquireLink(Pdu):
    command_id: ClassVar[CommandId] = CommandId.ENQUIRE_LINK


@dataclass(frozen=True, slots=True)
class EnquireLinkResp(Pdu):
    command_id: ClassVar[CommandId] = CommandId.ENQUIRE_LINK_RESP


@dataclass(frozen=True, slots=True)
class CancelSmResp(Pdu):
    command_id: ClassVar[CommandId] = CommandId.CANCEL_SM_RESP


@dataclass(frozen=True, slots=True)
class ReplaceSmResp(Pdu):
    command_id: ClassVar[CommandId] = CommandId.REPLACE_SM_RESP


# --- bind (section 4.1) --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Bind(Pdu):
    system_id: str = c_string(16, S.ESME_RINVSYSID)
    password: str = c_string(9, S.ESME_RINVPASWD, secret=True)
    system_type: str = c_string(13, S.ESME_RINVSYSTYP)
    interface_version: int = u8(INTERFACE_VERSION_34)
    addr_ton: int = u8()
    addr_npi: int = u8()
    address_range: str = c_string(41, S.ESME_RBINDFAIL)


@dataclass(frozen=True, slots=True)
class BindTransmitter(_Bind):
    command_id: ClassVar[CommandId] = CommandId.BIND_TRANSMITTER


@dataclass(frozen=True, slots=True)
class BindReceiver(_Bind):
    command_id: ClassVar[CommandId] = CommandId.BIND_RECEIVER


@dataclass(frozen=True, slots=True)
class BindTransceiver(_Bind):
    command_id: ClassVar[CommandId] = CommandId.BIND_TRANSCEIVER


@dataclass(frozen=True, slots=True)
class _BindResp(Pdu):
    """The body (system_id) is omitted when command_status is not ESME_ROK (4.1.2)."""

    system_id: str = c_string(16, S.ESME_RINVSYSID)


@dataclass(frozen=True, slots=True)
class BindTransmitterResp(_BindResp):
    command_id: ClassVar[CommandId] = CommandId.BIND_TRANSMITTER_RESP


@dataclass(frozen=True, slots=True)
class BindReceiverResp(_BindResp):
    command_id: ClassVar[CommandId] = CommandId.BIND_RECEIVER_RESP


@dataclass(frozen=True, slots=True)
class BindTransceiverResp(_BindResp):
    command_id: ClassVar[CommandId] = CommandId.BIND_TRANSCEIVER_RESP


@dataclass(frozen=True, slots=True)
class Outbind(Pdu):
    """SMSC asks the ESME to bind_receiver back (section 4.1.7); has no response."""

    command_id: ClassVar[CommandId] = CommandId.OUTBIND
    system_id: str = c_string(16, S.ESME_RINVSYSID)
    password: str = c_string(9, S.ESME_RINVPASWD, secret=True)


# --- submit_sm / deliver_sm (sections 4.4, 4.6) --------------------------------------


@dataclass(frozen=True, slots=True)
class _ShortMessage(Pdu):
    service_type: str = c_string(6, S.ESME_RINVSERTYP)
    source_addr_ton: int = u8()
    source_addr_npi: int = u8()
    source_addr: str = c_string(21, S.ESME_RINVSRCADR)
    dest_addr_ton: int = u8()
    dest_addr_npi: int = u8()
    destination_addr: str = c_string(21, S.ESME_RINVDSTADR)
    esm_class: int = u8()
    protocol_id: int = u8()
    priority_flag: int = u8()
    schedule_delivery_time: str = c_string(17, S.ESME_RINVSCHED)
    validity_period: str = c_string(17, S.ESME_RINVEXPIRY)
    registered_delivery: int = u8()
    replace_if_present_flag: int = u8()
    data_coding: int = u8()
    sm_default_msg_id: int = u8()
    short_message: bytes = short_message()


@dataclass(frozen=True, slots=True)
class SubmitSm(_ShortMessage):
    command_id: ClassVar[CommandId] = CommandId.SUBMIT_SM


@dataclass(frozen=True, slots=True)
class DeliverSm(_ShortMessage):
    """Same layout as submit_sm; schedule/validity/replace/default id are NULL (4.6.1)."""

    command_id: ClassVar[CommandId] = CommandId.DELIVER_SM


@dataclass(frozen=True, slots=True)
class SubmitSmResp(Pdu):
    """The body (message_id) is omitted when command_status is not ESME_ROK (4.4.2)."""

    command_id: ClassVar[CommandId] = CommandId.SUBMIT_SM_RESP
    message_id: str = c_string(65, S.ESME_RINVMSGID)


@dataclass(frozen=True, slots=True)
class DeliverSmResp(Pdu):
    """Section 4.6.2 says message_id is unused (NULL); real ESMEs echo ids, so allow 65."""

    command_id: ClassVar[CommandId] = CommandId.DELIVER_SM_RESP
    message_id: str = c_string(65, S.ESME_RINVMSGID)


# --- submit_multi (section 4.5) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubmitMulti(Pdu):
    command_id: ClassVar[CommandId] = CommandId.SUBMIT_MULTI
    service_type: str = c_string(6, S.ESME_RINVSERTYP)
    source_addr_ton: int = u8()
    source_addr_npi: int = u8()
    source_addr: str = c_string(21, S.ESME_RINVSRCADR)
    dest_addresses: tuple[SmeAddress | DistributionList, ...] = field(
        default=(), metadata={"wire": Wire("dests", 254, S.ESME_RINVNUMDESTS)}
    )
    esm_class: int = u8()
    protocol_id: int = u8()
    priority_flag: int = u8()
    schedule_delivery_time: str = c_string(17, S.ESME_RINVSCHED)
    validity_period: str = c_string(17, S.ESME_RINVEXPIRY)
    registered_delivery: int = u8()
    replace_if_present_flag: int = u8()
    data_coding: int = u8()
    sm_default_msg_id: int = u8()
    short_message: bytes = short_message()


@dataclass(frozen=True, slots=True)
class SubmitMultiResp(Pdu):
    command_id: ClassVar[CommandId] = CommandId.SUBMIT_MULTI_RESP
    message_id: str = c_string(65, S.ESME_RINVMSGID)
    unsuccess_smes: tuple[UnsuccessSme, ...] = field(
        default=(), metadata={"wire": Wire("unsuccess", 255, S.ESME_RINVNUMDESTS)}
    )


# --- data_sm (section 4.7) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DataSm(Pdu):
    """Addresses are up to 64 characters here (Var. max 65), unlike submit_sm."""

    command_id: ClassVar[CommandId] = CommandId.DATA_SM
    service_type: str = c_string(6, S.ESME_RINVSERTYP)
    source_addr_ton: int = u8()
    source_addr_npi: int = u8()
    source_addr: str = c_string(65, S.ESME_RINVSRCADR)
    dest_addr_ton: int = u8()
    dest_addr_npi: int = u8()
    destination_addr: str = c_string(65, S.ESME_RINVDSTADR)
    esm_class: int = u8()
    registered_delivery: int = u8()
    data_coding: int = u8()


@dataclass(frozen=True, slots=True)
class DataSmResp(Pdu):
    """Keeps its body on error: its TLVs (delivery_failure_reason, ...) explain it."""

    command_id: ClassVar[CommandId] = CommandId.DATA_SM_RESP
    message_id: str = c_string(65, S.ESME_RINVMSGID)


# --- query_sm, cancel_sm, replace_sm (sections 4.8-4.10) ----------------------------


@dataclass(frozen=True, slots=True)
class QuerySm(Pdu):
    command_id: ClassVar[CommandId] = CommandId.QUERY_SM
    message_id: str = c_string(65, S.ESME_RINVMSGID)
    source_addr_ton: int = u8()
    source_addr_npi: int = u8()
    source_addr: str = c_string(21, S.ESME_RINVSRCADR)


@dataclass(frozen=True, slots=True)
class QuerySmResp(Pdu):
    """The body is omitted when command_status is not ESME_ROK (4.8.2)."""

    command_id: ClassVar[CommandId] = CommandId.QUERY_SM_RESP
    message_id: str = c_string(65, S.ESME_RINVMSGID)
    final_date: str = c_string(17, S.ESME_RQUERYFAIL)
    message_state: int = u8()
    error_code: int = u8()


@dataclass(frozen=True, slots=True)
class CancelSm(Pdu):
    command_id: ClassVar[CommandId] = CommandId.CANCEL_SM
    service_type: str = c_string(6, S.ESME_RINVSERTYP)
    message_id: str = c_string(65, S.ESME_RINVMSGID)
    source_addr_ton: int = u8()
    source_addr_npi: int = u8()
    source_addr: str = c_string(21, S.ESME_RINVSRCADR)
    dest_addr_ton: int = u8()
    dest_addr_npi: int = u8()
    destination_addr: str = c_string(21, S.ESME_RINVDSTADR)


@dataclass(frozen=True, slots=True)
class ReplaceSm(Pdu):
    command_id: ClassVar[CommandId] = CommandId.REPLACE_SM
    message_id: str = c_string(65, S.ESME_RINVMSGID)
    source_addr_ton: int = u8()
    source_addr_npi: int = u8()
    source_addr: str = c_string(21, S.ESME_RINVSRCADR)
    schedule_delivery_time: str = c_string(17, S.ESME_RINVSCHED)
    validity_period: str = c_string(17, S.ESME_RINVEXPIRY)
    registered_delivery: int = u8()
    sm_default_msg_id: int = u8()
    short_message: bytes = short_message()


# --- alert_notification (section 4.12) -----------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertNotification(Pdu):
    """SMSC tells the ESME an MS became available; has no response."""

    command_id: ClassVar[CommandId] = CommandId.ALERT_NOTIFICATION
    source_addr_ton: int = u8()
    source_addr_npi: int = u8()
    source_addr: str = c_string(65, S.ESME_RINVSRCADR)
    esme_addr_ton: int = u8()
    esme_addr_npi: int = u8()
    esme_addr: str = c_string(65, S.ESME_RINVDSTADR)


# --- what the codec gives back for PDUs it cannot decode ------------------------------


@dataclass(frozen=True, slots=True)
class InvalidPdu:
    """A well-framed PDU with an unknown command_id or a body that does not parse.

    `reply_status` is what the sender should get: ESME_RINVCMDID for an unknown command,
    ESME_RINVCMDLEN for a truncated body, a field-specific status (ESME_RINVSRCADR, ...)
    for a field over its limit, ESME_RINVOPTPARSTREAM / ESME_RINVPARLEN for bad TLVs.
    """

    command_id: int
    command_status: int
    sequence_number: int
    body: bytes = field(repr=False)
    reply_status: CommandStatus
    reason: str

    @property
    def is_response(self) -> bool:
        return bool(self.command_id & 0x80000000)


SECRET_FIELDS: frozenset[str] = frozenset({"password"})
"""Body fields whose values no repr or error message may show."""

ALL_PDU_CLASSES: tuple[type[Pdu], ...] = (
    GenericNack,
    BindReceiver,
    BindReceiverResp,
    BindTransmitter,
    BindTransmitterResp,
    QuerySm,
    QuerySmResp,
    SubmitSm,
    SubmitSmResp,
    DeliverSm,
    DeliverSmResp,
    Unbind,
    UnbindResp,
    ReplaceSm,
    ReplaceSmResp,
    CancelSm,
    CancelSmResp,
    BindTransceiver,
    BindTransceiverResp,
    Outbind,
    EnquireLink,
    EnquireLinkResp,
    SubmitMulti,
    SubmitMultiResp,
    AlertNotification,
    DataSm,
    DataSmResp,
)

PDU_CLASSES: dict[int, type[Pdu]] = {cls.command_id: cls for cls in ALL_PDU_CLASSES}
"""command_id -> PDU class, for every command of SMPP 3.4."""

NO_RESPONSE: frozenset[int] = frozenset({CommandId.OUTBIND, CommandId.ALERT_NOTIFICATION})
"""Requests the spec gives no response PDU (sections 4.1.7, 4.12)."""

BODY_OMITTED_ON_ERROR: frozenset[int] = frozenset(
    {
        CommandId.BIND_TRANSMITTER_RESP,
        CommandId.BIND_RECEIVER_RESP,
        CommandId.BIND_TRANSCEIVER_RESP,
        CommandId.SUBMIT_SM_RESP,
        CommandId.QUERY_SM_RESP,
    }
)
"""Responses whose body "is not returned" when command_status != 0 (4.1.2, 4.4.2, 4.8.2)."""


def response_class(request_id: int) -> type[Pdu] | None:
    """The response PDU class answering `request_id`, or None (response or no answer)."""
    if request_id & 0x80000000 or request_id in NO_RESPONSE:
        return None
    return PDU_CLASSES.get(request_id | 0x80000000)


def make_response(request: Pdu, status: int = S.ESME_ROK, **fields: Any) -> Pdu:
    """The response to `request`: same sequence_number, `status`, body `fields`."""
    cls = response_class(request.command_id)
    if cls is None:
        raise TypeError(f"{type(request).__name__} has no response PDU")
    return cls(sequence_number=request.sequence_number, command_status=status, **fields)


P = TypeVar("P", bound=Pdu)

_FIELDS_AFTER_SEQUENCE: dict[type[Pdu], Any] = {
    cls: attrgetter(*[f.name for f in fields(cls)][1:]) for cls in ALL_PDU_CLASSES
}


def with_sequence_number(pdu: P, sequence_number: int) -> P:
    """A copy of `pdu` numbered `sequence_number` (dataclasses.replace, but 2x faster)."""
    rest = _FIELDS_AFTER_SEQUENCE[type(pdu)](pdu)
    return type(pdu)(sequence_number, *rest)
