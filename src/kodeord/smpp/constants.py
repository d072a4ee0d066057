"""SMPP 3.4 protocol codes: command ids, command statuses, TLV tags and field values.

Every number here comes from the SMPP 3.4 specification (Issue 1.2, 12-Oct-1999); the
section is cited on each enum. PDU fields stay plain `int` on the wire side (a peer may
send values we have no name for), so these enums are for building and comparing, and
they compare equal to the raw integers. Text encodings, UDH and receipt parsing live in
their own modules, not here.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

RESPONSE_BIT = 0x80000000
"""Set in the command_id of every response PDU (section 5.1.2.1)."""

INTERFACE_VERSION_34 = 0x34
"""interface_version / sc_interface_version value for SMPP 3.4 (section 5.2.4)."""


class CommandId(IntEnum):
    """command_id values (section 5.1.2.1); a response is its request | 0x80000000."""

    GENERIC_NACK = 0x80000000
    BIND_RECEIVER = 0x00000001
    BIND_RECEIVER_RESP = 0x80000001
    BIND_TRANSMITTER = 0x00000002
    BIND_TRANSMITTER_RESP = 0x80000002
    QUERY_SM = 0x00000003
    QUERY_SM_RESP = 0x80000003
    SUBMIT_SM = 0x00000004
    SUBMIT_SM_RESP = 0x80000004
    DELIVER_SM = 0x00000005
    DELIVER_SM_RESP = 0x80000005
    UNBIND = 0x00000006
    UNBIND_RESP = 0x80000006
    REPLACE_SM = 0x00000007
    REPLACE_SM_RESP = 0x80000007
    CANCEL_SM = 0x00000008
    CANCEL_SM_RESP = 0x80000008
    BIND_TRANSCEIVER = 0x00000009
    BIND_TRANSCEIVER_RESP = 0x80000009
    OUTBIND = 0x0000000B
    ENQUIRE_LINK = 0x00000015
    ENQUIRE_LINK_RESP = 0x80000015
    SUBMIT_MULTI = 0x00000021
    SUBMIT_MULTI_RESP = 0x80000021
    ALERT_NOTIFICATION = 0x00000102
    DATA_SM = 0x00000103
    DATA_SM_RESP = 0x80000103

    @property
    def is_response(self) -> bool:
        return bool(self & RESPONSE_BIT)


class CommandStatus(IntEnum):
    """command_status / error_status_code values (section 5.1.3)."""

    ESME_ROK = 0x00000000
    ESME_RINVMSGLEN = 0x00000001
    ESME_RINVCMDLEN = 0x00000002
    ESME_RINVCMDID = 0x00000003
    ESME_RINVBNDSTS = 0x00000004
    ESME_RALYBND = 0x00000005
    ESME_RINVPRTFLG = 0x00000006
    ESME_RINVREGDLVFLG = 0x00000007
    ESME_RSYSERR = 0x00000008
    ESME_RINVSRCADR = 0x0000000A
    ESME_RINVDSTADR = 0x0000000B
    ESME_RINVMSGID = 0x0000000C
    ESME_RBINDFAIL = 0x0000000D
    ESME_RINVPASWD = 0x0000000E
    ESME_RINVSYSID = 0x0000000F
    ESME_RCANCELFAIL = 0x00000011
    ESME_RREPLACEFAIL = 0x00000013
    ESME_RMSGQFUL = 0x00000014
    ESME_RINVSERTYP = 0x00000015
    ESME_RINVNUMDESTS = 0x00000033
    ESME_RINVDLNAME = 0x00000034
    ESME_RINVDESTFLAG = 0x00000040
    ESME_RINVSUBREP = 0x00000042
    ESME_RINVESMCLASS = 0x00000043
    ESME_RCNTSUBDL = 0x00000044
    ESME_RSUBMITFAIL = 0x00000045
    ESME_RINVSRCTON = 0x00000048
    ESME_RINVSRCNPI = 0x00000049
    ESME_RINVDSTTON = 0x00000050
    ESME_RINVDSTNPI = 0x00000051
    ESME_RINVSYSTYP = 0x00000053
    ESME_RINVREPFLAG = 0x00000054
    ESME_RINVNUMMSGS = 0x00000055
    ESME_RTHROTTLED = 0x00000058
    ESME_RINVSCHED = 0x00000061
    ESME_RINVEXPIRY = 0x00000062
    ESME_RINVDFTMSGID = 0x00000063
    ESME_RX_T_APPN = 0x00000064
    ESME_RX_P_APPN = 0x00000065
    ESME_RX_R_APPN = 0x00000066
    ESME_RQUERYFAIL = 0x00000067
    ESME_RINVOPTPARSTREAM = 0x000000C0
    ESME_ROPTPARNOTALLWD = 0x000000C1
    ESME_RINVPARLEN = 0x000000C2
    ESME_RMISSINGOPTPARAM = 0x000000C3
    ESME_RINVOPTPARAMVAL = 0x000000C4
    ESME_RDELIVERYFAILURE = 0x000000FE
    ESME_RUNKNOWNERR = 0x000000FF


TRANSIENT_STATUSES: frozenset[int] = frozenset(
    {
        CommandStatus.ESME_RMSGQFUL,  # queue full "at present"
        CommandStatus.ESME_RTHROTTLED,  # over the agreed rate
        CommandStatus.ESME_RSYSERR,  # the peer failed, not the message
        CommandStatus.ESME_RX_T_APPN,  # "ESME receiver temporary app error"
        CommandStatus.ESME_RINVBNDSTS,  # the bind was wrong; another bind may take it
        CommandStatus.ESME_RDELIVERYFAILURE,  # data_sm delivery failed downstream
        CommandStatus.ESME_RUNKNOWNERR,  # nothing says the message itself is bad
    }
)
"""Statuses after which the same request may succeed later (section 5.1.3 wording)."""


def is_transient(status: int) -> bool:
    """True when a request answered with `status` is worth sending again later.

    ESME_ROK is not transient (there is nothing to retry); every status not listed in
    TRANSIENT_STATUSES, including vendor codes 0x400-0x4FF, counts as permanent.
    """
    return status in TRANSIENT_STATUSES


def status_name(status: int) -> str:
    """ESME_Rxxx name of `status`, or its hex value when SMPP 3.4 gives it no name."""
    try:
        return CommandStatus(status).name
    except ValueError:
        return f"0x{status:08X}"


class Tag(IntEnum):
    """Optional parameter (TLV) tags defined by SMPP 3.4 (section 5.3.2)."""

    DEST_ADDR_SUBUNIT = 0x0005
    DEST_NETWORK_TYPE = 0x0006
    DEST_BEARER_TYPE = 0x0007
    DEST_TELEMATICS_ID = 0x0008
    SOURCE_ADDR_SUBUNIT = 0x000D
    SOURCE_NETWORK_TYPE = 0x000E
    SOURCE_BEARER_TYPE = 0x000F
    SOURCE_TELEMATICS_ID = 0x0010
    QOS_TIME_TO_LIVE = 0x0017
    PAYLOAD_TYPE = 0x0019
    ADDITIONAL_STATUS_INFO_TEXT = 0x001D
    RECEIPTED_MESSAGE_ID = 0x001E
    MS_MSG_WAIT_FACILITIES = 0x0030
    PRIVACY_INDICATOR = 0x0201
    SOURCE_SUBADDRESS = 0x0202
    DEST_SUBADDRESS = 0x0203
    USER_MESSAGE_REFERENCE = 0x0204
    USER_RESPONSE_CODE = 0x0205
    SOURCE_PORT = 0x020A
    DESTINATION_PORT = 0x020B
    SAR_MSG_REF_NUM = 0x020C
    LANGUAGE_INDICATOR = 0x020D
    SAR_TOTAL_SEGMENTS = 0x020E
    SAR_SEGMENT_SEQNUM = 0x020F
    SC_INTERFACE_VERSION = 0x0210
    CALLBACK_NUM_PRES_IND = 0x0302
    CALLBACK_NUM_ATAG = 0x0303
    NUMBER_OF_MESSAGES = 0x0304
    CALLBACK_NUM = 0x0381
    DPF_RESULT = 0x0420
    SET_DPF = 0x0421
    MS_AVAILABILITY_STATUS = 0x0422
    NETWORK_ERROR_CODE = 0x0423
    MESSAGE_PAYLOAD = 0x0424
    DELIVERY_FAILURE_REASON = 0x0425
    MORE_MESSAGES_TO_SEND = 0x0426
    MESSAGE_STATE = 0x0427
    USSD_SERVICE_OP = 0x0501
    DISPLAY_TIME = 0x1201
    SMS_SIGNAL = 0x1203
    MS_VALIDITY = 0x1204
    ALERT_ON_MESSAGE_DELIVERY = 0x130C
    ITS_REPLY_TYPE = 0x1380
    ITS_SESSION_INFO = 0x1383


class EsmClass(IntFlag):
    """esm_class bits (section 5.2.12): messaging mode, message type, GSM features.

    Mode and type are multi-bit fields: compare `esm_class & MODE_MASK` (or
    `TYPE_MASK`) with the values below rather than testing single bits.
    """

    MODE_MASK = 0x03
    MODE_DEFAULT = 0x00
    MODE_DATAGRAM = 0x01
    MODE_FORWARD = 0x02  # transaction mode
    MODE_STORE_AND_FORWARD = 0x03

    TYPE_MASK = 0x3C
    TYPE_DEFAULT = 0x00
    TYPE_DELIVERY_RECEIPT = 0x04  # SMSC delivery receipt (deliver_sm)
    TYPE_DELIVERY_ACK = 0x08  # SME delivery acknowledgement
    TYPE_MANUAL_ACK = 0x10  # SME manual/user acknowledgement
    TYPE_CONVERSATION_ABORT = 0x18  # Korean CDMA
    TYPE_INTERMEDIATE_NOTIFICATION = 0x20

    UDHI = 0x40  # short_message starts with a user data header
    REPLY_PATH = 0x80


def is_delivery_receipt(esm_class: int) -> bool:
    """True when a deliver_sm/data_sm carries an SMSC delivery receipt (5.2.12)."""
    return esm_class & EsmClass.TYPE_MASK == EsmClass.TYPE_DELIVERY_RECEIPT


def has_udhi(esm_class: int) -> bool:
    """True when the UDH indicator (GSM bit 6) is set (5.2.12)."""
    return bool(esm_class & EsmClass.UDHI)


class RegisteredDelivery(IntFlag):
    """registered_delivery bits (section 5.2.17)."""

    RECEIPT_MASK = 0x03
    NO_RECEIPT = 0x00
    RECEIPT_ALWAYS = 0x01  # on success or failure
    RECEIPT_ON_FAILURE = 0x02
    SME_ACK_MASK = 0x0C
    SME_DELIVERY_ACK = 0x04
    SME_MANUAL_ACK = 0x08
    INTERMEDIATE_NOTIFICATION = 0x10


class DataCoding(IntEnum):
    """data_coding values (section 5.2.19); GSM DCS message classes use 0xF0-0xFF."""

    SMSC_DEFAULT = 0x00  # usually GSM 03.38, unpacked
    IA5 = 0x01  # IA5 (CCITT T.50) / ASCII
    OCTET_UNSPECIFIED_2 = 0x02
    LATIN_1 = 0x03
    OCTET_UNSPECIFIED = 0x04  # 8-bit binary
    JIS = 0x05
    CYRILLIC = 0x06
    LATIN_HEBREW = 0x07
    UCS2 = 0x08
    PICTOGRAM = 0x09
    ISO_2022_JP = 0x0A
    EXTENDED_KANJI = 0x0D
    KS_C_5601 = 0x0E


class Ton(IntEnum):
    """Type of number (section 5.2.5)."""

    UNKNOWN = 0x00
    INTERNATIONAL = 0x01
    NATIONAL = 0x02
    NETWORK_SPECIFIC = 0x03  # short numbers go out as UNKNOWN or this
    SUBSCRIBER_NUMBER = 0x04
    ALPHANUMERIC = 0x05
    ABBREVIATED = 0x06


class Npi(IntEnum):
    """Numbering plan indicator (section 5.2.6)."""

    UNKNOWN = 0x00
    ISDN = 0x01  # E.163/E.164
    DATA = 0x03  # X.121
    TELEX = 0x04  # F.69
    LAND_MOBILE = 0x06  # E.212
    NATIONAL = 0x08
    PRIVATE = 0x09
    ERMES = 0x0A
    INTERNET = 0x0E  # IP
    WAP_CLIENT_ID = 0x12


class MessageState(IntEnum):
    """message_state in query_sm_resp and the message_state TLV (section 5.2.28)."""

    ENROUTE = 1
    DELIVERED = 2
    EXPIRED = 3
    DELETED = 4
    UNDELIVERABLE = 5
    ACCEPTED = 6
    UNKNOWN = 7
    REJECTED = 8

    @property
    def stat(self) -> str:
        """The 7-letter word of SMPP 3.4 Appendix B (delivery receipt `stat:`)."""
        return _STAT_WORDS[self.value]

    @property
    def is_final(self) -> bool:
        """Every state but ENROUTE is final (section 5.2.28)."""
        return self is not MessageState.ENROUTE


_STAT_WORDS = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}


class DestFlag(IntEnum):
    """dest_flag of a submit_multi dest_address (section 5.2.25)."""

    SME_ADDRESS = 1
    DISTRIBUTION_LIST = 2
