"""Operator links: one ESME bind per configured link, kept up while the gateway runs.

Links come from the `operator_links` table (admin API `POST /v1/operator-links`) and
start when the gateway starts or when added; their passwords are stored sealed
(adapters/secretbox.py) and opened as the links start. Each MO or receipt an operator
sends is stored by the `InboundReceiver` before it is acknowledged. Outbound messages go to a
link chosen by `choose_link` — today the first bound link that can send, by id; the
one place to add rules (by number, by operator) later.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import structlog

from kodeord.adapters.db import messages as repo
from kodeord.adapters.smpp_io import EsmeClient, SmppConnection
from kodeord.app.context import Context
from kodeord.app.errors import Conflict, Invalid, NotFound
from kodeord.app.metrics import METRICS
from kodeord.app.mo.intake import InboundReceiver
from kodeord.smpp.constants import CommandStatus
from kodeord.smpp.pdu import DataSm, DeliverSm, Pdu

log = structlog.get_logger(__name__)
BIND_TYPES = ("transceiver", "receiver", "transmitter")


class NoLink(Exception):
    """No operator link is bound and able to send right now."""


@dataclass(frozen=True, slots=True)
class LinkConfig:
    name: str
    host: str
    port: int
    system_id: str
    password: str
    bind_type: str = "transceiver"
    window: int = 10
    max_rate: float | None = None

    def problem(self) -> str | None:
        if not 1 <= len(self.name) <= 64:
            return "name must be 1 to 64 characters"
        if self.bind_type not in BIND_TYPES:
            return f"bind must be one of {', '.join(BIND_TYPES)}"
        if not 1 <= self.port <= 65535:
            return "port must be 1 to 65535"
        if not 1 <= self.window <= 1000:
            return "window must be 1 to 1000"
        if self.max_rate is not None and self.max_rate <= 0:
            return "max_rate must be positive"
        if len(self.system_id) > 15 or len(self.password) > 8:
            return "system_id is at most 15 characters and password at most 8 (SMPP 3.4)"
        return None

    def view(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "host": self.host,
            "port": self.port,
            "system_id": self.system_id,
            "bind": self.bind_type,
            "window": self.window,
            "max_rate": self.max_rate,
        }


class OperatorLinks:
    def __init__(self, ctx: Context, receiver: InboundReceiver) -> None:
        self.ctx = ctx
        self.receiver = receiver
        self.clients: dict[str, EsmeClient] = {}
        self.configs: dict[str, LinkConfig] = {}

    async def start(self) -> None:
        async with self.ctx.db.read() as conn:
            rows = await repo.list_links(conn)
        for row in rows:
            if row.enabled:
                await self._start(_config(row, self.ctx.secret_box.open(row.password)))

    async def stop(self) -> None:
        await asyncio.gather(*(client.stop() for client in self.clients.values()))
        self.clients.clear()

    async def add(self, config: LinkConfig) -> dict[str, Any]:
        problem = config.problem()
        if problem is not None:
            raise Invalid("invalid_link", problem)
        values = {
            **_values(config, self.ctx.secret_box.seal(config.password)),
            "enabled": True,
            "created_at": self.ctx.clock(),
        }
        async with self.ctx.db.transaction() as conn:
            if not await repo.insert_link(conn, values):
                raise Conflict("link_exists", f"a link named {config.name} exists")
        await self._start(config)
        return self.view(config.name)

    async def attach(self, config: LinkConfig) -> None:
        """Run a link that is not stored (the embedded simulator's: its address may change
        from one start to the next)."""
        await self._start(config)

    async def remove(self, name: str) -> None:
        async with self.ctx.db.transaction() as conn:
            if not await repo.delete_link(conn, name):
                raise NotFound("link_not_found", f"no operator link {name}")
        client = self.clients.pop(name, None)
        self.configs.pop(name, None)
        if client is not None:
            with contextlib.suppress(KeyError):  # never scraped yet
                METRICS.link_up.remove(name)
            await client.stop()

    async def _start(self, config: LinkConfig) -> None:
        if config.name in self.clients:
            return
        client = EsmeClient(
            config.host,
            config.port,
            config.system_id,
            config.password,
            bind_type=config.bind_type,
            window=config.window,
            max_rate=config.max_rate,
            on_request=self._handler(config.name),
        )
        self.clients[config.name] = client
        self.configs[config.name] = config
        await client.start()
        log.info("operator link started", link=config.name, host=config.host, port=config.port)

    def _handler(self, name: str) -> Any:
        async def on_request(conn: SmppConnection, pdu: Pdu) -> None:
            if isinstance(pdu, DeliverSm | DataSm):
                status = await self.receiver.receive(name, pdu)
                fields = {"message_id": ""} if isinstance(pdu, DataSm) else {}
                await conn.respond(pdu, status, **fields)
            else:
                await conn.respond(pdu, CommandStatus.ESME_RINVCMDID)

        return on_request

    def view(self, name: str) -> dict[str, Any]:
        client = self.clients.get(name)
        state = client.state if client is not None else "stopped"
        return {**self.configs[name].view(), "state": state}

    def views(self) -> list[dict[str, Any]]:
        return [self.view(name) for name in self.configs]

    def refresh_metrics(self) -> None:
        for name, client in self.clients.items():
            METRICS.link_up.labels(name).set(1 if client.is_bound else 0)

    def choose_link(self) -> EsmeClient:
        """The link an outbound message goes to (see the module docstring)."""
        return self.choose_named()[1]

    def choose_named(self) -> tuple[str, EsmeClient]:
        """The link an outbound message goes to, with its name: the first bound one that
        may send (transmitter or transceiver), in the order the links were added."""
        for name, client in self.clients.items():
            if client.is_bound and self.configs[name].bind_type != "receiver":
                return name, client
        raise NoLink("no operator link is bound for sending")


def _values(config: LinkConfig, sealed_password: str) -> dict[str, Any]:
    return {
        "name": config.name,
        "host": config.host,
        "port": config.port,
        "system_id": config.system_id,
        "password": sealed_password,
        "bind_type": config.bind_type,
        "window": config.window,
        "max_rate": config.max_rate,
    }


def _config(row: Any, password: str) -> LinkConfig:
    return LinkConfig(
        row.name,
        row.host,
        row.port,
        row.system_id,
        password,
        row.bind_type,
        row.window,
        row.max_rate,
    )
