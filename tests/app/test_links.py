"""Operator links through their ports: a fake connector and inbound sink stand in for the
SMPP adapter and the MO intake; links are stored in a real database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from kodeord.adapters.db.engine import Database
from kodeord.adapters.db.schema import operator_links
from kodeord.app.errors import Conflict, Invalid, NotFound
from kodeord.app.links.operator_links import NoLink, OperatorLinks
from kodeord.app.links.ports import LinkConfig, LinkConnection, RequestHandler
from kodeord.smpp.constants import CommandStatus
from kodeord.smpp.pdu import DataSm, DeliverSm, EnquireLink, Pdu
from kodeord.wiring import make_context
from tests.queue.support import FakeClock, run_with_database

GOOD = LinkConfig("telenor", "127.0.0.1", 2775, "gw", "secret")

PROBLEMS = [
    (GOOD, None),
    (LinkConfig("", "h", 1, "gw", "pw"), "name must be 1 to 64 characters"),
    (LinkConfig("x" * 65, "h", 1, "gw", "pw"), "name must be 1 to 64 characters"),
    (
        LinkConfig("a", "h", 1, "gw", "pw", bind_type="outbind"),
        "bind must be one of transceiver, receiver, transmitter",
    ),
    (LinkConfig("a", "h", 0, "gw", "pw"), "port must be 1 to 65535"),
    (LinkConfig("a", "h", 65536, "gw", "pw"), "port must be 1 to 65535"),
    (LinkConfig("a", "h", 1, "gw", "pw", window=0), "window must be 1 to 1000"),
    (LinkConfig("a", "h", 1, "gw", "pw", window=1001), "window must be 1 to 1000"),
    (LinkConfig("a", "h", 1, "gw", "pw", max_rate=0), "max_rate must be positive"),
    (
        LinkConfig("a", "h", 1, "x" * 16, "pw"),
        "system_id is at most 15 characters and password at most 8 (SMPP 3.4)",
    ),
    (
        LinkConfig("a", "h", 1, "gw", "x" * 9),
        "system_id is at most 15 characters and password at most 8 (SMPP 3.4)",
    ),
    (LinkConfig("a", "h", 65535, "x" * 15, "x" * 8, "receiver", 1000, 0.5), None),
]


@pytest.mark.parametrize(("config", "problem"), PROBLEMS)
def test_a_link_config_names_its_problem(config: LinkConfig, problem: str | None) -> None:
    assert config.problem() == problem


@dataclass
class FakeLink:
    config: LinkConfig
    on_request: RequestHandler
    is_bound: bool = False
    state: str = "stopped"
    started: int = 0

    async def start(self) -> None:
        self.started += 1
        self.state = "connecting"

    async def stop(self) -> None:
        self.state = "stopped"

    async def submit(self, pdu: Pdu, *, timeout: float | None = None) -> Pdu:
        raise AssertionError("not sent in these tests")


@dataclass
class Connector:
    made: list[FakeLink] = field(default_factory=list)

    def __call__(self, config: LinkConfig, on_request: RequestHandler) -> FakeLink:
        link = FakeLink(config, on_request)
        self.made.append(link)
        return link


@dataclass
class Sink:
    status: int = CommandStatus.ESME_ROK
    received: list[tuple[str, DeliverSm | DataSm]] = field(default_factory=list)

    async def receive(self, link: str, pdu: DeliverSm | DataSm) -> int:
        self.received.append((link, pdu))
        return self.status


@dataclass
class Answers:
    sent: list[tuple[Pdu, int, dict[str, Any]]] = field(default_factory=list)

    async def respond(self, request: Pdu, status: int = 0, **fields: Any) -> None:
        self.sent.append((request, status, fields))


def _links(db: Database, sink: Sink, connector: Connector) -> OperatorLinks:
    return OperatorLinks(make_context(db, clock=FakeClock()), sink, connector)


def test_links_are_stored_sealed_and_started_again_from_storage(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        connector = Connector()
        links = _links(db, Sink(), connector)
        view = await links.add(GOOD)
        assert view == {**GOOD.view(), "state": "connecting"}
        with pytest.raises(Conflict):
            await links.add(GOOD)
        with pytest.raises(Invalid):
            await links.add(LinkConfig("bad", "h", 0, "gw", "pw"))
        async with db.read() as conn:
            stored = (await conn.execute(select(operator_links.c.password))).scalar_one()
        assert stored != GOOD.password  # sealed
        await links.stop()

        again = Connector()
        restarted = _links(db, Sink(), again)
        await restarted.start()
        assert [link.config for link in again.made] == [GOOD]  # the password opened
        assert [view["name"] for view in restarted.views()] == ["telenor"]
        await restarted.remove("telenor")
        assert restarted.views() == [] and again.made[0].state == "stopped"
        with pytest.raises(NotFound):
            await restarted.remove("telenor")

    run_with_database(database_url, scenario)


REQUESTS: list[tuple[Pdu, int, int, dict[str, Any], bool]] = [
    # (request from the operator, the sink's answer, status answered, fields, reached sink)
    (DeliverSm(source_addr="4790000000", destination_addr="2000"), 0, 0, {}, True),
    (DeliverSm(source_addr="4790000000"), CommandStatus.ESME_RX_T_APPN, 0x64, {}, True),
    (DataSm(source_addr="4790000000"), 0, 0, {"message_id": ""}, True),
    (EnquireLink(), 0, CommandStatus.ESME_RINVCMDID, {}, False),
]


@pytest.mark.parametrize(("pdu", "answer", "status", "fields", "sunk"), REQUESTS)
def test_what_an_operator_sends_goes_to_the_sink_and_is_answered_on_its_connection(
    database_url: str, pdu: Pdu, answer: int, status: int, fields: dict[str, Any], sunk: bool
) -> None:
    async def scenario(db: Database) -> None:
        sink, connector, answers = Sink(status=answer), Connector(), Answers()
        links = _links(db, sink, connector)
        await links.attach(GOOD)
        conn: LinkConnection = answers
        await connector.made[0].on_request(conn, pdu)
        assert answers.sent == [(pdu, status, fields)]
        assert sink.received == ([("telenor", pdu)] if sunk else [])

    run_with_database(database_url, scenario)


def test_an_outbound_message_goes_to_the_first_bound_link_that_may_send(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        connector = Connector()
        links = _links(db, Sink(), connector)
        for name, bind in [("rx", "receiver"), ("down", "transmitter"), ("a", "transceiver")]:
            await links.attach(LinkConfig(name, "h", 1, "gw", "pw", bind_type=bind))
        with pytest.raises(NoLink):
            links.choose_named()
        receiver, down, first = connector.made
        receiver.is_bound = first.is_bound = True
        assert links.choose_named() == ("a", first)
        down.is_bound = True
        assert links.choose_named() == ("down", down)
        assert links.choose_link() is down

    run_with_database(database_url, scenario)
