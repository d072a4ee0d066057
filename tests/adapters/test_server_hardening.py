"""SmscServer against hostile peers over real TCP on loopback: password guessing (throttle,
lockout, one bind per connection, one refusal status), connection floods (caps), peers
that never bind or trickle a PDU (deadlines), and what reaches the log (aggregated
refusals, no credentials). 127.0.0.2 is a second peer address (all of 127/8 is loopback)."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator
from typing import Any

import pytest
import structlog

from kodeord.adapters.smpp_io import ServerLimits
from kodeord.smpp.bind_guard import ThrottlePolicy
from kodeord.smpp.codec import encode
from kodeord.smpp.constants import CommandStatus
from kodeord.smpp.pdu import BindTransceiver, BindTransceiverResp, EnquireLinkResp, SubmitSm
from kodeord.smpp.session import SessionConfig
from tests.adapters.harness import PASSWORD, SYSTEM_ID, Acceptor, Authenticator, async_test, smsc
from tests.adapters.test_server_edges import RawPeer

S = CommandStatus
NO_BACKOFF = ThrottlePolicy(failures=1000, free_failures=1000)


def limits(**changes: Any) -> ServerLimits:
    return ServerLimits(**{"throttle": NO_BACKOFF, **changes})


@contextlib.asynccontextmanager
async def peer_from(port: int, source: str = "127.0.0.1") -> AsyncIterator[RawPeer]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    try:
        yield RawPeer(reader, writer)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def bind_once(
    port: int, system_id: str = SYSTEM_ID, password: str = PASSWORD, source: str = "127.0.0.1"
) -> int:
    """Bind on a fresh connection; the status (the connection must then end if refused)."""
    async with peer_from(port, source) as peer:
        peer.send(BindTransceiver(1, system_id=system_id, password=password))
        answer = await peer.read()
        assert isinstance(answer, BindTransceiverResp)
        if answer.command_status != S.ESME_ROK:
            assert await peer.at_eof(), "a refused bind must close the connection"
        return answer.command_status


# --- password guessing -----------------------------------------------------------------


@async_test
async def test_a_refused_bind_is_answered_then_the_connection_closes() -> None:
    auth = Authenticator()
    async with smsc(authenticate=auth) as (_server, port), peer_from(port) as peer:
        peer.send(BindTransceiver(1, system_id=SYSTEM_ID, password="nope"))
        assert await peer.read() == BindTransceiverResp(1, S.ESME_RINVPASWD)
        with contextlib.suppress(ConnectionError):  # the retry meets a closed socket
            peer.send(BindTransceiver(2, system_id=SYSTEM_ID, password=PASSWORD))
        assert await peer.at_eof()
    assert [a.password for a in auth.attempts] == ["nope"]


@pytest.mark.parametrize(
    ("system_id", "password"),
    [(SYSTEM_ID, "wrong"), ("nobody", PASSWORD), ("nobody", "wrong")],
    ids=["wrong password", "unknown system_id", "both"],
)
@async_test
async def test_unknown_account_and_wrong_password_get_the_same_refusal(
    system_id: str, password: str
) -> None:
    async with smsc() as (_, port):  # the authenticator says RINVSYSID for "nobody"
        assert await bind_once(port, system_id, password) == S.ESME_RINVPASWD


@async_test
async def test_many_wrong_passwords_then_the_right_one_is_refused_unchecked() -> None:
    """With the default limits: a few free tries, then backoff and lockout; the right
    password after a run of wrong ones is refused without being checked."""
    auth = Authenticator()
    async with smsc(authenticate=auth) as (_, port):
        statuses = [await bind_once(port, password=f"guess{i}") for i in range(30)]
        assert await bind_once(port) == S.ESME_RBINDFAIL
    assert statuses[:4] == [S.ESME_RINVPASWD] * 4  # 3 free failures, the 4th earns a wait
    assert set(statuses[4:]) == {S.ESME_RBINDFAIL}  # backoff: refused, not checked
    assert len(auth.attempts) == 4


@async_test
async def test_lockout_per_account_holds_from_every_address() -> None:
    policy = ThrottlePolicy(failures=3, free_failures=3, lockout=60.0)
    auth = Authenticator()
    async with smsc(authenticate=auth, limits=limits(throttle=policy)) as (_, port):
        for i in range(3):
            assert await bind_once(port, password=f"guess{i}") == S.ESME_RINVPASWD
        assert await bind_once(port, source="127.0.0.2") == S.ESME_RBINDFAIL  # shop: locked
        assert await bind_once(port, "other", "pw2", source="127.0.0.2") == S.ESME_ROK
    assert len(auth.attempts) == 4


@async_test
async def test_lockout_per_address_holds_for_every_account() -> None:
    policy = ThrottlePolicy(failures=3, free_failures=3, lockout=60.0)
    async with smsc(limits=limits(throttle=policy)) as (_, port):
        for name in ("a", "b", "c"):  # three accounts, one guess each: the address is locked
            assert await bind_once(port, name, "x") == S.ESME_RINVPASWD
        assert await bind_once(port) == S.ESME_RBINDFAIL
        assert await bind_once(port, source="127.0.0.2") == S.ESME_ROK


@async_test
async def test_a_burst_of_simultaneous_guesses_gets_no_more_checks_than_the_limit() -> None:
    policy = ThrottlePolicy(failures=5, free_failures=5)
    auth = Authenticator(delay=0.05)  # every check in flight while the others arrive
    async with smsc(authenticate=auth, limits=limits(throttle=policy)) as (_, port):
        statuses = await asyncio.gather(*(bind_once(port, password=f"g{i}") for i in range(25)))
    assert sorted(statuses).count(S.ESME_RINVPASWD) == 5
    assert len(auth.attempts) == 5


# --- connection floods -----------------------------------------------------------------


@async_test
async def test_connections_over_the_per_ip_cap_are_closed_at_once() -> None:
    async with smsc(limits=limits(max_connections_per_ip=3)) as (_, port):
        async with contextlib.AsyncExitStack() as stack:
            peers = [await stack.enter_async_context(peer_from(port)) for _ in range(3)]
            async with peer_from(port) as extra:
                assert await extra.at_eof()  # closed before it sent anything
            async with peer_from(port, "127.0.0.2") as elsewhere:
                elsewhere.send(BindTransceiver(1, system_id=SYSTEM_ID, password=PASSWORD))
                assert (await elsewhere.read()).command_status == S.ESME_ROK
            for i, peer in enumerate(peers):
                assert (await peer.bind(sequence=i + 1)).command_status == S.ESME_ROK
        assert await bind_once(port) == S.ESME_ROK  # room again once they left


@async_test
async def test_connections_over_the_total_cap_are_closed_at_once() -> None:
    async with (
        smsc(limits=limits(max_connections=2)) as (_, port),
        peer_from(port) as one,
        peer_from(port, "127.0.0.2") as two,
    ):
        assert (await one.bind()).command_status == S.ESME_ROK
        assert (await two.bind()).command_status == S.ESME_ROK
        async with peer_from(port, "127.0.0.3") as third:
            assert await third.at_eof()


# --- deadlines ----------------------------------------------------------------------------


@async_test
async def test_a_connection_that_never_binds_is_closed_after_the_bind_timeout() -> None:
    async with smsc(limits=limits(bind_timeout=0.3)) as (_, port), peer_from(port) as peer:
        peer.writer.write(struct.pack(">IIII", 16, 0x15, 0, 1))  # enquire_link: not a bind
        assert await peer.read() == EnquireLinkResp(1)
        started = asyncio.get_running_loop().time()
        assert await peer.at_eof()
        assert asyncio.get_running_loop().time() - started < 4.0


@async_test
async def test_a_pdu_trickled_octet_by_octet_is_cut_off() -> None:
    """One octet every 50 ms keeps a 0.5 s inactivity timer quiet forever; the PDU
    deadline closes the connection instead, and the half PDU reaches no handler."""
    acceptor = Acceptor()
    quiet = SessionConfig(inactivity_timeout=0.5, enquire_link_interval=None)
    async with (
        smsc(acceptor, session_config=quiet, limits=limits(pdu_timeout=0.5)) as (server, port),
        peer_from(port) as peer,
    ):
        await peer.bind()
        frame = encode(SubmitSm(2, short_message=b"x" * 100))
        closed = False
        started = asyncio.get_running_loop().time()
        for octet in frame:
            try:
                peer.writer.write(bytes([octet]))
                await peer.writer.drain()
            except ConnectionError:
                closed = True
                break
            if peer.reader.at_eof() or await _closed_within(peer, 0.05):
                closed = True
                break
        assert closed, "the trickling peer was never cut off"
        assert asyncio.get_running_loop().time() - started < 3.0
        assert server.connections == [] and acceptor.received == []


async def _closed_within(peer: RawPeer, seconds: float) -> bool:
    """Did the server close (or reset) the connection within `seconds`, sending nothing?"""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            try:
                return await peer.reader.read(65536) == b""
            except ConnectionResetError:  # aborted at once: a reset
                return True
    return False


# --- the log --------------------------------------------------------------------------------


@async_test
async def test_refused_binds_are_logged_once_per_interval_with_a_count() -> None:
    with structlog.testing.capture_logs() as logs:
        async with smsc(limits=limits(refusal_log_interval=30.0)) as (_, port):
            for i in range(12):
                assert await bind_once(port, password=f"guess{i}") == S.ESME_RINVPASWD
            assert await bind_once(port, "nobody") == S.ESME_RINVPASWD
    refused = [e for e in logs if e["event"] == "smpp bind refused"]
    assert [(e["system_id"], e["status"]) for e in refused] == [
        (SYSTEM_ID, "ESME_RINVPASWD"),
        ("nobody", "ESME_RINVPASWD"),
    ]
    (tally,) = [e for e in logs if e["event"] == "smpp bind refusals"]
    assert (tally["system_id"], tally["peer_ip"], tally["count"]) == (SYSTEM_ID, "127.0.0.1", 11)


@async_test
async def test_no_password_reaches_the_log() -> None:
    """A bind refused, an undecodable bind, and a bind body sent as a stray response."""
    secret = "Hemmelig"
    body = encode(BindTransceiver(system_id=SYSTEM_ID, password=secret))[16:]
    with structlog.testing.capture_logs() as logs:
        async with smsc() as (_, port):
            assert await bind_once(port, password=secret) == S.ESME_RINVPASWD
            async with peer_from(port) as peer:
                await peer.bind()
                for command_id in (0x80000009, 0x800000F0):  # bind_transceiver_resp, unknown
                    peer.writer.write(struct.pack(">IIII", 16 + len(body), command_id, 0, 77))
                    peer.writer.write(body)
                peer.writer.write(struct.pack(">IIII", 16 + len(body) - 1, 0x09, 0, 78))
                peer.writer.write(body[:-1])  # a bind whose last field lost its NUL
                await peer.read()  # the session's answer to that bind (already bound)
    assert any(e["event"] == "smpp unexpected response" for e in logs)
    assert secret not in repr(logs)


@async_test
async def test_a_burst_of_good_binds_of_one_account_all_bind_with_the_default_limits() -> None:
    """More simultaneous binds than the account has tries: the rest wait, none refused."""
    auth = Authenticator(delay=0.02)
    async with smsc(authenticate=auth) as (server, port), contextlib.AsyncExitStack() as stack:
        peers = [await stack.enter_async_context(peer_from(port)) for _ in range(25)]
        for i, peer in enumerate(peers):
            peer.send(BindTransceiver(i + 1, system_id=SYSTEM_ID, password=PASSWORD))
        answers = [await peer.read() for peer in peers]
        assert {a.command_status for a in answers} == {S.ESME_ROK}
        assert len(server.bound(SYSTEM_ID)) == 25


@async_test
async def test_the_default_per_ip_cap_admits_fifty() -> None:
    async with smsc() as (_, port), contextlib.AsyncExitStack() as stack:
        peers = [await stack.enter_async_context(peer_from(port)) for _ in range(60)]
        for peer in peers:
            peer.send(BindTransceiver(1, system_id=SYSTEM_ID, password=PASSWORD))
        served = 0
        for peer in peers:
            if not await _closed_within(peer, 2.0):
                served += 1
        assert served == 50
