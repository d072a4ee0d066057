"""What every use case needs from the outside world: storage, a clock, randomness, the
sealing of secrets and the check of webhook URLs.

Tests pass a fixed clock and seeded randomness; `kodeord serve` passes the real ones. The
composition root (`kodeord/wiring.py`, `make_context`) builds it and passes every port
(the secret sealer, the URL check); nothing here builds an adapter. `Context[Tx]` is
generic in what a unit of work sees, so a capability can ask for `Context[ItsTx]` and get
only that.

The keyword index is the keywords capability's (app/keywords/index.py `index_of`), not
a field here: the kernel imports no capability.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic

from typing_extensions import TypeVar

from kodeord.app.ports import Clock, SecretSealer, Storage, TargetCheck
from kodeord.domain.ratelimit import DEFAULT_SEND_LIMIT, Limit

# A bare `Context` is `Context[Any]`: what the outer layers (web/) hold and hand to every
# capability's use cases, each of which names the Tx it needs.
TxT_co = TypeVar("TxT_co", covariant=True, default=Any)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True, kw_only=True)
class Context(Generic[TxT_co]):
    storage: Storage[TxT_co]
    # seals link passwords and signing secrets (adapters/secretbox.SecretBox): `kodeord
    # serve` passes the configured key, tests a key for the process only
    secret_box: SecretSealer
    # checks webhook and callback URLs when they are configured (app/targets.py)
    targets: TargetCheck
    # tells the caches of this process (the router's registry) that routing facts of a
    # number changed: the number, its settings, a keyword on it (None: a customer's
    # settings, which reach every number); app/keywords/changes.RoutingChanges.changed
    routing_changed: Callable[[str | None], None]
    admin_token: str | None = None
    clock: Clock = utc_now
    random_bytes: Callable[[int], bytes] = field(default=secrets.token_bytes)
    quarantine: timedelta = timedelta(days=30)  # a released keyword's (keywords/lifecycle.py)
    send_limit: Limit = DEFAULT_SEND_LIMIT  # per API key, unless the customer has its own
    key_last_used: dict[int, datetime] = field(default_factory=dict)  # recorded by us, per key
    metrics_token: str | None = field(default=None, repr=False)  # opens /metrics too
    metrics_public: bool = False  # /metrics without a token
