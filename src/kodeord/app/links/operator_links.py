"""Operator links: one ESME bind per configured link, kept up while the gateway runs.

Links come from the `operator_links` table (admin API `POST /v1/operator-links`, through
`tx.links`) and start when the gateway starts or when added; their passwords are stored
sealed (the context's `SecretSealer`) and opened as the links start. A link is made by the
`LinkConnector` the composition root passes (the SMPP adapter's); each MO or receipt an
operator sends goes to the `InboundSink` (the MO intake: it stores before it is
acknowledged). Outbound messages go to a link chosen by `choose_link` — today the first
bound link that can send, by id; the one place to add rules (by number, by operator) later.
Rules of the ports: app/links/ports.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

import structlog

from kodeord.app.context import Context
from kodeord.app.errors import Conflict, Invalid, NotFound
from kodeord.app.links.ports import (
    BindType,
    InboundSink,
    LinkConfig,
    LinkConnection,
    LinkConnector,
    LinkState,
    LinksTx,
    OperatorLink,
    RequestHandler,
    StoredLink,
)
from kodeord.app.metrics import METRICS
from kodeord.smpp.constants import CommandStatus
from kodeord.smpp.pdu import DataSm, DeliverSm, Pdu

__all__ = ["BIND_TYPES", "LinkConfig", "NoLink", "OperatorLinks"]

log = structlog.get_logger(__name__)
BIND_TYPES = tuple(BindType)


class NoLink(Exception):
    """No operator link is bound and able to send right now."""


class OperatorLinks:
    def __init__(self, ctx: Context[LinksTx], inbound: InboundSink, connect: LinkConnector) -> None:
        self.ctx = ctx
        self.inbound = inbound
        self._connect = connect
        self.clients: dict[str, OperatorLink] = {}
        self.configs: dict[str, LinkConfig] = {}
        # per link: (when, submitted) of the last look, and the rate it gave
        self._samples: dict[str, tuple[datetime, int, float]] = {}

    async def start(self) -> None:
        async with self.ctx.storage.read() as tx:
            stored = await tx.links.all()
        for link in stored:
            if link.enabled:
                await self._start(_config(link, self.ctx.secret_box.open(link.sealed_password)))

    async def stop(self) -> None:
        await asyncio.gather(*(client.stop() for client in self.clients.values()))
        self.clients.clear()

    async def add(self, config: LinkConfig) -> dict[str, Any]:
        problem = config.problem()
        if problem is not None:
            raise Invalid("invalid_link", problem)
        stored = _stored(config, self.ctx.secret_box.seal(config.password))
        async with self.ctx.storage.transaction() as tx:
            if not await tx.links.add(stored, self.ctx.clock()):
                raise Conflict("link_exists", f"a link named {config.name} exists")
        await self._start(config)
        return self.view(config.name)

    async def attach(self, config: LinkConfig) -> None:
        """Run a link that is not stored (the embedded simulator's: its address may change
        from one start to the next)."""
        await self._start(config)

    async def remove(self, name: str) -> None:
        async with self.ctx.storage.transaction() as tx:
            if not await tx.links.delete(name):
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
        client = self._connect(config, self._handler(config.name))
        self.clients[config.name] = client
        self.configs[config.name] = config
        await client.start()
        log.info("operator link started", link=config.name, host=config.host, port=config.port)

    def _handler(self, name: str) -> RequestHandler:
        async def on_request(conn: LinkConnection, pdu: Pdu) -> None:
            if isinstance(pdu, DeliverSm | DataSm):
                status = await self.inbound.receive(name, pdu)
                fields = {"message_id": ""} if isinstance(pdu, DataSm) else {}
                await conn.respond(pdu, status, **fields)
            else:
                await conn.respond(pdu, CommandStatus.ESME_RINVCMDID)

        return on_request

    def view(self, name: str) -> dict[str, Any]:
        client = self.clients.get(name)
        state = client.state if client is not None else LinkState.STOPPED.value
        return {**self.configs[name].view(), "state": state}

    def views(self) -> list[dict[str, Any]]:
        return [self.view(name) for name in self.configs]

    def live(self) -> list[dict[str, Any]]:
        """Each link's view with what it is doing: its window in use, the messages a
        second the operator accepted since the previous look (a look within a second of
        the last repeats its rate), and its last error with when."""
        now = self.ctx.clock()
        shown = []
        for name in self.configs:
            client = self.clients.get(name)
            if client is None:
                shown.append(
                    {
                        **self.view(name),
                        "in_use": 0,
                        "per_second": 0.0,
                        "last_error": None,
                        "last_error_at": None,
                    }
                )
                continue
            stats = client.stats()
            shown.append(
                {
                    **self.view(name),
                    "in_use": stats.in_use,
                    "per_second": self._rate(name, now, stats.submitted),
                    "last_error": stats.last_error,
                    "last_error_at": None
                    if stats.last_error_at is None
                    else datetime.fromtimestamp(stats.last_error_at, UTC),
                }
            )
        return shown

    def _rate(self, name: str, now: datetime, submitted: int) -> float:
        before = self._samples.get(name)
        if before is not None and (now - before[0]).total_seconds() < 1:
            return before[2]
        rate = 0.0
        if before is not None:
            rate = max(submitted - before[1], 0) / (now - before[0]).total_seconds()
        self._samples[name] = (now, submitted, rate)
        return rate

    def refresh_metrics(self) -> None:
        for name, client in self.clients.items():
            METRICS.link_up.labels(name).set(1 if client.is_bound else 0)

    def choose_link(self) -> OperatorLink:
        """The link an outbound message goes to (see the module docstring)."""
        return self.choose_named()[1]

    def choose_named(self) -> tuple[str, OperatorLink]:
        """The link an outbound message goes to, with its name: the first bound one that
        may send (transmitter or transceiver), in the order the links were added."""
        for name, client in self.clients.items():
            if client.is_bound and self.configs[name].bind_type != BindType.RECEIVER:
                return name, client
        raise NoLink("no operator link is bound for sending")


def _stored(config: LinkConfig, sealed_password: str) -> StoredLink:
    return StoredLink(
        name=config.name,
        host=config.host,
        port=config.port,
        system_id=config.system_id,
        sealed_password=sealed_password,
        bind_type=config.bind_type,
        window=config.window,
        max_rate=config.max_rate,
        enabled=True,
    )


def _config(link: StoredLink, password: str) -> LinkConfig:
    return LinkConfig(
        link.name,
        link.host,
        link.port,
        link.system_id,
        password,
        link.bind_type,
        link.window,
        link.max_rate,
    )
