"""One SMPP connection over asyncio streams: a thin loop around the sans-IO `Session`.

`SmppConnection.serve()` runs two tasks in a TaskGroup: the reader (read, feed the session,
drain events, dispatch, write) and the timer (sleep until `session.get_timer()`, call
`handle_timer(time.monotonic())`, dispatch). Protocol decisions stay in the session; this
module only moves bytes, futures and tasks. Rules:

- Our requests: `request()` / `send_nowait()` queue in FIFO order and go out while
  `session.can_send()`, so with a window of N exactly N are outstanding. Each caller
  awaits its own future; the reader resolves it from `ResponseReceived` (any status,
  generic_nack too) and at once sends the next queued request. `RequestTimedOut` fails it
  with RequestTimeout, an undecodable answer with InvalidResponseError, the end of the
  connection with ConnectionClosed carrying the request (`written` says if it left).
- Peer requests: bind goes to the server's bind hook, unbind is answered here (after our
  handlers have answered what they hold, briefly), enquire_link by the session. Every
  other request runs `on_request` in its own task; it must call `respond()` (store
  before acknowledge; it may also answer later from elsewhere). A handler that raises is
  logged and answered ESME_RSYSERR; nothing is ever acknowledged on its behalf. At most
  `max_pending_requests` peer requests may be unanswered: beyond that the reader stops
  taking events and stops reading the socket, so TCP pushes back on the peer.
- Writes are coalesced: everything written in one loop iteration leaves in one
  `transport.write`; request()/respond() await `drain()` when the transport buffers more
  than WRITE_HIGH_WATER octets.
- Broken framing (RemoteProtocolError) gets a generic_nack, then the connection closes;
  so do InactivityTimeout (silence, no bind in time, a PDU left unfinished), EOF and
  socket errors. Closing cancels the handlers.
- Logs name PDUs by command and sequence number, never by their bodies (a bind carries
  a password).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import structlog

from kodeord.adapters.smpp_io.errors import (
    ConnectionClosed,
    InvalidResponseError,
    RequestFailed,
    RequestTimeout,
)
from kodeord.smpp.codec import encode
from kodeord.smpp.constants import CommandId, CommandStatus, status_name
from kodeord.smpp.errors import LocalProtocolError, RemoteProtocolError, WindowFullError
from kodeord.smpp.events import (
    NEED_DATA,
    Event,
    InactivityTimeout,
    InvalidResponse,
    PduRejected,
    RequestReceived,
    RequestTimedOut,
    ResponseReceived,
    UnexpectedResponse,
)
from kodeord.smpp.pdu import NO_RESPONSE, GenericNack, InvalidPdu, Pdu, Unbind
from kodeord.smpp.session import Session, SessionConfig
from kodeord.smpp.states import BINDS, Role

log = structlog.get_logger(__name__)

__all__ = [
    "ConnectionClosed",
    "InvalidResponseError",
    "RequestFailed",
    "RequestHandler",
    "RequestTimeout",
    "SmppConnection",
]

READ_SIZE = 65536
WRITE_HIGH_WATER = 256 * 1024
"""request()/respond() await drain() when the transport holds more than this."""
UNBIND_DRAIN_TIMEOUT = 2.0
"""How long a peer's unbind waits for our handlers to answer what they hold."""
CLOSE_TIMEOUT = 2.0
"""How long closing waits for buffered bytes to leave before aborting the socket."""


RequestHandler = Callable[["SmppConnection", Pdu], Awaitable[None]]
CloseCallback = Callable[["SmppConnection"], None]
_Waiter = tuple[Pdu, "asyncio.Future[Pdu]"]


class SmppConnection:
    """One SMPP connection, either role; see the module docstring for its rules."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        role: Role,
        *,
        on_request: RequestHandler,
        on_bind: RequestHandler | None = None,
        on_close: CloseCallback | None = None,
        session_config: SessionConfig | None = None,
        max_pending_requests: int = 256,
    ) -> None:
        if max_pending_requests < 1:
            raise ValueError("max_pending_requests must be >= 1")
        self.session = Session(role, time.monotonic(), session_config)
        peer = writer.get_extra_info("peername")
        self.peer: tuple[str, int] = (str(peer[0]), int(peer[1])) if peer else ("", 0)
        self.system_id = ""
        self.bind_type = ""
        self._reader, self._writer = reader, writer
        self._on_request, self._on_bind, self._on_close = on_request, on_bind, on_close
        self._max_pending = max_pending_requests
        self._loop = asyncio.get_running_loop()
        self._waiters: dict[int, _Waiter] = {}  # our written requests, by sequence_number
        self._queue: deque[_Waiter] = deque()  # ours not yet written (window full)
        self._out: list[bytes] = []
        self._flush_scheduled = False
        self._pending = 0  # peer requests handed to handlers, not yet answered
        self._room = asyncio.Event()  # set when _pending drops below the maximum
        self._idle: asyncio.Future[None] | None = None  # resolved when _pending hits 0
        self._timer_at = math.inf
        self._timer_wake = asyncio.Event()
        self._tg: asyncio.TaskGroup | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._unbinding = False
        self._closed = False
        self._close_reason = ""
        self._done = asyncio.Event()

    def __repr__(self) -> str:
        host, port = self.peer
        state = "closed" if self._closed else self.session.state.value
        return f"<SmppConnection {self.system_id or '-'}@{host}:{port} {state}>"

    # --- public ------------------------------------------------------------------------

    @property
    def is_bound(self) -> bool:
        return not self._closed and self.session.state.is_bound

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def close_reason(self) -> str:
        """Why the connection ended ("" while open)."""
        return self._close_reason

    async def serve(self) -> None:
        """Run the reader and timer until the connection ends; then it is closed."""
        try:
            async with asyncio.TaskGroup() as tg:
                self._tg = tg
                self._spawn(self._read_loop())
                self._spawn(self._timer_loop())
        except Exception:  # a bug in a loop: log it, the connection is lost either way
            log.exception("smpp connection failed", peer=self.peer, system_id=self.system_id)
            self._shutdown("internal error")
        finally:
            self._shutdown("connection task ended")
            await self._close_transport()
            self._done.set()

    async def request(self, pdu: Pdu, *, timeout: float | None = None) -> Pdu:
        """Send a request (its status and sequence_number are replaced), waiting first for
        a window slot; return the response PDU, whatever its command_status (generic_nack
        too). Raises ConnectionClosed, RequestTimeout, InvalidResponseError,
        LocalProtocolError (not allowed in this bind state), or TimeoutError when
        `timeout` (covering the whole wait) passes: its answer, if any, is then dropped."""
        future = self.send_nowait(pdu)
        try:
            async with asyncio.timeout(timeout):
                if self._writer.transport.get_write_buffer_size() > WRITE_HIGH_WATER:
                    await self._drain()
                return await future
        finally:
            future.cancel()  # no-op once answered; else a late answer is dropped

    def send_nowait(self, pdu: Pdu) -> asyncio.Future[Pdu]:
        """request() without waiting: a future for the response, failing as request() would.
        Cancel it to give up. outbind / alert_notification resolve to the sent PDU."""
        future: asyncio.Future[Pdu] = self._loop.create_future()
        if self._closed or self._unbinding:
            reason = self._close_reason or "unbinding"
            future.set_exception(ConnectionClosed(reason, [pdu], written=False))
        elif self._queue or not self._try_send(pdu, future):
            self._queue.append((pdu, future))
        return future

    async def respond(
        self, request: Pdu, status: int = CommandStatus.ESME_ROK, **fields: Any
    ) -> None:
        """Answer a peer request with `status` and body `fields` (message_id=...). Raises
        ConnectionClosed when the connection is gone, LocalProtocolError when `request`
        is not awaiting an answer or a field breaks the spec."""
        if self._closed:
            raise ConnectionClosed(self._close_reason, written=False)
        data = self.session.respond(request, status, **fields)
        command_id = request.command_id
        if command_id != CommandId.UNBIND:
            self._answered_one()
        self._write(data)
        if command_id in BINDS:
            self._rearm_timer()  # bound now: enquire_link timer starts
        if self._writer.transport.get_write_buffer_size() > WRITE_HIGH_WATER:
            await self._drain()

    async def unbind(self, timeout: float = 5.0) -> None:
        """Politely unbind: send unbind, wait up to `timeout` for unbind_resp (answers to
        outstanding requests may still arrive meanwhile), then close. Requests still
        queued fail with ConnectionClosed(written=False). If an unbind (ours or the
        peer's) is already under way, wait for it to finish, as long."""
        if self._closed:
            pass
        elif self._unbinding:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._done.wait()
        elif self.session.state.is_bound:
            self._unbinding = True
            self._fail_queue("unbinding")
            future: asyncio.Future[Pdu] = self._loop.create_future()
            self._try_send(Unbind(), future)
            with contextlib.suppress(
                TimeoutError, ConnectionClosed, RequestFailed, LocalProtocolError
            ):
                async with asyncio.timeout(timeout):
                    await future
        await self.close()

    async def close(self) -> None:
        """Close now. Outstanding request futures fail with ConnectionClosed. Called from
        one of this connection's own handlers it does not wait for the end."""
        self._shutdown("closed locally")
        if asyncio.current_task() not in self._tasks:
            await self.wait_closed()

    async def wait_closed(self) -> None:
        await self._done.wait()

    # --- reading -----------------------------------------------------------------------

    async def _read_loop(self) -> None:
        reason = "peer closed the connection"
        try:
            while data := await self._reader.read(READ_SIZE):
                self.session.receive_data(data, time.monotonic())
                await self._take_events()
                if self._closed:
                    return
        except RemoteProtocolError as exc:
            self._write(encode(GenericNack(command_status=exc.status)))
            reason = f"broken framing from peer: {exc}"
        except OSError as exc:
            reason = f"connection error: {exc!r}"
        self._shutdown(reason)

    async def _take_events(self) -> None:
        session = self.session
        while not self._closed:
            if self._pending >= self._max_pending:
                await self._wait_for_room()
                continue
            event = session.next_event()
            if event is NEED_DATA:
                break
            self._dispatch(event)
        self._flush()
        self._rearm_timer()

    async def _wait_for_room(self) -> None:
        """Back-pressure: stop taking events (and reading) until handlers catch up."""
        self._flush()
        self._room.clear()
        await self._room.wait()

    def _dispatch(self, event: Event) -> None:
        if isinstance(event, ResponseReceived):
            self._complete(event.request, event.response)
        elif isinstance(event, RequestReceived):
            self._on_peer_request(event.pdu)
        elif isinstance(event, RequestTimedOut):
            timeout = RequestTimeout("no response within the response timeout", event.request)
            self._complete(event.request, timeout)
        elif isinstance(event, InvalidResponse):
            invalid = InvalidResponseError(event.pdu.reason, event.request, event.pdu)
            self._complete(event.request, invalid)
        elif isinstance(event, InactivityTimeout):
            self._shutdown(f"inactivity: {event.reason}")
        elif isinstance(event, UnexpectedResponse):
            log.warning(  # name and number only: a body may carry credentials
                "smpp unexpected response",
                peer=self.peer,
                command_id=f"0x{event.pdu.command_id:08X}",
                pdu=_pdu_name(event.pdu),
                sequence_number=event.pdu.sequence_number,
                status=status_name(event.pdu.command_status),
            )
        elif isinstance(event, PduRejected):
            log.info(
                "smpp request rejected",
                peer=self.peer,
                command_id=f"0x{event.pdu.command_id:08X}",
                status=status_name(event.status),
            )

    def _complete(self, request: Pdu, outcome: Pdu | Exception) -> None:
        """Resolve the future of one of our requests, then send what the window allows."""
        entry = self._waiters.pop(request.sequence_number, None)
        if entry is not None and not entry[1].done():
            if isinstance(outcome, Exception):
                entry[1].set_exception(outcome)
            else:
                entry[1].set_result(outcome)
        if self._queue:
            self._pump()

    # --- peer requests -----------------------------------------------------------------

    def _on_peer_request(self, pdu: Pdu) -> None:
        command_id = pdu.command_id
        if command_id == CommandId.UNBIND:
            self._spawn(self._answer_unbind(pdu))
            return
        handler = self._on_bind if command_id in BINDS else self._on_request
        if handler is None:  # cannot happen: the state table keeps binds from an SMSC
            handler = _refuse_bind
        if command_id not in NO_RESPONSE:
            self._pending += 1
        self._spawn(self._run_handler(handler, pdu))

    async def _run_handler(self, handler: RequestHandler, pdu: Pdu) -> None:
        try:
            await handler(self, pdu)
        except ConnectionClosed:
            pass
        except Exception:
            log.exception("smpp request handler failed", peer=self.peer, pdu=type(pdu).__name__)
            if pdu.command_id not in NO_RESPONSE:
                with contextlib.suppress(LocalProtocolError, ConnectionClosed):
                    await self.respond(pdu, CommandStatus.ESME_RSYSERR)

    def _answered_one(self) -> None:
        self._pending -= 1
        if self._pending < self._max_pending:
            self._room.set()
        if self._pending == 0 and self._idle is not None and not self._idle.done():
            self._idle.set_result(None)

    async def _answer_unbind(self, pdu: Pdu) -> None:
        """The peer unbinds: let handlers answer what they hold (briefly), then answer."""
        self._unbinding = True
        self._fail_queue("peer unbound")
        if self._pending:
            self._idle = self._loop.create_future()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(UNBIND_DRAIN_TIMEOUT):
                    await self._idle
        with contextlib.suppress(LocalProtocolError, ConnectionClosed):
            await self.respond(pdu)
        self._shutdown("unbound by peer")

    # --- our requests ------------------------------------------------------------------

    def _try_send(self, pdu: Pdu, future: asyncio.Future[Pdu]) -> bool:
        """Write `pdu` now if the window allows (False: it does not, nothing happened)."""
        try:
            request, data = self.session.send_request(pdu, time.monotonic())
        except WindowFullError:
            return False
        except LocalProtocolError as exc:
            future.set_exception(exc)
            return True
        self._write(data)
        if request.command_id in NO_RESPONSE:
            future.set_result(request)
            return True
        self._waiters[request.sequence_number] = (request, future)
        if len(self._waiters) == 1:
            self._rearm_timer()  # the first outstanding request may bring the timer forward
        return True

    def _pump(self) -> None:
        queue = self._queue
        while queue:
            pdu, future = queue[0]
            if not future.done() and not self._try_send(pdu, future):
                return
            queue.popleft()

    def _fail_queue(self, reason: str) -> None:
        while self._queue:
            pdu, future = self._queue.popleft()
            if not future.done():
                future.set_exception(ConnectionClosed(reason, [pdu], written=False))

    # --- writing -----------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        self._out.append(data)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        own = self.session.data_to_send()
        if own:
            self._out.append(own)
        if self._out:
            if not self._writer.is_closing():
                self._writer.write(b"".join(self._out))
            self._out.clear()

    async def _drain(self) -> None:
        with contextlib.suppress(ConnectionError):
            await self._writer.drain()

    # --- timer -------------------------------------------------------------------------

    async def _timer_loop(self) -> None:
        session = self.session
        while not self._closed:
            deadline = session.get_timer()
            now = time.monotonic()
            if deadline is not None and deadline <= now:
                for event in session.handle_timer(now):
                    self._dispatch(event)
                self._flush()
                continue
            self._timer_at = math.inf if deadline is None else deadline
            self._timer_wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(None if deadline is None else deadline - now):
                    await self._timer_wake.wait()

    def _rearm_timer(self) -> None:
        """Wake the timer task when the session's next deadline moved earlier."""
        deadline = self.session.get_timer()
        if deadline is not None and deadline < self._timer_at:
            self._timer_wake.set()

    # --- ending ------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        if self._tg is None or self._closed:
            coro.close()
            return
        task = self._tg.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _shutdown(self, reason: str) -> None:
        """End the connection at once: fail every future, close, cancel the tasks."""
        if self._closed:
            return
        self._closed = True
        self._close_reason = reason
        self.session.close()
        waiters, self._waiters = self._waiters, {}
        for request, future in waiters.values():
            if not future.done():
                future.set_exception(ConnectionClosed(reason, [request]))
        self._fail_queue(reason)
        self._pending = 0
        self._room.set()
        self._timer_wake.set()
        self._flush()
        self._writer.close()
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        log.info(
            "smpp connection closed",
            peer=self.peer,
            system_id=self.system_id,
            reason=reason,
            unanswered=len(waiters),
        )
        if self._on_close is not None:
            self._on_close(self)

    async def _close_transport(self) -> None:
        """Wait for the socket to close; abort it if the peer will not take our bytes."""
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self._writer.wait_closed()
        except TimeoutError:
            self._writer.transport.abort()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        except OSError:
            pass


def _pdu_name(pdu: Pdu | InvalidPdu) -> str:
    if isinstance(pdu, InvalidPdu):
        return "invalid"
    return type(pdu).__name__


async def _refuse_bind(conn: SmppConnection, pdu: Pdu) -> None:
    await conn.respond(pdu, CommandStatus.ESME_RBINDFAIL)
