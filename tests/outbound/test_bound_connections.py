"""Which of a customer's binds get a deliver_sm (app/binds/connections.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kodeord.app.binds.connections import BoundConnections
from kodeord.smpp.pdu import Pdu


class Conn:
    def __init__(self, system_id: str, bind_type: str, is_bound: bool = True) -> None:
        self.system_id, self.bind_type, self.is_bound = system_id, bind_type, is_bound
        self.unbound = False

    async def request(self, pdu: Pdu, *, timeout: float | None = None) -> Pdu:
        raise AssertionError("not sent in these tests")

    async def respond(self, request: Pdu, status: int = 0, **fields: Any) -> None:
        raise AssertionError("not answered in these tests")

    async def unbind(self, timeout: float = 5.0) -> None:
        self.unbound = True


A_RX, A_TX, A_TRX = Conn("a", "receiver"), Conn("a", "transmitter"), Conn("a", "transceiver")
B_TRX, GONE = Conn("b", "transceiver"), Conn("b", "receiver", is_bound=False)
OTHER = Conn("c", "transceiver")


def table() -> BoundConnections:
    binds = BoundConnections()
    for conn in (A_RX, A_TX, B_TRX, A_TRX, GONE):
        binds.add(conn, 1)
    binds.add(OTHER, 2)
    return binds


@pytest.mark.parametrize(
    ("customer", "preferred", "expected"),
    [
        (1, None, [A_RX, B_TRX, A_TRX]),  # no transmitter, nothing unbound
        (1, "b", [B_TRX, A_RX, A_TRX]),  # the message's own bind first
        (1, "a", [A_RX, A_TRX, B_TRX]),
        (2, None, [OTHER]),
        (3, None, []),
    ],
)
def test_receivers(customer: int, preferred: str | None, expected: list[Conn]) -> None:
    assert table().receivers(customer, preferred) == expected


def test_a_closed_connection_is_forgotten_and_revoked_ones_unbound() -> None:
    binds = table()
    binds.remove(B_TRX)
    assert binds.customer_of(B_TRX) is None and binds.customer_of(A_RX) == 1
    asyncio.run(binds.unbind("a"))
    assert A_RX.unbound and A_TX.unbound and A_TRX.unbound and not OTHER.unbound
