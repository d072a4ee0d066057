"""Test harness for the asyncio SMPP adapters: real sockets on 127.0.0.1, no mocks.

`async_test` runs a coroutine test in a fresh event loop under a hard TEST_TIMEOUT, so a
hang fails instead of stalling the suite. `smsc()` and `esme()` start our server and
client and always stop them (every socket closed: pytest runs with filterwarnings=error).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from kodeord.adapters.smpp_io import BindRequest, EsmeClient, SmppConnection, SmscServer
from kodeord.smpp.constants import CommandStatus
from kodeord.smpp.pdu import Pdu, SubmitSm
from tests.support import async_test_within

S = CommandStatus
TEST_TIMEOUT = 30.0
SYSTEM_ID, PASSWORD = "shop", "secret"
ACCOUNTS = {SYSTEM_ID: PASSWORD, "other": "pw2"}


async_test = async_test_within(TEST_TIMEOUT)


class Authenticator:
    """Checks ACCOUNTS and remembers every attempt."""

    def __init__(self, delay: float = 0.0) -> None:
        self.attempts: list[BindRequest] = []
        self.delay = delay

    async def __call__(self, bind: BindRequest) -> int:
        self.attempts.append(bind)
        if self.delay:
            await asyncio.sleep(self.delay)
        if bind.system_id not in ACCOUNTS:
            return S.ESME_RINVSYSID
        return S.ESME_ROK if ACCOUNTS[bind.system_id] == bind.password else S.ESME_RINVPASWD


class Acceptor:
    """An on_request handler that stores each request, then answers with a message_id."""

    def __init__(self) -> None:
        self.received: list[Pdu] = []
        self._ids = itertools.count(1)

    async def __call__(self, conn: SmppConnection, pdu: Pdu) -> None:
        self.received.append(pdu)
        await conn.respond(pdu, S.ESME_ROK, message_id=f"msg-{next(self._ids)}")


Handler = Callable[[SmppConnection, Pdu], Awaitable[None]]


@asynccontextmanager
async def smsc(
    on_request: Handler | None = None, authenticate: Authenticator | None = None, **kwargs: Any
) -> AsyncIterator[tuple[SmscServer, int]]:
    server = SmscServer(
        "127.0.0.1",
        0,
        authenticate=authenticate or Authenticator(),
        on_request=on_request or Acceptor(),
        **kwargs,
    )
    _, port = await server.start()
    try:
        yield server, port
    finally:
        await server.stop(unbind_timeout=2.0)


@asynccontextmanager
async def esme(port: int, *, bound: bool = True, **kwargs: Any) -> AsyncIterator[EsmeClient]:
    """An EsmeClient for account SYSTEM_ID (override with system_id=/password=), started
    and, unless bound=False, bound; backoff is short so reconnect tests are quick."""
    options: dict[str, Any] = {
        "system_id": SYSTEM_ID,
        "password": PASSWORD,
        "reconnect_delay": 0.02,
        "max_reconnect_delay": 0.1,
    }
    options.update(kwargs)
    client = EsmeClient("127.0.0.1", port, **options)
    await client.start()
    try:
        if bound:
            await client.wait_bound(timeout=5)
        yield client
    finally:
        await client.stop(timeout=2.0)


def submit_sm(text: str = "hello", **fields: Any) -> SubmitSm:
    return SubmitSm(
        source_addr="2077",
        destination_addr="4741234567",
        short_message=text.encode("latin-1"),
        **fields,
    )


async def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait (polling briefly) until condition() holds; TimeoutError after `timeout`."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)
