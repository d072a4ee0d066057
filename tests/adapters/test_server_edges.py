"""SmscServer against a hand-driven raw TCP peer: what reaches the wire at the edges
(broken framing, requests before bind, unbind while handlers still hold requests). A
refused bind closes the connection: see test_server_hardening.py. The raw peer writes
PDUs with our codec and reads them back."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator

import pytest

from kodeord.adapters.smpp_io import SmppConnection
from kodeord.smpp.codec import PduReader, encode
from kodeord.smpp.constants import CommandStatus
from kodeord.smpp.pdu import (
    BindTransceiver,
    BindTransceiverResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    InvalidPdu,
    Pdu,
    SubmitSm,
    SubmitSmResp,
    Unbind,
    UnbindResp,
)
from tests.adapters.harness import PASSWORD, SYSTEM_ID, async_test, smsc

S = CommandStatus


class RawPeer:
    """A bare TCP peer: send PDUs (numbered by hand), read PDUs, see EOF."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.pdus = PduReader()

    def send(self, *pdus: Pdu) -> None:
        self.writer.write(b"".join(encode(p) for p in pdus))

    async def read(self) -> Pdu | InvalidPdu:
        async with asyncio.timeout(5):
            while (pdu := self.pdus.read()) is None:
                data = await self.reader.read(65536)
                assert data, "connection closed while waiting for a PDU"
                self.pdus.feed(data)
        return pdu

    async def at_eof(self) -> bool:
        async with asyncio.timeout(5):
            return await self.reader.read(65536) == b"" and self.pdus.buffered == 0

    async def bind(self, password: str = PASSWORD, sequence: int = 1) -> Pdu | InvalidPdu:
        self.send(BindTransceiver(sequence, system_id=SYSTEM_ID, password=password))
        return await self.read()


@contextlib.asynccontextmanager
async def raw_peer(port: int) -> AsyncIterator[RawPeer]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield RawPeer(reader, writer)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


@async_test
async def test_broken_framing_gets_generic_nack_then_close() -> None:
    async with smsc() as (_server, port), raw_peer(port) as peer:
        peer.writer.write(struct.pack(">IIII", 5, 0x15, 0, 1))  # command_length 5 < 16
        nack = await peer.read()
        assert isinstance(nack, GenericNack) and nack.command_status == S.ESME_RINVCMDLEN
        assert await peer.at_eof()


@pytest.mark.parametrize(
    ("request_pdu", "answer"),
    [
        (SubmitSm(7, short_message=b"early"), SubmitSmResp(7, S.ESME_RINVBNDSTS)),
        (EnquireLink(8), EnquireLinkResp(8, S.ESME_ROK)),  # legal before bind
    ],
    ids=["submit_sm", "enquire_link"],
)
@async_test
async def test_before_bind_only_bind_and_enquire_link_are_served(
    request_pdu: Pdu, answer: Pdu
) -> None:
    handled: list[Pdu] = []

    async def handler(conn: SmppConnection, pdu: Pdu) -> None:
        handled.append(pdu)
        await conn.respond(pdu, message_id="x")

    async with smsc(handler) as (_, port), raw_peer(port) as peer:
        peer.send(request_pdu)
        assert await peer.read() == answer
        bound = await peer.bind(sequence=9)
        assert bound == BindTransceiverResp(9, S.ESME_ROK, system_id="kodeord")
    assert handled == []


@async_test
async def test_unknown_command_gets_generic_nack_and_the_link_stays() -> None:
    async with smsc() as (_, port), raw_peer(port) as peer:
        await peer.bind()
        peer.writer.write(struct.pack(">IIII", 16, 0x00000099, 0, 5))
        assert await peer.read() == GenericNack(5, S.ESME_RINVCMDID)
        peer.send(EnquireLink(6))
        assert await peer.read() == EnquireLinkResp(6)


@async_test
async def test_authenticator_that_raises_refuses_with_bindfail() -> None:
    async def broken(bind: object) -> int:
        raise RuntimeError("directory down")

    async with smsc(authenticate=broken) as (server, port), raw_peer(port) as peer:  # type: ignore[arg-type]
        assert await peer.bind() == BindTransceiverResp(1, S.ESME_RBINDFAIL)
        assert server.connections == []


@async_test
async def test_peer_unbind_lets_handlers_answer_first_then_closes() -> None:
    async def slow(conn: SmppConnection, pdu: Pdu) -> None:
        await asyncio.sleep(0.1)  # storing ...
        await conn.respond(pdu, message_id="stored")

    async with smsc(slow) as (server, port), raw_peer(port) as peer:
        await peer.bind()
        peer.send(SubmitSm(2, short_message=b"a"), Unbind(3))
        assert await peer.read() == SubmitSmResp(2, S.ESME_ROK, message_id="stored")
        assert await peer.read() == UnbindResp(3)
        assert await peer.at_eof()
        assert server.connections == []


@async_test
async def test_server_stop_sends_unbind_and_closes_after_the_answer() -> None:
    async with smsc() as (server, port), raw_peer(port) as peer:
        await peer.bind()
        stopping = asyncio.create_task(server.stop())
        unbind = await peer.read()
        assert isinstance(unbind, Unbind)
        assert not stopping.done()
        peer.send(UnbindResp(unbind.sequence_number))
        async with asyncio.timeout(5):
            await stopping
        assert await peer.at_eof()
