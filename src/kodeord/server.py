"""`kodeord serve` and `kodeord simulator`: long-running processes, one asyncio loop each.

Start-up order for the gateway: settings → `var/` and the SQLite files made owner-only
(adapters/private_files.py) → schema (migrated here for SQLite; for PostgreSQL
`kodeord db upgrade` must have run, else we stop with a clear message) → the key sealing
stored secrets (KODEORD_SECRET_KEY or var/secret.key; docs/secrets.md) → the
built-in operator simulator (unless `--no-simulator`) → the gateway's services → the
customers' SMPP server (unless `--no-smpp`) → the HTTP API (uvicorn, started from our
code so every part shares the loop). An address in use (HTTP, SMPP, simulator) is a
one-line SettingsError. Each server logs one line when it listens, named for what it is
("operator simulator listening" and "operator simulator control API listening",
"customer smpp listening", "HTTP API listening"), then "kodeord ready" sums them up.
SIGINT/SIGTERM stop everything in reverse order and exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import socket
import sys
from collections.abc import Coroutine, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

import structlog
import uvicorn

from kodeord import logs
from kodeord.adapters import private_files, secretbox
from kodeord.adapters.db import migrate
from kodeord.adapters.db.engine import Database
from kodeord.adapters.simulator.operator import OperatorSimulator, SimulatorSettings
from kodeord.app.links.operator_links import LinkConfig
from kodeord.config import (
    ADMIN_TOKEN_FILE,
    HostPort,
    Settings,
    SettingsError,
    SmppLimits,
    local_admin_token,
)
from kodeord.web.app import create_app
from kodeord.web.simulator_control import create_control_app
from kodeord.wiring import Gateway, GatewayOptions

log = structlog.get_logger(__name__)


class EmbeddedUvicorn(uvicorn.Server):
    """uvicorn inside our loop, on a socket we bound ourselves (so "address in use" is our
    clear error, not uvicorn's sys.exit). Signals are ours to handle, not uvicorn's: it
    would re-raise SIGTERM after shutdown, and the other parts of the process must stop."""

    def __init__(self, config: uvicorn.Config, sock: socket.socket) -> None:
        super().__init__(config)
        self.sock = sock

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def run_on_socket(self) -> None:
        await self.serve(sockets=[self.sock])


def listen(address: HostPort) -> socket.socket:
    """A listening TCP socket, or SettingsError saying why not."""
    try:
        infos = socket.getaddrinfo(address.host, address.port, type=socket.SOCK_STREAM)
        family, kind, proto, _, sockaddr = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise SettingsError(f"cannot listen on {address}: {exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(sockaddr)
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        raise SettingsError(f"cannot listen on {address}: {exc.strerror or exc}") from None
    return sock


def http_server(app: Any, address: HostPort) -> EmbeddedUvicorn:
    sock = listen(address)
    # log_config=None: uvicorn's records go through our handler (kodeord.logs), redacted;
    # a stop waits at most 5 s for open requests (the console's event streams never end)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        log_config=None,
        timeout_graceful_shutdown=5,
    )
    return EmbeddedUvicorn(config, sock)


async def wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


async def serve_http_until_signal(*servers: EmbeddedUvicorn) -> None:
    """Run the HTTP servers until a signal (or one of them ends, e.g. port in use)."""
    tasks = [asyncio.create_task(server.run_on_socket()) for server in servers]
    waiter = asyncio.create_task(wait_for_signal())
    done, _ = await asyncio.wait([*tasks, waiter], return_when=asyncio.FIRST_COMPLETED)
    for server in servers:
        server.should_exit = True
    await asyncio.gather(*tasks, return_exceptions=True)
    waiter.cancel()
    for task in tasks:
        if task in done and (error := task.exception()) is not None:
            raise error


async def start_simulator(simulator: OperatorSimulator) -> None:
    try:
        await simulator.start()
    except OSError as exc:
        where = f"{simulator.host}:{simulator.port}"
        raise SettingsError(f"the simulator cannot listen on {where}: {exc.strerror}") from None


async def start_customer_smpp(gateway: Gateway, address: HostPort) -> None:
    """Listen for customers' binds (gateway.stop() stops it), or SettingsError."""
    try:
        await gateway.customer_smpp.start(address.host, address.port)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise SettingsError(f"cannot listen on {address} (--smpp): {reason}") from None


def prepare_schema(settings: Settings) -> None:
    if settings.embedded:
        migrate.upgrade(settings.database_url)
    elif migrate.pending(settings.database_url):
        raise SettingsError("the database schema is not up to date: run `kodeord db upgrade` first")


def secret_box(settings: Settings) -> secretbox.SecretBox:
    """The box sealing stored secrets, from KODEORD_SECRET_KEY or var/secret.key."""
    box, created = secretbox.load_box(settings.secret_key)
    if created:
        log.info("secret key created: back up var/secret.key (docs/secrets.md)")
    if settings.secret_key is None and not settings.embedded:
        log.warning(
            "KODEORD_SECRET_KEY is not set: stored secrets are sealed with var/secret.key; "
            "every node of a PostgreSQL cluster needs the same key (docs/secrets.md)"
        )
    return box


def embedded_admin_token(path: Path = ADMIN_TOKEN_FILE, terminal: TextIO | None = None) -> str:
    """The token kept in var/admin-token; made on the first start and shown then, on the
    terminal only (a log would keep it). Logs say where it is, never what it is."""
    created = not path.exists()
    token = local_admin_token(path)
    terminal = terminal or sys.stderr
    if created and terminal.isatty():
        terminal.write(f"\nThe admin token, shown this once (kept in {path}):\n  {token}\n\n")
        terminal.flush()
    log.info("admin token created" if created else "admin token in use", file=str(path))
    return token


def register_secrets(settings: Settings, admin_token: str | None) -> None:
    """The configured tokens and keys never appear in a log line (kodeord.logs)."""
    keys = (settings.secret_key or "").replace("\n", ",").split(",")
    for value in (admin_token, settings.metrics_token, *keys):
        logs.register_secret(value.strip() if value else None)


async def serve(settings: Settings) -> None:
    admin_token = settings.admin_token
    if admin_token is None and settings.embedded:
        admin_token = embedded_admin_token()
    register_secrets(settings, admin_token)
    box = secret_box(settings)
    async with contextlib.AsyncExitStack() as running:
        db = Database(settings.database_url)
        running.push_async_callback(db.close)
        quarantine = timedelta(days=settings.quarantine_days)
        options = gateway_options(settings.smpp_limits)
        options = dataclasses.replace(options, retention_days=settings.retention_days)
        gateway = Gateway.build(
            db,
            options,
            admin_token=admin_token,
            quarantine=quarantine,
            secret_box=box,
            metrics_token=settings.metrics_token,
            metrics_public=settings.metrics_public,
            send_limit=settings.send_limit,
        )
        simulator = None
        if settings.simulator is not None:
            addresses = settings.simulator
            simulator = OperatorSimulator(
                SimulatorSettings(), addresses.smpp.host, addresses.smpp.port
            )
        app = create_app(gateway.ctx, gateway, simulator=simulator)
        servers = [http_server(app, settings.http)]
        if simulator is not None and settings.simulator is not None:
            addresses = settings.simulator
            servers.append(http_server(create_control_app(simulator), addresses.http))
            await start_simulator(simulator)
            running.push_async_callback(simulator.stop)
            # its SMPP server logs "operator simulator listening" itself
            log.info("operator simulator control API listening", http=f"http://{addresses.http}")
        await gateway.start()
        running.push_async_callback(gateway.stop)
        if settings.smpp is not None:
            await start_customer_smpp(gateway, settings.smpp)  # logs "customer smpp listening"
        if simulator is not None:
            await gateway.links.attach(simulator_link(simulator))
        log.info("HTTP API listening", http=f"http://{settings.http}", database=db.dialect)
        log.info(
            "kodeord ready",
            http=f"http://{settings.http}",
            customer_smpp=str(settings.smpp) if settings.smpp else "off",
            simulator=str(settings.simulator.smpp) if settings.simulator else "off",
        )
        await log_console_hint(gateway, settings.http)
        await serve_http_until_signal(*servers)
    log.info("kodeord stopped")


async def log_console_hint(gateway: Gateway, http: HostPort) -> None:
    """How to reach the console, or how to make its first user when there is none."""
    url = f"http://{http}/console/"
    if await gateway.users.has_provider():
        log.info("console: sign in", url=url)
        return
    log.info(
        "console: no user yet; create the first one, then sign in",
        command="kodeord users create --email you@example.no --role provider --password-stdin",
        url=url,
    )


def simulator_link(simulator: OperatorSimulator) -> LinkConfig:
    """The embedded default's operator link: to the built-in simulator, over real SMPP."""
    return LinkConfig(
        name="simulator",
        host=simulator.host,
        port=simulator.port,
        system_id=simulator.settings.system_id,
        password=simulator.settings.password,
        window=100,
    )


def gateway_options(smpp_limits: SmppLimits | None = None) -> GatewayOptions:
    env = os.environ
    return GatewayOptions(
        webhook_allow_private=env.get("KODEORD_WEBHOOK_ALLOW_PRIVATE", "") == "1",
        smtp_url=env.get("KODEORD_SMTP_URL") or None,
        smpp_limits=smpp_limits or SmppLimits(),
    )


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run a process's main coroutine on uvloop where it is installed (Linux, macOS),
    else on asyncio's own loop. KODEORD_LOOP=asyncio chooses asyncio's loop."""
    factory = None
    if os.environ.get("KODEORD_LOOP", "") != "asyncio":
        with contextlib.suppress(ImportError):
            import uvloop

            factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(main)


def protect_and_prepare(settings: Settings) -> None:
    private_files.protect_storage(settings.database_url)
    prepare_schema(settings)


def run(settings: Settings) -> None:
    protect_and_prepare(settings)
    run_loop(serve(settings))


async def simulate(settings: SimulatorSettings, smpp: HostPort, http: HostPort) -> None:
    simulator = OperatorSimulator(settings, smpp.host, smpp.port)
    await start_simulator(simulator)
    log.info(
        "operator simulator control API listening",
        http=f"http://{http}",
        smpp=str(smpp),
        system_id=settings.system_id,
    )
    try:
        await serve_http_until_signal(http_server(create_control_app(simulator), http))
    finally:
        await simulator.stop()


def run_simulator(settings: SimulatorSettings, smpp: HostPort, http: HostPort) -> None:
    run_loop(simulate(settings, smpp, http))
