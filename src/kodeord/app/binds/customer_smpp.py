"""The SMPP server for customers: they bind to us (we are their SMSC) and send SMS.

The parts, each with its rules:
- accounts.py: accounts (issue, list, revoke) and how a bind is authenticated;
- submits.py: submit_sm / data_sm into MT (`Outbound.accept`), long messages held;
- delivering.py: receipts (`smpp_deliver` jobs) and MO on `smpp` routes to the binds;
- connections.py: this process's bound connections and their customers.

`CustomerSmpp` is the server's life: `start(host, port)` listens through the server
the composition root's `ServerFactory` builds (adapters/smpp_io), `stop()` unbinds
every customer and stops listening. The deliveries are built before it (the MO
capability needs them, and MO is built before MT's binds can be).
"""

from __future__ import annotations

from kodeord.app.binds.accounts import (
    Authenticator,
    create_account,
    create_own_account,
    list_accounts,
    list_own_accounts,
    revoke_account,
    revoke_own_account,
)
from kodeord.app.binds.connections import BoundConnections
from kodeord.app.binds.delivering import BindDeliveries
from kodeord.app.binds.ports import (
    BindsTx,
    CustomerConnection,
    ServerCallbacks,
    ServerFactory,
    SmppServer,
)
from kodeord.app.binds.submits import MtIntake, Submits
from kodeord.app.context import Context
from kodeord.app.jobs import JobKind
from kodeord.app.worker import Handler

__all__ = [
    "CustomerSmpp",
    "create_account",
    "create_own_account",
    "list_accounts",
    "list_own_accounts",
    "revoke_account",
    "revoke_own_account",
]


class CustomerSmpp:
    """Customers' binds: authentication, submits, receipts and MO back to them."""

    def __init__(
        self,
        ctx: Context[BindsTx],
        outbound: MtIntake,
        deliveries: BindDeliveries,
        server_factory: ServerFactory,
        *,
        max_password_checks: int = 1,
    ) -> None:
        self.auth = Authenticator(ctx, max_password_checks)
        self.binds: BoundConnections = deliveries.binds
        self.deliveries = deliveries
        self.submits = Submits(outbound, self.binds, ctx.clock)
        self._server_factory = server_factory
        self.server: SmppServer | None = None
        self.address: tuple[str, int] | None = None

    @property
    def handlers(self) -> dict[str, Handler]:
        return {JobKind.SMPP_DELIVER: self.deliveries.send_receipt}

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Listen (OSError when the address cannot be used); the real address."""
        callbacks = ServerCallbacks(
            authenticate=self.auth.authenticate,
            on_request=self.submits.on_request,
            on_bound=self._bound,
            on_closed=self.binds.remove,
        )
        server = self._server_factory(host, port, callbacks)
        self.address = await server.start()
        self.server = server
        return self.address

    async def stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            await server.stop()

    def _bound(self, conn: CustomerConnection) -> None:
        self.binds.add(conn, self.auth.customer_of(conn.system_id))

    def receivers(self, customer_id: int, system_id: str | None = None) -> list[CustomerConnection]:
        return self.binds.receivers(customer_id, system_id)

    async def close_binds(self, system_id: str) -> None:
        """The account was revoked: forget its checked password and unbind it here."""
        self.auth.forget(system_id)
        await self.binds.unbind(system_id)

    async def close_customer_binds(self, customer_id: int) -> None:
        """The customer was suspended: unbind its connections here (new binds are refused
        by the authenticator, which reads the customer on every bind)."""
        await self.binds.unbind_customer(customer_id)
