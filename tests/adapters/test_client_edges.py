"""EsmeClient at the edges: no listener yet, an SMSC that nacks the bind or answers with
garbage, requests the bind type forbids, and the send_nowait() fast path. The odd SMSCs
are scripted raw TCP servers on 127.0.0.1 (our codec for the bytes)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from kodeord.adapters.smpp_io import InvalidResponseError, SmscServer
from kodeord.smpp.codec import PduReader, encode
from kodeord.smpp.constants import CommandStatus
from kodeord.smpp.errors import LocalProtocolError
from kodeord.smpp.pdu import (
    BindReceiver,
    BindTransceiver,
    BindTransmitter,
    GenericNack,
    InvalidPdu,
    Pdu,
    SubmitSm,
    Unbind,
    UnbindResp,
    make_response,
)
from tests.adapters.harness import Acceptor, Authenticator, async_test, esme, eventually, submit_sm

S = CommandStatus
Script = Callable[[Pdu | InvalidPdu], Awaitable[bytes | None]]


@contextlib.asynccontextmanager
async def scripted_smsc(script: Script) -> AsyncIterator[tuple[int, list[Pdu | InvalidPdu]]]:
    """A raw SMSC: every PDU received goes to `script`, whose bytes are written back
    (None: hang up). Yields the port and the list of PDUs received."""
    received: list[Pdu | InvalidPdu] = []
    writers: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        frames = PduReader()
        while data := await reader.read(65536):
            frames.feed(data)
            while (pdu := frames.read()) is not None:
                received.append(pdu)
                answer = await script(pdu)
                if answer is None:
                    writer.close()
                    return
                writer.write(answer)
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], received
    finally:
        server.close()
        for writer in writers:
            writer.close()
        await server.wait_closed()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@async_test
async def test_refused_tcp_connect_backs_off_until_a_server_listens() -> None:
    port = free_port()
    async with esme(port, bound=False) as client:
        await eventually(lambda: client.state == "backoff")
        assert not client.is_bound
        server = SmscServer("127.0.0.1", port, authenticate=Authenticator(), on_request=Acceptor())
        await server.start()
        try:
            await client.wait_bound(timeout=5)
            assert (await client.submit(submit_sm())).command_status == S.ESME_ROK
        finally:
            await server.stop()


@async_test
async def test_bind_answered_with_generic_nack_is_retried() -> None:
    async def nack(pdu: Pdu | InvalidPdu) -> bytes:
        return encode(GenericNack(pdu.sequence_number, S.ESME_RINVCMDID))

    async with scripted_smsc(nack) as (port, received), esme(port, bound=False) as client:
        await eventually(lambda: len(received) >= 3)
        assert not client.is_bound
        assert {type(p).__name__ for p in received} == {"BindTransceiver"}


def bind_then(answer: Callable[[Pdu | InvalidPdu], bytes]) -> Script:
    """Accept any bind and unbind, answer everything else with `answer(pdu)`."""

    async def script(pdu: Pdu | InvalidPdu) -> bytes:
        if isinstance(pdu, BindTransmitter | BindReceiver | BindTransceiver):
            return encode(make_response(pdu, S.ESME_ROK, system_id="raw"))
        if isinstance(pdu, Unbind):
            return encode(UnbindResp(pdu.sequence_number))
        return answer(pdu)

    return script


@async_test
async def test_undecodable_response_fails_the_request_with_it() -> None:
    def truncated_submit_sm_resp(pdu: Pdu | InvalidPdu) -> bytes:
        body = b"no-terminating-nul"  # message_id without its NUL: a broken body
        return struct.pack(">IIII", 16 + len(body), 0x80000004, 0, pdu.sequence_number) + body

    script = bind_then(truncated_submit_sm_resp)
    async with scripted_smsc(script) as (port, _), esme(port) as client:
        with pytest.raises(InvalidResponseError) as caught:
            await client.submit(submit_sm("garbled"))
        assert caught.value.request.short_message == b"garbled"  # type: ignore[attr-defined]
        assert caught.value.pdu.reply_status == S.ESME_RINVCMDLEN
        assert client.is_bound  # a bad body is not broken framing: the link stays


@async_test
async def test_submit_on_a_receiver_bind_is_a_local_error() -> None:
    async with scripted_smsc(bind_then(lambda pdu: b"")) as (port, received):
        received.clear()
        async with esme(port, bind_type="receiver") as client:
            with pytest.raises(LocalProtocolError):
                await client.submit(submit_sm())
        assert not any(isinstance(p, SubmitSm) for p in received)  # nothing left


@async_test
async def test_send_nowait_pipelines_without_tasks() -> None:
    acceptor = Acceptor()
    server = SmscServer("127.0.0.1", 0, authenticate=Authenticator(), on_request=acceptor)
    _, port = await server.start()
    try:
        async with esme(port, window=5) as client:
            conn = client.connection
            assert conn is not None
            futures = [conn.send_nowait(submit_sm(str(i))) for i in range(12)]
            assert conn.session.in_flight == 5  # the window, the rest queued in order
            responses = await asyncio.gather(*futures)
        assert [r.message_id for r in responses] == [f"msg-{i}" for i in range(1, 13)]  # type: ignore[attr-defined]
        assert [p.short_message for p in acceptor.received] == [str(i).encode() for i in range(12)]  # type: ignore[attr-defined]
    finally:
        await server.stop()
