"""The ports every capability shares: storage as units of work, the clock, the sealing
of secrets at rest, the check of webhook URLs, and the durable queue the worker runs.

Rules:

- The app reaches storage only through `Storage`. A unit of work hands the use case a
  transaction object `tx` whose attributes are repositories (`tx.messages`, `tx.jobs` …);
  nothing in `app/` sees a connection, a table or a statement.
- Each capability declares, in its own `ports.py`, a Protocol for the transaction it needs
  (only the repositories it uses) and a Protocol per repository. The SQL adapter's
  transaction (`adapters/db/tx.py`) has every repository, so one object satisfies them all;
  the composition root (`wiring.py`) is where mypy checks that it does.
- `write(fn)` is the unit of work of the hot paths (on SQLite many callers share one
  durable commit); `transaction()` is one for a single caller; `read()` looks and never
  writes. All three commit only when the block or `fn` ends without an exception.
- Secrets at rest (link passwords, signing secrets) are sealed and opened by a
  `SecretSealer` (adapters/secretbox.SecretBox); the app never sees a key.
- A webhook or callback URL is judged by a `TargetCheck` (adapters/webhooks.TargetCheck),
  which raises `TargetRefused` naming the kind of problem; app/targets.py turns it into
  the API's error.
- The job worker (app/worker.py) claims and settles jobs through a `WorkerQueue`
  (adapters/queue.JobQueue); producers enqueue in their unit of work (`tx.jobs`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from enum import StrEnum
from typing import Protocol, TypeVar

from kodeord.app.jobs import Job

T = TypeVar("T")
TxT_co = TypeVar("TxT_co", covariant=True)

Clock = Callable[[], datetime]


class Storage(Protocol[TxT_co]):
    """Units of work over the system of record; `TxT_co` is what a unit sees."""

    @property
    def write_concurrency(self) -> int:
        """How many batched writes are worth running at once (1 on SQLite)."""
        ...

    @property
    def single_node(self) -> bool:
        """Whether this process is the only one using the storage (embedded SQLite)."""
        ...

    @property
    def backend(self) -> str:
        """What holds the data, for health and logs: "sqlite" or "postgresql"."""
        ...

    async def ping(self) -> bool:
        """Whether the storage answers a trivial query now."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[TxT_co]: ...

    def read(self) -> AbstractAsyncContextManager[TxT_co]: ...

    async def write(self, fn: Callable[[TxT_co], Awaitable[T]]) -> T: ...


class SecretSealer(Protocol):
    """Seals secrets for storage and opens them; a value no key opens raises (the
    adapter's error names the remedy, never a key)."""

    def seal(self, secret: str) -> str: ...

    def open(self, stored: str) -> str:
        """The secret in a stored value (plain text from before sealing opens as itself)."""
        ...

    def reseal(self, stored: str) -> str:
        """The value sealed with the current key (plain text gets sealed)."""
        ...

    def is_sealed(self, stored: str) -> bool:
        """Whether a stored value is sealed (else plain text from before sealing)."""
        ...


class TargetProblem(StrEnum):
    SHAPE = "shape"  # not http(s), no host, control characters, malformed
    ADDRESS = "address"  # a loopback, private, link-local … address, literal or resolved
    UNRESOLVED = "unresolved"  # no address, or none within the time


class TargetRefused(Exception):
    """We do not deliver to this URL; str() says why, `kind` what sort of problem it is."""

    kind: TargetProblem = TargetProblem.SHAPE

    def __init__(self, reason: str, kind: TargetProblem | None = None) -> None:
        super().__init__(reason)
        if kind is not None:
            self.kind = kind


class TargetCheck(Protocol):
    async def check(self, url: str) -> None:
        """Returns when the gateway would deliver to `url`; else raises TargetRefused."""
        ...


class WorkerQueue(Protocol):
    """The durable queue as the job worker sees it: claim, settle, wait for more.

    Settling names the worker: a job whose lease went to another worker meanwhile is
    left to that one."""

    async def claim(
        self, kinds: Sequence[str], limit: int, lease_seconds: float, worker: str
    ) -> list[Job]: ...

    async def complete(self, job_id: int, *, worker: str | None = None) -> bool: ...

    async def retry(
        self, job_id: int, run_at: datetime, error: str, *, worker: str | None = None
    ) -> bool: ...

    async def bury(self, job_id: int, error: str, *, worker: str | None = None) -> bool: ...

    async def wait(self, timeout: float) -> bool:
        """Until a job may be there, or `timeout` seconds; whether it was woken."""
        ...
