"""asyncio SMPP 3.4 adapters around the sans-IO core in kodeord.smpp.

- connection.py: SmppConnection, one socket driven by a Session (reader and timer tasks).
- server.py: SmscServer, we are the SMSC (bind authentication and throttling, caps).
- client.py: EsmeClient, we are the ESME (keep-bound loop, window, rate, throttling).
- pacing.py: the rate limit, throttle pause and reconnect backoff, sans-IO.
- errors.py: ConnectionClosed, RequestTimeout, InvalidResponseError (what request() raises).
"""

from kodeord.adapters.smpp_io.client import EsmeClient
from kodeord.adapters.smpp_io.connection import (
    ConnectionClosed,
    InvalidResponseError,
    RequestFailed,
    RequestHandler,
    RequestTimeout,
    SmppConnection,
)
from kodeord.adapters.smpp_io.server import Authenticator, BindRequest, ServerLimits, SmscServer

__all__ = [
    "Authenticator",
    "BindRequest",
    "ConnectionClosed",
    "EsmeClient",
    "InvalidResponseError",
    "RequestFailed",
    "RequestHandler",
    "RequestTimeout",
    "ServerLimits",
    "SmppConnection",
    "SmscServer",
]
