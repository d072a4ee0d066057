"""The console's menu as data: each entry's path, label and who sees it.

An area adds its entry here when it adds its page (web/console/__init__.py AREAS);
an entry shows only to users whose role may do its action (domain/users.ALLOWED), and
provider-only entries only to provider users.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kodeord.domain.users import Action

if TYPE_CHECKING:
    from kodeord.web.console.visit import Page


@dataclass(frozen=True, slots=True)
class Entry:
    path: str
    label: str  # English; translated when shown
    action: Action
    provider_only: bool = False
    customer_only: bool = False
    needs_simulator: bool = False  # shown only when the built-in operator simulator runs


ENTRIES: list[Entry] = [
    Entry("/console/", "Overview", Action.READ_ACCOUNT),
    Entry("/console/inbox", "Inbox", Action.READ_ACCOUNT, customer_only=True),
    Entry("/console/keywords", "Keywords", Action.READ_ACCOUNT),
    Entry("/console/send", "Send", Action.ANSWER, customer_only=True),
    Entry("/console/log", "Message log", Action.READ_ACCOUNT),
    Entry("/console/team", "Team", Action.READ_ACCOUNT, customer_only=True),
    Entry("/console/provider/customers", "Customers", Action.OPERATE, provider_only=True),
    Entry("/console/provider/numbers", "Short numbers", Action.OPERATE, provider_only=True),
    Entry("/console/provider/operator-inbox", "Operator inbox", Action.OPERATE, provider_only=True),
    Entry("/console/provider/links", "Operator links", Action.OPERATE, provider_only=True),
    Entry("/console/provider/opt-outs", "Opt-outs", Action.OPERATE, provider_only=True),
    Entry("/console/provider/dead-letters", "Dead letters", Action.OPERATE, provider_only=True),
    Entry("/console/routes", "Routes", Action.READ_ACCOUNT, customer_only=True),
    Entry("/console/developer", "Developer", Action.MANAGE_DEVELOPER, customer_only=True),
    Entry("/console/phone", "Phone simulator", Action.READ_ACCOUNT, needs_simulator=True),
]


def entries_for(found: Page) -> list[Entry]:
    if found.visit is None:
        return []
    shown = []
    for entry in ENTRIES:
        if entry.provider_only and not found.is_provider:
            continue
        if entry.customer_only and found.is_provider:
            continue
        if entry.needs_simulator and getattr(found.request.app.state, "simulator", None) is None:
            continue
        if found.may(entry.action):
            shown.append(entry)
    return shown
