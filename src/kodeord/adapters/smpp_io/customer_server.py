"""The customers' SMPP server as the binds capability's `ServerFactory` (app/binds/ports.py).

It builds an `SmscServer` with the app's callbacks and the configured limits; the
adapter's `BindRequest` becomes the app's (what the account check needs) at this edge.
"""

from __future__ import annotations

from kodeord.adapters.smpp_io.server import BindRequest, ServerLimits, SmscServer
from kodeord.app.binds import ports

NAME = "customer smpp"  # its log lines: "customer smpp listening"


def customer_server_factory(limits: ServerLimits | None = None) -> ports.ServerFactory:
    """A factory of customer SMPP servers, each with `limits`."""

    def build(host: str, port: int, callbacks: ports.ServerCallbacks) -> SmscServer:
        async def authenticate(request: BindRequest) -> int:
            presented = ports.BindRequest(request.system_id, request.password)
            return await callbacks.authenticate(presented)

        return SmscServer(
            host,
            port,
            authenticate=authenticate,
            on_request=callbacks.on_request,
            on_bound=callbacks.on_bound,
            on_closed=callbacks.on_closed,
            limits=limits,
            name=NAME,
        )

    return build
