"""Destinations of MO: one module per route type, each a `Deliverer` (app/mo/ports.py).

`deliverers(...)` is the registry `{RouteType: Deliverer}` the delivery service
dispatches on. A new destination is one module here and one entry below.
"""

from __future__ import annotations

from typing import Any

from kodeord.app.mo.destinations.email import EmailDestination
from kodeord.app.mo.destinations.inbox import InboxDestination
from kodeord.app.mo.destinations.smpp import SmppDestination
from kodeord.app.mo.destinations.sms import SmsForward
from kodeord.app.mo.destinations.webhook import WebhookDestination
from kodeord.app.mo.ports import Deliverer
from kodeord.domain.routes import RouteType


def deliverers(
    *,
    webhook: WebhookDestination,
    email: EmailDestination,
    sms: SmsForward,
    smpp: SmppDestination,
) -> dict[RouteType, Deliverer[Any]]:
    """The registry of destinations, by the type of route they serve."""
    return {
        RouteType.WEBHOOK: webhook,
        RouteType.EMAIL: email,
        RouteType.SMS: sms,
        RouteType.SMPP: smpp,
        RouteType.INBOX: InboxDestination(),
    }


__all__ = [
    "EmailDestination",
    "InboxDestination",
    "SmppDestination",
    "SmsForward",
    "WebhookDestination",
    "deliverers",
]
