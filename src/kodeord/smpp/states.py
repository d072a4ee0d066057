"""SMPP 3.4 session states and the one table of which PDUs each state allows.

`ALLOWED[state][sender]` is the set of command_ids the *sender* (ESME or SMSC) may put
on the wire in `state` (section 2.3 session states, 2.4 and table 2-1 "PDU summary").
The table is symmetric on purpose: a session checks what it sends (requests and
responses) against its own role and the peer's requests against the peer's role, so one
row answers both questions. The peer's *responses* are matched against our outstanding
requests instead: an answer to something we asked is accepted in any state.

States beyond the spec's five, and why:
- BINDING: a bind is in flight (the ESME sent one, the SMSC application is checking
  credentials). Only the bind response (or generic_nack) may cross.
- UNBINDING: an unbind is in flight, either way. New requests are refused, but every
  response may still cross, so outstanding work drains (section 4.2). When both sides
  unbind at once, the session stays here until both unbinds are answered.
- CLOSED: after unbind_resp or close(); nothing is allowed.

Deliberate leniency: enquire_link is accepted in OPEN as well as the bound states (SMPP 5.0
allows it there; answering costs nothing). A request refused by the table is answered
with ESME_RALYBND if it is a bind while bound, else ESME_RINVBNDSTS (section 5.1.3).
"""

from __future__ import annotations

from enum import Enum

from kodeord.smpp.constants import CommandId, CommandStatus

C = CommandId


class Role(Enum):
    ESME = "esme"
    SMSC = "smsc"

    @property
    def peer(self) -> Role:
        return Role.SMSC if self is Role.ESME else Role.ESME


class BindState(Enum):
    OPEN = "open"
    BINDING = "binding"
    BOUND_TX = "bound_tx"
    BOUND_RX = "bound_rx"
    BOUND_TRX = "bound_trx"
    UNBINDING = "unbinding"
    CLOSED = "closed"

    @property
    def is_bound(self) -> bool:
        return self in _BOUND


_BOUND = frozenset({BindState.BOUND_TX, BindState.BOUND_RX, BindState.BOUND_TRX})

BINDS = frozenset({C.BIND_TRANSMITTER, C.BIND_RECEIVER, C.BIND_TRANSCEIVER})
BIND_RESPS = frozenset({C.BIND_TRANSMITTER_RESP, C.BIND_RECEIVER_RESP, C.BIND_TRANSCEIVER_RESP})

BOUND_STATE_OF_BIND: dict[int, BindState] = {
    C.BIND_TRANSMITTER: BindState.BOUND_TX,
    C.BIND_RECEIVER: BindState.BOUND_RX,
    C.BIND_TRANSCEIVER: BindState.BOUND_TRX,
}

# ESME -> SMSC traffic that needs a transmitter bind, and the SMSC's answers to it.
_ESME_TX = frozenset(
    {C.SUBMIT_SM, C.SUBMIT_MULTI, C.DATA_SM, C.QUERY_SM, C.CANCEL_SM, C.REPLACE_SM}
)
_ESME_TX_RESP = frozenset(C(c | 0x80000000) for c in _ESME_TX)
# SMSC -> ESME traffic that needs a receiver bind, and the ESME's answers to it.
_SMSC_RX = frozenset({C.DELIVER_SM, C.DATA_SM, C.ALERT_NOTIFICATION})
_SMSC_RX_RESP = frozenset({C.DELIVER_SM_RESP, C.DATA_SM_RESP})
# Link upkeep, both ways, in every bound state.
_LINK = frozenset({C.ENQUIRE_LINK, C.ENQUIRE_LINK_RESP, C.GENERIC_NACK, C.UNBIND})

_ESME, _SMSC = Role.ESME, Role.SMSC

ALLOWED: dict[BindState, dict[Role, frozenset[CommandId]]] = {
    BindState.OPEN: {
        _ESME: BINDS | {C.ENQUIRE_LINK, C.ENQUIRE_LINK_RESP, C.GENERIC_NACK},
        _SMSC: frozenset({C.OUTBIND, C.ENQUIRE_LINK, C.ENQUIRE_LINK_RESP, C.GENERIC_NACK}),
    },
    BindState.BINDING: {
        _ESME: frozenset({C.GENERIC_NACK}),
        _SMSC: BIND_RESPS | {C.GENERIC_NACK},
    },
    BindState.BOUND_TX: {
        _ESME: _ESME_TX | _LINK,
        _SMSC: _ESME_TX_RESP | _LINK,
    },
    BindState.BOUND_RX: {
        _ESME: _SMSC_RX_RESP | _LINK,
        _SMSC: _SMSC_RX | _LINK,
    },
    BindState.BOUND_TRX: {
        _ESME: _ESME_TX | _SMSC_RX_RESP | _LINK,
        _SMSC: _SMSC_RX | _ESME_TX_RESP | _LINK,
    },
    BindState.UNBINDING: {
        _ESME: _SMSC_RX_RESP | _LINK | {C.UNBIND_RESP},
        _SMSC: _ESME_TX_RESP | _LINK | {C.UNBIND_RESP},
    },
    BindState.CLOSED: {_ESME: frozenset(), _SMSC: frozenset()},
}


def is_allowed(state: BindState, sender: Role, command_id: int) -> bool:
    """May `sender` put `command_id` on the wire in `state`? (table 2-1)"""
    return command_id in ALLOWED[state][sender]


def rejection_status(state: BindState, command_id: int) -> CommandStatus:
    """The status answering a request that `state` does not allow (section 5.1.3)."""
    if command_id in BINDS and state.is_bound:
        return CommandStatus.ESME_RALYBND
    return CommandStatus.ESME_RINVBNDSTS
