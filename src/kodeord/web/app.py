"""The HTTP app factory: `create_app(ctx, gateway)` mounts every resource's router of
web/api/ on one FastAPI app with our error shape, the audit hook, the body limit and
the offline API documentation (web/docs.py).

The context and the gateway become the app's state here, once; handlers reach them only
through web/deps.py."""

from __future__ import annotations

from fastapi import FastAPI

from kodeord import __version__
from kodeord.adapters.simulator.operator import OperatorSimulator
from kodeord.app.context import Context
from kodeord.app.mt.send_limits import RateLimited
from kodeord.web import audit_hook
from kodeord.web.api import (
    admin,
    customers,
    keys,
    keywords,
    lifecycle,
    messages,
    numbers,
    operator_inbox,
    operator_links,
    opt_outs,
    smpp_accounts,
)
from kodeord.web.console import install_console
from kodeord.web.docs import install_docs
from kodeord.web.errors import install_error_handlers
from kodeord.web.limits import BodyLimit, BodyLimits
from kodeord.wiring import Gateway

ROUTERS = (
    customers.router,
    numbers.router,
    keywords.router,
    keys.router,
    admin.router,
    messages.router,
    lifecycle.router,
    smpp_accounts.router,
    operator_links.router,
    operator_inbox.router,
    opt_outs.router,
    admin.ops_router,
)


def create_app(
    ctx: Context,
    gateway: Gateway,
    body_limits: BodyLimits | None = None,
    simulator: OperatorSimulator | None = None,
) -> FastAPI:
    """The HTTP app; `gateway` holds the running services the message endpoints use.
    `body_limits` defaults to KODEORD_MAX_BODY_BYTES / KODEORD_MAX_BATCH_BODY_BYTES;
    `simulator` is the built-in operator simulator when it runs (the console's phone)."""
    app = FastAPI(
        title="Kodeord",
        version=__version__,
        description="SMS short-number gateway: short numbers, keyword leasing, messages.",
        docs_url=None,  # web/docs.py serves /docs and /redoc from the package, offline
        redoc_url=None,
    )
    app.state.context = ctx
    app.state.gateway = gateway
    app.state.simulator = simulator
    install_error_handlers(app)
    app.add_middleware(audit_hook.AuditMiddleware)
    app.add_exception_handler(RateLimited, messages.rate_limited)  # 429 + Retry-After
    # added last, so it runs first: an oversized body is refused before anything reads it
    app.add_middleware(BodyLimit, limits=body_limits or BodyLimits.from_env())
    for router in ROUTERS:
        app.include_router(router)
    install_docs(app)
    install_console(app)  # /console/ and / (docs/console.md)
    return app
