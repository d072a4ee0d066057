"""The composition root: the running gateway's services, built and started in one place.

`make_context(db, …)` builds what every use case shares (storage, clock, secrets);
`Gateway.build(db, options, …)` wires the durable queue, the inbound receiver, the
operator links, the router's registry, MO routing and delivery, the customers' SMPP server
(listening once `customer_smpp.start(host, port)` is called) and the job worker;
`start()` starts links and workers, `stop()` stops them in reverse order. The HTTP API
reaches these through `app.state.gateway`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from kodeord.adapters.db.engine import Database
from kodeord.adapters.db.storage import SqlStorage
from kodeord.adapters.db.tx import SqlTx
from kodeord.adapters.email import EmailSender
from kodeord.adapters.passwords import Argon2Passwords
from kodeord.adapters.queue import JobQueue
from kodeord.adapters.secretbox import SecretBox
from kodeord.adapters.smpp_io import ServerLimits
from kodeord.adapters.smpp_io.customer_server import customer_server_factory
from kodeord.adapters.smpp_io.operator_link import connect_link
from kodeord.adapters.webhooks import Resolver, TargetCheck, WebhookSender
from kodeord.app import stored_secrets
from kodeord.app.binds.connections import BoundConnections
from kodeord.app.binds.customer_smpp import CustomerSmpp
from kodeord.app.binds.delivering import BindDeliveries
from kodeord.app.context import Context
from kodeord.app.jobs import InlineJobs
from kodeord.app.keywords.changes import RoutingChanges
from kodeord.app.keywords.registry import RegistryCache
from kodeord.app.links.operator_links import OperatorLinks
from kodeord.app.maintenance import Maintenance
from kodeord.app.metrics import METRICS
from kodeord.app.mo.delivery import MoDelivery
from kodeord.app.mo.destinations import (
    EmailDestination,
    SmppDestination,
    SmsForward,
    WebhookDestination,
    deliverers,
)
from kodeord.app.mo.intake import DEFAULT_DEDUPE_WINDOW, InboundReceiver
from kodeord.app.mo.leased import LeasedDeliveries
from kodeord.app.mo.routing import MoRouter
from kodeord.app.mt.gateway_sms import GatewaySms
from kodeord.app.mt.outbound import Outbound
from kodeord.app.users.ports import PasswordHasher
from kodeord.app.users.signin import SignIn
from kodeord.app.users.users import ConsoleUsers
from kodeord.app.worker import JobWorker
from kodeord.config import SmppLimits
from kodeord.domain.retry import RetryPolicy
from kodeord.smpp.bind_guard import ThrottlePolicy


@dataclass(frozen=True, slots=True)
class GatewayOptions:
    webhook_allow_private: bool = False
    smtp_url: str | None = None  # smtp://user:password@host:port (smtps:// for TLS)
    dedupe_window: timedelta = DEFAULT_DEDUPE_WINDOW
    worker_concurrency: int = 64
    retry_policy: RetryPolicy | None = None
    webhook_resolver: Resolver | None = None  # host → addresses (tests); the system's
    retention_days: int = 90  # final messages erased after this long; 0: never
    smpp_limits: SmppLimits = field(default_factory=SmppLimits)
    passwords: PasswordHasher | None = None  # console passwords; argon2id by default


def server_limits(limits: SmppLimits) -> ServerLimits:
    """The customers' SMPP server's limits from the settings."""
    throttle = ThrottlePolicy(failures=limits.lockout_failures, lockout=limits.lockout_seconds)
    return ServerLimits(
        max_connections=limits.max_connections,
        max_connections_per_ip=limits.max_connections_per_ip,
        bind_timeout=limits.bind_timeout,
        pdu_timeout=limits.pdu_timeout,
        throttle=throttle,
    )


def email_sender(url: str | None) -> EmailSender | None:
    if not url:
        return None
    parts = urlsplit(url)
    return EmailSender(
        parts.hostname or "127.0.0.1",
        parts.port or 25,
        username=parts.username,
        password=parts.password,
        use_tls=parts.scheme == "smtps",
    )


def make_context(
    db: Database, options: GatewayOptions | None = None, **fields: Any
) -> Context[SqlTx]:
    """The shared context over `db`: storage with its queue, the URL check of `options`."""
    options = options or GatewayOptions()
    clock = fields.get("clock")
    queue = JobQueue(db) if clock is None else JobQueue(db, clock=clock)
    fields.setdefault(
        "targets",
        TargetCheck(allow_private=options.webhook_allow_private, resolver=options.webhook_resolver),
    )
    # tests that pass no box get the key of this process only (adapters/secretbox.py)
    fields.setdefault("secret_box", SecretBox.for_this_process())
    # a context without the router's registry (the CLI) tells changes to nobody who reads
    fields.setdefault("routing_changed", RoutingChanges().changed)
    return Context(storage=SqlStorage(db, queue), **fields)


def console_users(ctx: Context[SqlTx], options: GatewayOptions) -> tuple[ConsoleUsers, SignIn]:
    """The console's accounts and sign-in (also what `kodeord users` uses)."""
    passwords = options.passwords or Argon2Passwords()
    mail = email_sender(options.smtp_url)
    return ConsoleUsers(ctx, passwords, mail), SignIn(ctx, passwords)


@dataclass
class Gateway:
    db: Database
    ctx: Context[SqlTx]
    queue: JobQueue
    receiver: InboundReceiver
    links: OperatorLinks
    registry: RegistryCache
    router: MoRouter
    delivery: MoDelivery
    outbound: Outbound
    worker: JobWorker
    webhooks: WebhookSender
    maintenance: Maintenance
    customer_smpp: CustomerSmpp  # listens only once started (server.py, tests)
    users: ConsoleUsers
    signin: SignIn

    @classmethod
    def build(cls, db: Database, options: GatewayOptions | None = None, **fields: Any) -> Gateway:
        """The gateway over `db`; `fields` are the context's (clock, admin_token …)."""
        options = options or GatewayOptions()
        changes = RoutingChanges()  # first: the registry reads what use cases tell it
        ctx = make_context(db, options, routing_changed=changes.changed, **fields)
        assert isinstance(ctx.storage, SqlStorage)
        queue = ctx.storage.queue
        # Built first: the worker registers into it; the router leases deliver jobs to it.
        inline = InlineJobs()
        leased = LeasedDeliveries(inline)
        gateway_sms = GatewaySms(ctx.clock)
        registry = RegistryCache(ctx.storage, ctx.secret_box, changes)
        router = MoRouter(ctx, registry, gateway_sms, leased)
        receiver = InboundReceiver(ctx, router, options.dedupe_window)
        links = OperatorLinks(ctx, receiver, connect_link)
        allow_private, resolver = options.webhook_allow_private, options.webhook_resolver
        webhooks = WebhookSender(allow_private=allow_private, resolver=resolver)
        outbound = Outbound(ctx, links, webhooks, registry, options.retry_policy)
        smpp_deliveries = BindDeliveries(ctx, BoundConnections(), options.retry_policy)
        customer_smpp = CustomerSmpp(
            ctx,
            outbound,
            smpp_deliveries,
            customer_server_factory(server_limits(options.smpp_limits)),
            max_password_checks=options.smpp_limits.password_checks,
        )
        destinations = deliverers(
            webhook=WebhookDestination(registry, webhooks, ctx.clock),
            email=EmailDestination(email_sender(options.smtp_url)),
            sms=SmsForward(ctx.storage, gateway_sms, ctx.clock),
            smpp=SmppDestination(smpp_deliveries),
        )
        delivery = MoDelivery(ctx, destinations, leased, options.retry_policy)
        worker = JobWorker(
            queue,
            router.handlers | delivery.handlers | outbound.handlers | customer_smpp.handlers,
            ctx.clock,
            concurrency=options.worker_concurrency,
            inline=inline,
        )
        users, signin = console_users(ctx, options)
        maintenance = Maintenance(
            ctx, receiver, queue, retention_days=options.retention_days, sign_ins=signin
        )
        return cls(
            db,
            ctx,
            queue,
            receiver,
            links,
            registry,
            router,
            delivery,
            outbound,
            worker,
            webhooks,
            maintenance,
            customer_smpp,
            users,
            signin,
        )

    async def start(self) -> None:
        await self.db.start()
        await stored_secrets.seal_at_start(self.ctx.storage, self.ctx.secret_box)
        await self.queue.start()
        if self.ctx.storage.single_node:
            # Embedded: this process is the only worker, so jobs still leased were held by
            # a predecessor that died (kill -9). Run them now, not when the leases expire.
            await self.queue.release_running()
        self.worker.start()
        self.maintenance.start()
        await self.links.start()

    async def stop(self) -> None:
        await self.customer_smpp.stop()
        await self.links.stop()
        await self.maintenance.stop()
        await self.worker.stop()
        await self.queue.stop()
        await self.webhooks.close()
        await self.db.stop()

    async def refresh_metrics(self) -> None:
        self.links.refresh_metrics()
        for status, count in (await self.queue.depth()).items():
            METRICS.queue_depth.labels(status).set(count)
