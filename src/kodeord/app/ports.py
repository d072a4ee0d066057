"""The ports every capability shares: storage as units of work, and the clock.

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
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol, TypeVar

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

    def transaction(self) -> AbstractAsyncContextManager[TxT_co]: ...

    def read(self) -> AbstractAsyncContextManager[TxT_co]: ...

    async def write(self, fn: Callable[[TxT_co], Awaitable[T]]) -> T: ...
