"""EsmeClient <-> SmscServer over real TCP on 127.0.0.1: bind, submit, deliver, window,
rate, throttling, back-pressure, and losing the link. Timing assertions are lower bounds
only (a noisy 2-core machine may be slow, never fast); waits are bounded."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time

import pytest
import structlog.testing

from kodeord.adapters.smpp_io import (
    BindRequest,
    ConnectionClosed,
    EsmeClient,
    RequestTimeout,
    ServerLimits,
    SmppConnection,
    SmscServer,
)
from kodeord.smpp.bind_guard import ThrottlePolicy
from kodeord.smpp.constants import CommandStatus
from kodeord.smpp.pdu import DeliverSm, DeliverSmResp, EnquireLink, Pdu, SubmitSm, SubmitSmResp
from kodeord.smpp.session import SessionConfig
from tests.adapters.harness import (
    PASSWORD,
    SYSTEM_ID,
    Acceptor,
    Authenticator,
    async_test,
    esme,
    eventually,
    smsc,
    submit_sm,
)

S = CommandStatus


# --- bind ---------------------------------------------------------------------------


@pytest.mark.parametrize("bind_type", ["transmitter", "receiver", "transceiver"])
@async_test
async def test_bind_is_accepted_with_the_right_password(bind_type: str) -> None:
    auth = Authenticator()
    async with smsc(authenticate=auth) as (server, port), esme(port, bind_type=bind_type) as client:
        assert client.is_bound and client.state == "bound"
        [attempt] = auth.attempts
        assert (attempt.system_id, attempt.password, attempt.bind_type) == (
            SYSTEM_ID,
            "secret",
            bind_type,
        )
        await eventually(lambda: len(server.connections) == 1)
        [conn] = server.connections
        assert (conn.system_id, conn.bind_type, conn.is_bound) == (SYSTEM_ID, bind_type, True)
        receiving = bind_type != "transmitter"
        assert server.bound(SYSTEM_ID) == ([conn] if receiving else [])
        assert server.bound("other") == []


@pytest.mark.parametrize(
    ("system_id", "password", "status"),
    [("shop", "wrong", "ESME_RINVPASWD"), ("nobody", "secret", "ESME_RINVPASWD")],
    ids=["password", "system_id"],
)
@async_test
async def test_refused_bind_is_logged_as_an_error_and_retried(
    system_id: str, password: str, status: str
) -> None:
    """The client reconnects after each refusal (the server closes the connection; an
    unknown system_id gets the same status as a wrong password). No throttle here."""
    auth = Authenticator()
    lenient = ServerLimits(throttle=ThrottlePolicy(failures=1000, free_failures=1000))
    with structlog.testing.capture_logs() as logs:
        async with smsc(authenticate=auth, limits=lenient) as (server, port):
            async with esme(port, system_id=system_id, password=password, bound=False) as client:
                await eventually(lambda: len(auth.attempts) >= 3)
                assert not client.is_bound
                assert client.state in {"connecting", "binding", "backoff"}
                assert server.connections == []
                with pytest.raises(TimeoutError):
                    await client.wait_bound(timeout=0.05)
            assert client.state == "stopped"
    refusals = [e for e in logs if e["event"] == "smpp bind refused" and "peer" not in e]
    assert len(refusals) >= 3  # the client's own reports (the server's carry the peer)
    assert {(e["log_level"], e["status"]) for e in refusals} == {("error", status)}


@async_test
async def test_many_concurrent_binds_of_one_account() -> None:
    count = 20
    inside: list[BindRequest] = []
    all_inside = asyncio.Event()

    async def slow_directory(bind: BindRequest) -> int:
        inside.append(bind)  # held until every bind is being checked at once:
        if len(inside) == count:  # binds handled one at a time would never get here
            all_inside.set()
        await all_inside.wait()
        return S.ESME_ROK

    # The throttle lets a key have at most its tries left (10) checks in flight: lift it.
    lenient = ServerLimits(throttle=ThrottlePolicy(failures=1000, free_failures=1000))
    async with (
        smsc(authenticate=slow_directory, limits=lenient) as (server, port),  # type: ignore[arg-type]
        contextlib.AsyncExitStack() as stack,
    ):
        clients = [EsmeClient("127.0.0.1", port, SYSTEM_ID, PASSWORD) for _ in range(count)]
        for client in clients:
            await client.start()
            stack.push_async_callback(client.stop)
        await asyncio.gather(*(client.wait_bound(timeout=10) for client in clients))
        assert len(server.bound(SYSTEM_ID)) == count
        assert len({conn.peer for conn in server.connections}) == count


@async_test
async def test_on_bound_and_on_closed_see_each_bind_once() -> None:
    seen: list[tuple[str, str]] = []

    async def bound(conn: SmppConnection) -> None:
        seen.append(("bound", conn.system_id))

    def closed(conn: SmppConnection) -> None:  # plain callables work too
        seen.append(("closed", conn.system_id))

    async with smsc(on_bound=bound, on_closed=closed) as (server, port):
        async with esme(port):
            await eventually(lambda: len(seen) == 1)
        await eventually(lambda: len(seen) == 2)
        assert server.connections == []
    assert seen == [("bound", SYSTEM_ID), ("closed", SYSTEM_ID)]


# --- requests both ways ---------------------------------------------------------------


@async_test
async def test_submit_gets_the_message_id_the_handler_gave() -> None:
    acceptor = Acceptor()
    async with smsc(acceptor) as (_, port), esme(port) as client:
        response = await client.submit(submit_sm("first"))
        assert isinstance(response, SubmitSmResp)
        assert (response.command_status, response.message_id) == (S.ESME_ROK, "msg-1")
        [received] = acceptor.received
        assert isinstance(received, SubmitSm) and received.short_message == b"first"


@async_test
async def test_deliver_sm_reaches_the_clients_handler_and_its_answer_comes_back() -> None:
    delivered: list[Pdu] = []

    async def on_deliver(conn: SmppConnection, pdu: Pdu) -> None:
        delivered.append(pdu)
        await conn.respond(pdu, S.ESME_ROK)

    async with smsc() as (server, port), esme(port, on_request=on_deliver):
        await eventually(lambda: len(server.bound(SYSTEM_ID)) == 1)
        [conn] = server.bound(SYSTEM_ID)
        mo = DeliverSm(source_addr="4741234567", destination_addr="2077", short_message=b"PIZZA")
        response = await conn.request(mo)
        assert isinstance(response, DeliverSmResp) and response.command_status == S.ESME_ROK
        [got] = delivered
        assert (got.short_message, got.destination_addr) == (b"PIZZA", "2077")  # type: ignore[attr-defined]


@async_test
async def test_client_without_handler_refuses_deliver_sm_rather_than_ack_it() -> None:
    async with smsc() as (server, port), esme(port):
        await eventually(lambda: len(server.bound(SYSTEM_ID)) == 1)
        [conn] = server.bound(SYSTEM_ID)
        response = await conn.request(DeliverSm(short_message=b"x"))
        assert response.command_status == S.ESME_RX_T_APPN


@async_test
async def test_a_handler_that_raises_is_answered_rsyserr_and_the_link_survives() -> None:
    calls = 0

    async def flaky(conn: SmppConnection, pdu: Pdu) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database is down")
        await conn.respond(pdu, message_id="ok")

    async with smsc(flaky) as (_, port), esme(port) as client:
        assert (await client.submit(submit_sm())).command_status == S.ESME_RSYSERR
        second = await client.submit(submit_sm())
        assert (second.command_status, second.message_id) == (S.ESME_ROK, "ok")  # type: ignore[attr-defined]
        assert client.is_bound


@async_test
async def test_enquire_link_is_answered_without_the_handler() -> None:
    acceptor = Acceptor()
    async with smsc(acceptor) as (_, port), esme(port) as client:
        conn = client.connection
        assert conn is not None
        response = await conn.request(EnquireLink())
        assert response.command_status == S.ESME_ROK and acceptor.received == []


# --- window, rate, throttling -----------------------------------------------------------


class Holder:
    """Holds submit_sm answers until `batch` are pending plus a settling pause (so any
    request beyond the window would arrive meanwhile), then answers them all.
    `max_outstanding` is the most requests ever received and not yet answered."""

    def __init__(self, batch: int, settle: float = 0.03) -> None:
        self.batch = batch
        self.settle = settle
        self.held: list[Pdu] = []
        self.outstanding = 0
        self.max_outstanding = 0
        self._release = asyncio.Event()

    async def __call__(self, conn: SmppConnection, pdu: Pdu) -> None:
        self.outstanding += 1
        self.max_outstanding = max(self.max_outstanding, self.outstanding)
        self.held.append(pdu)
        release = self._release
        if len(self.held) == self.batch:
            await asyncio.sleep(self.settle)
            self.held = []
            self._release = asyncio.Event()
            release.set()
        await release.wait()
        self.outstanding -= 1
        await conn.respond(pdu, message_id=str(pdu.sequence_number))

    def answer_all_from_now_on(self) -> None:
        self._release.set()
        self.held, self.batch = [], 1


@pytest.mark.parametrize("window", [1, 10, 32])
@async_test
async def test_window_of_n_keeps_exactly_n_requests_outstanding(window: int) -> None:
    holder = Holder(batch=window)
    async with smsc(holder) as (_, port), esme(port, window=window) as client:
        responses = await asyncio.gather(*(client.submit(submit_sm()) for _ in range(3 * window)))
    assert holder.max_outstanding == window  # window of them at once, never one more
    assert [r.command_status for r in responses] == [S.ESME_ROK] * (3 * window)


@async_test
async def test_rate_limit_spaces_messages() -> None:
    async with smsc() as (_, port), esme(port, max_rate=50, window=50) as client:
        started = time.monotonic()
        await asyncio.gather(*(client.submit(submit_sm()) for _ in range(25)))
        assert time.monotonic() - started >= 0.4  # 24 gaps of 20 ms (0.48 s)


@async_test
async def test_throttled_answers_pause_sending_doubling_then_resetting() -> None:
    statuses = [S.ESME_RTHROTTLED, S.ESME_RTHROTTLED]  # the first two submits are throttled
    sent_at: list[float] = []

    async def throttling(conn: SmppConnection, pdu: Pdu) -> None:
        sent_at.append(time.monotonic())
        await conn.respond(pdu, statuses.pop(0) if statuses else S.ESME_ROK)

    async with smsc(throttling) as (_, port), esme(port, throttle_backoff=0.2) as client:
        results = [(await client.submit(submit_sm())).command_status for _ in range(4)]
    assert results == [S.ESME_RTHROTTLED, S.ESME_RTHROTTLED, S.ESME_ROK, S.ESME_ROK]
    gaps = [b - a for a, b in itertools.pairwise(sent_at)]
    assert gaps[0] >= 0.19  # paused throttle_backoff
    assert gaps[1] >= 0.39  # a repeat doubles (the reset is in test_pacing.py)


@async_test
async def test_a_throttle_pauses_every_caller() -> None:
    throttled = asyncio.Event()
    sent_at: list[float] = []

    async def throttle_first(conn: SmppConnection, pdu: Pdu) -> None:
        sent_at.append(time.monotonic())
        first = not throttled.is_set()
        throttled.set()
        await conn.respond(pdu, S.ESME_RTHROTTLED if first else S.ESME_ROK)

    async with smsc(throttle_first) as (_, port), esme(port, throttle_backoff=0.3) as client:
        await client.submit(submit_sm())
        paused_at = time.monotonic()
        await asyncio.gather(*(client.submit(submit_sm()) for _ in range(5)))
    assert all(t >= paused_at + 0.25 for t in sent_at[1:])


# --- back-pressure ------------------------------------------------------------------------


@async_test
async def test_back_pressure_limits_pending_requests_and_loses_nothing() -> None:
    active = 0
    max_active = 0
    seen: list[bytes] = []

    async def slow(conn: SmppConnection, pdu: Pdu) -> None:
        nonlocal active, max_active
        active += 1
        max_active = max(max_active, active)
        seen.append(pdu.short_message)  # type: ignore[attr-defined]
        await asyncio.sleep(0.005)
        active -= 1
        await conn.respond(pdu, message_id=pdu.short_message.decode())  # type: ignore[attr-defined]

    async with smsc(slow, max_pending_requests=4) as (_, port), esme(port, window=50) as client:
        texts = [str(i) for i in range(200)]
        responses = await asyncio.gather(*(client.submit(submit_sm(t)) for t in texts))
    assert max_active == 4  # the reader stopped at four unanswered requests
    assert sorted(seen) == sorted(t.encode() for t in texts)  # each exactly once
    assert [r.message_id for r in responses] == texts  # type: ignore[attr-defined]


# --- timeouts -------------------------------------------------------------------------------


async def never_answer(conn: SmppConnection, pdu: Pdu) -> None:
    await asyncio.Event().wait()


@async_test
async def test_unanswered_request_times_out_with_the_request_and_frees_its_slot() -> None:
    config = SessionConfig(response_timeout=0.2)
    async with (
        smsc(never_answer) as (_, port),
        esme(port, window=1, session_config=config) as client,
    ):
        started = time.monotonic()
        with pytest.raises(RequestTimeout) as caught:
            await client.submit(submit_sm("lost"))
        assert time.monotonic() - started >= 0.19
        assert caught.value.request.short_message == b"lost"  # type: ignore[attr-defined]
        with pytest.raises(RequestTimeout):  # the window slot came back
            await client.submit(submit_sm("again"))


@async_test
async def test_callers_timeout_gives_up_without_blocking_the_window() -> None:
    answers = [asyncio.Event()]

    async def answer_when_told(conn: SmppConnection, pdu: Pdu) -> None:
        await answers[0].wait()
        await conn.respond(pdu, message_id="late")

    async with smsc(answer_when_told) as (_, port), esme(port, window=1) as client:
        with pytest.raises(TimeoutError):
            await client.submit(submit_sm(), timeout=0.1)
        answers[0].set()  # the late answer is dropped and frees the slot
        response = await client.submit(submit_sm(), timeout=5)
        assert response.message_id == "late"  # type: ignore[attr-defined]


@async_test
async def test_enquire_link_keeps_a_quiet_link_alive() -> None:
    server_config = SessionConfig(inactivity_timeout=0.6, enquire_link_interval=None)
    client_config = SessionConfig(enquire_link_interval=0.1)
    async with (
        smsc(session_config=server_config) as (_, port),
        esme(port, session_config=client_config) as client,
    ):
        conn = client.connection
        await asyncio.sleep(1.5)  # 2.5 inactivity timeouts, kept alive by enquire_link
        assert client.connection is conn and client.is_bound


@async_test
async def test_silent_peer_is_dropped_and_the_client_reconnects() -> None:
    server_config = SessionConfig(inactivity_timeout=0.2)
    client_config = SessionConfig(enquire_link_interval=None)
    reasons: list[str] = []
    async with (
        smsc(session_config=server_config, on_closed=lambda c: reasons.append(c.close_reason)) as (
            _,
            port,
        ),
        esme(port, session_config=client_config) as client,
    ):
        first = client.connection
        await eventually(lambda: client.connection not in (None, first) and client.is_bound)
        assert first is not None and first.close_reason == "peer closed the connection"
        assert reasons[0].startswith("inactivity: nothing received for 0.2 s")


# --- losing the link ------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["stop", "abort"])
@async_test
async def test_link_lost_mid_flight_fails_pending_submits_then_reconnects(how: str) -> None:
    holder = Holder(batch=1000)  # holds every answer
    async with smsc(holder) as (server, port), esme(port, window=10) as client:
        submits = [asyncio.create_task(client.submit(submit_sm(str(i)))) for i in range(15)]
        await eventually(lambda: len(holder.held) == 10)
        if how == "stop":
            await server.stop()
        else:
            for conn in list(server.connections):
                await conn.close()
        results = await asyncio.gather(*submits[:10], return_exceptions=True)
        for i, result in enumerate(results):
            assert isinstance(result, ConnectionClosed), result
            [request] = result.unanswered
            assert result.written and request.short_message == str(i).encode()  # type: ignore[attr-defined]
        assert not any(t.done() for t in submits[10:])  # never sent: waiting for a bind

        if how == "stop":
            replacement = SmscServer(
                "127.0.0.1", port, authenticate=Authenticator(), on_request=Acceptor()
            )
            await replacement.start()
        holder.answer_all_from_now_on()  # the "abort" server is still up
        try:
            await client.wait_bound(timeout=5)
            late = await asyncio.gather(*submits[10:])
            assert [r.command_status for r in late] == [S.ESME_ROK] * 5
            assert (await client.submit(submit_sm())).command_status == S.ESME_ROK
        finally:
            if how == "stop":
                await replacement.stop()


@async_test
async def test_server_stop_unbinds_every_client() -> None:
    async with smsc() as (server, port), esme(port) as first, esme(port) as second:
        await eventually(lambda: len(server.connections) == 2)
        links = [first.connection, second.connection]
        await server.stop()
        assert server.connections == []
        for client, link in zip((first, second), links, strict=True):
            assert link is not None and link.close_reason == "unbound by peer"  # answered it
            assert not client.is_bound
            with pytest.raises(TimeoutError):  # nobody listens any more
                await client.wait_bound(timeout=0.1)


@async_test
async def test_client_stop_unbinds_and_fails_waiting_submits() -> None:
    async with smsc() as (server, port):
        async with esme(port) as client:
            await eventually(lambda: len(server.connections) == 1)
        assert client.state == "stopped"
        await eventually(lambda: server.connections == [])
        with pytest.raises(ConnectionClosed) as caught:
            await client.submit(submit_sm())
        assert not caught.value.written
