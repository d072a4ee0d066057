"""The customers' bound connections in this process, and which customer each is.

Rules:
- A connection is added when its bind succeeded (with the customer its system_id
  belongs to) and removed when it closes; nothing else changes the table.
- `receivers(customer)` are the connections that can take a deliver_sm (receiver or
  transceiver binds, still bound), those of a preferred system_id first.
- Binds are per process: with several nodes, each knows only its own.
"""

from __future__ import annotations

import asyncio

from kodeord.app.binds.ports import CustomerConnection
from kodeord.app.links.ports import BindType

RECEIVING = frozenset({BindType.RECEIVER, BindType.TRANSCEIVER})  # may get a deliver_sm


class BoundConnections:
    def __init__(self) -> None:
        self._owners: dict[CustomerConnection, int] = {}  # bound connection → customer

    def add(self, conn: CustomerConnection, customer_id: int) -> None:
        self._owners[conn] = customer_id

    def remove(self, conn: CustomerConnection) -> None:
        self._owners.pop(conn, None)

    def customer_of(self, conn: CustomerConnection) -> int | None:
        return self._owners.get(conn)

    def receivers(self, customer_id: int, system_id: str | None = None) -> list[CustomerConnection]:
        """The customer's binds that can take a deliver_sm, those of `system_id` first."""
        found = [
            conn
            for conn, owner in self._owners.items()
            if owner == customer_id and conn.bind_type in RECEIVING and conn.is_bound
        ]
        found.sort(key=lambda conn: conn.system_id != system_id)
        return found

    async def unbind(self, system_id: str) -> None:
        """Unbind every connection of `system_id` (its account was revoked)."""
        await self._unbind([conn for conn in self._owners if conn.system_id == system_id])

    async def unbind_customer(self, customer_id: int) -> None:
        """Unbind every connection of the customer (it was suspended)."""
        await self._unbind([conn for conn, owner in self._owners.items() if owner == customer_id])

    async def _unbind(self, conns: list[CustomerConnection]) -> None:
        async with asyncio.TaskGroup() as tg:
            for conn in conns:
                tg.create_task(conn.unbind(timeout=1.0))
