"""EsmeClient: we act as the ESME; one bind to an SMSC, kept up for as long as we run.

`start()` runs a keep-bound loop: connect, bind, wait for the connection to end, back off,
again, until `stop()`. `submit()` sends through whatever bind is current. Rules:

- `bind_type` picks bind_transmitter / bind_receiver / bind_transceiver. A refused bind
  (any non-zero status; ESME_RINVPASWD / ESME_RINVSYSID are logged as errors), an
  unanswered bind, a refused TCP connect and a lost connection all lead to a reconnect
  after exponential backoff with jitter (`reconnect_delay` doubling to
  `max_reconnect_delay`; back to the start after a successful bind).
- submit() waits until bound, for the throttle pause and the rate limit (pacing.py; the
  rate applies to submit_sm, data_sm and submit_multi), then for a window slot, and
  returns the response whatever its status. ESME_RTHROTTLED / ESME_RMSGQFUL pause all
  callers; retrying is the caller's decision. A request that never left (the bind went
  away first) waits for the next bind; one that left and got no answer raises
  ConnectionClosed carrying it, for the caller to re-queue.
- Requests from the SMSC (deliver_sm, data_sm, ...) go to `on_request`, which must
  answer with `conn.respond()`. Without one they are answered ESME_RX_T_APPN, so nothing
  is acknowledged that the application did not see.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from types import TracebackType

import structlog

from kodeord.adapters.cancel import raise_if_cancelling
from kodeord.adapters.smpp_io.connection import (
    ConnectionClosed,
    RequestFailed,
    RequestHandler,
    SmppConnection,
)
from kodeord.adapters.smpp_io.pacing import Pacer, backoff_delay
from kodeord.app.links.ports import LinkStats
from kodeord.smpp.constants import CommandId, CommandStatus, status_name
from kodeord.smpp.errors import LocalProtocolError
from kodeord.smpp.pdu import NO_RESPONSE, BindReceiver, BindTransceiver, BindTransmitter, Pdu
from kodeord.smpp.session import SessionConfig
from kodeord.smpp.states import Role

log = structlog.get_logger(__name__)

BIND_CLASSES: dict[str, type[BindTransmitter | BindReceiver | BindTransceiver]] = {
    "transmitter": BindTransmitter,
    "receiver": BindReceiver,
    "transceiver": BindTransceiver,
}
MESSAGE_COMMANDS = frozenset({CommandId.SUBMIT_SM, CommandId.DATA_SM, CommandId.SUBMIT_MULTI})
"""Requests that count against max_rate."""
CREDENTIAL_ERRORS = frozenset({CommandStatus.ESME_RINVPASWD, CommandStatus.ESME_RINVSYSID})
CONNECT_TIMEOUT = 10.0


async def refuse_request(conn: SmppConnection, pdu: Pdu) -> None:
    """Default on_request: answer ESME_RX_T_APPN, acknowledging nothing."""
    if pdu.command_id in NO_RESPONSE:  # outbind, alert_notification: nothing to answer
        log.info("smpp request ignored: no on_request handler", pdu=type(pdu).__name__)
        return
    log.warning("smpp request refused: no on_request handler", pdu=type(pdu).__name__)
    await conn.respond(pdu, CommandStatus.ESME_RX_T_APPN)


class EsmeClient:
    """Keeps one bind to an SMSC; see the module docstring for its rules."""

    def __init__(
        self,
        host: str,
        port: int,
        system_id: str,
        password: str,
        *,
        bind_type: str = "transceiver",
        system_type: str = "",
        window: int = 10,
        max_rate: float | None = None,
        on_request: RequestHandler | None = None,
        session_config: SessionConfig | None = None,
        reconnect_delay: float = 0.5,
        max_reconnect_delay: float = 30.0,
        throttle_backoff: float = 1.0,
    ) -> None:
        if bind_type not in BIND_CLASSES:
            raise ValueError(f"bind_type must be one of {sorted(BIND_CLASSES)}: {bind_type!r}")
        self._host, self._port = host, port
        self._system_id, self._password, self._system_type = system_id, password, system_type
        self._bind_type = bind_type
        self._session_config = dataclasses.replace(session_config or SessionConfig(), window=window)
        self._on_request = on_request or refuse_request
        self._reconnect_delay, self._max_reconnect_delay = reconnect_delay, max_reconnect_delay
        self._pacer = Pacer(max_rate, throttle_backoff)
        self._conn: SmppConnection | None = None
        self._state = "stopped"
        self._changed = asyncio.Event()  # replaced on every change; see _set_state
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._submitted = 0  # message requests the operator accepted, since start
        self._last_error: tuple[str, float] | None = None  # (what, wall-clock time)

    # --- public ------------------------------------------------------------------------

    @property
    def is_bound(self) -> bool:
        return self._conn is not None and self._conn.is_bound

    @property
    def state(self) -> str:
        """ "connecting" | "binding" | "bound" | "backoff" | "stopped"."""
        return self._state

    @property
    def connection(self) -> SmppConnection | None:
        """The bound connection, if any."""
        return self._conn

    def stats(self) -> LinkStats:
        """What the link is doing now: the window in use, what it sent, its last trouble."""
        conn = self._conn
        in_use = conn.session.in_flight if conn is not None and not conn.closed else 0
        error, at = self._last_error or (None, None)
        return LinkStats(in_use, self._submitted, error, at)

    def _trouble(self, what: str) -> None:
        self._last_error = (what, time.time())

    async def start(self) -> None:
        """Start the keep-bound loop (returns at once; see wait_bound())."""
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._keep_bound(), name=f"esme {self._system_id}")

    async def wait_bound(self, timeout: float | None = None) -> None:
        """Wait until bound; TimeoutError after `timeout`, ConnectionClosed if stopped."""
        async with asyncio.timeout(timeout):
            while not self.is_bound:
                self._raise_if_stopped()
                await self._changed.wait()

    async def stop(self, timeout: float = 5.0) -> None:
        """Unbind politely (waiting up to `timeout`) and stop reconnecting."""
        self._stopping = True
        self._set_state(self._state)  # wake waiters: they raise ConnectionClosed
        if self._conn is not None:
            await self._conn.unbind(timeout)
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task])
            self._task = None
        self._set_state("stopped")

    async def submit(self, pdu: Pdu, *, timeout: float | None = None) -> Pdu:
        """Send a request when bound, paced and within the window; return the response.
        Raises ConnectionClosed (carrying the request) when it was sent and the link
        dropped before an answer, RequestTimeout / InvalidResponseError from the
        connection, TimeoutError after `timeout` (covering the whole wait)."""
        async with asyncio.timeout(timeout):
            while True:
                conn = await self._paced_connection(pdu)
                epoch = self._pacer.epoch
                try:
                    response = await conn.request(pdu)
                except ConnectionClosed as exc:
                    if exc.written:
                        raise
                    continue  # never left: send it on the next bind
                self._account(response.command_status, epoch)
                if pdu.command_id in MESSAGE_COMMANDS:
                    if response.command_status == CommandStatus.ESME_ROK:
                        self._submitted += 1
                    else:
                        self._trouble(f"submit refused: {status_name(response.command_status)}")
                return response

    async def __aenter__(self) -> EsmeClient:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- submitting --------------------------------------------------------------------

    async def _paced_connection(self, pdu: Pdu) -> SmppConnection:
        """Wait until bound, not paused and (for messages) the rate allows; the bind."""
        needs_rate_slot = pdu.command_id in MESSAGE_COMMANDS
        while True:
            conn = self._conn
            if conn is None or not conn.is_bound:
                await self._wait_usable(conn)
                continue
            pause = self._pacer.paused_for(time.monotonic())
            if pause > 0:
                await asyncio.sleep(pause)
                continue
            if not needs_rate_slot:
                return conn
            needs_rate_slot = False
            wait = self._pacer.reserve(time.monotonic())
            if wait > 0:
                await asyncio.sleep(wait)  # then check bind and pause again

    async def _wait_usable(self, conn: SmppConnection | None) -> None:
        self._raise_if_stopped()
        if conn is not None:
            await conn.wait_closed()  # unbinding or closing: a new one comes after
        else:
            await self._changed.wait()

    def _raise_if_stopped(self) -> None:
        if self._stopping:
            raise ConnectionClosed("client stopped", written=False)

    def _account(self, status: int, epoch: int) -> None:
        pause = self._pacer.on_response(status, epoch, time.monotonic())
        if pause is not None:
            log.warning(
                "smpp throttled: pausing",
                system_id=self._system_id,
                status=status_name(status),
                pause=pause,
            )

    # --- keeping the bind --------------------------------------------------------------

    async def _keep_bound(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                bound = await self._connect_and_serve()
            except Exception:  # a bug: log it and keep trying rather than die silently
                raise_if_cancelling()
                log.exception("smpp client loop failed", system_id=self._system_id)
                bound = False
            if self._stopping:
                break
            failures = 0 if bound else failures + 1
            self._set_state("backoff")
            delay = backoff_delay(
                failures, self._reconnect_delay, self._max_reconnect_delay, random.random()
            )
            await asyncio.sleep(delay)

    async def _connect_and_serve(self) -> bool:
        """One connection: connect, bind, serve until it ends. True if it was bound."""
        self._set_state("connecting")
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                reader, writer = await asyncio.open_connection(self._host, self._port)
        except (OSError, TimeoutError) as exc:
            log.warning("smpp connect failed", host=self._host, port=self._port, error=repr(exc))
            self._trouble(f"connect failed: {exc!r}")
            return False
        conn = SmppConnection(
            reader,
            writer,
            Role.ESME,
            on_request=self._on_request,
            on_close=self._connection_closed,
            session_config=self._session_config,
        )
        async with asyncio.TaskGroup() as tg:
            tg.create_task(conn.serve())
            bound = await self._bind(conn)
            if bound:
                await conn.wait_closed()
                if not self._stopping:
                    log.warning(
                        "smpp connection lost", system_id=self._system_id, reason=conn.close_reason
                    )
                    self._trouble(f"connection lost: {conn.close_reason}")
            else:
                await conn.close()
        return bound

    async def _bind(self, conn: SmppConnection) -> bool:
        self._set_state("binding")
        bind = BIND_CLASSES[self._bind_type](
            system_id=self._system_id, password=self._password, system_type=self._system_type
        )
        try:
            response = await conn.request(bind)
        except (ConnectionClosed, RequestFailed, LocalProtocolError) as exc:
            log.warning("smpp bind failed", system_id=self._system_id, error=repr(exc))
            self._trouble(f"bind failed: {exc!r}")
            return False
        status = response.command_status
        if status != CommandStatus.ESME_ROK:
            report = log.error if status in CREDENTIAL_ERRORS else log.warning
            report("smpp bind refused", system_id=self._system_id, status=status_name(status))
            self._trouble(f"bind refused: {status_name(status)}")
            return False
        conn.system_id, conn.bind_type = self._system_id, self._bind_type
        self._conn = conn
        self._set_state("bound")
        log.info("smpp bound", system_id=self._system_id, bind_type=self._bind_type, peer=conn.peer)
        return True

    def _connection_closed(self, conn: SmppConnection) -> None:
        if self._conn is conn:
            self._conn = None
            self._set_state("stopped" if self._stopping else "backoff")

    def _set_state(self, state: str) -> None:
        """Record the state and wake everyone waiting for a change."""
        self._state = state
        self._changed.set()
        self._changed = asyncio.Event()
