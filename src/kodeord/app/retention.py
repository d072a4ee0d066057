"""Retention (GDPR), run by housekeeping: personal data of ended messages is erased
after `days` days (KODEORD_RETENTION_DAYS, default 90; 0: never). What is erased and what
stays: domain/retention.py and docs/privacy.md.

A sweep walks the messages table by id in windows of `window` ids and erases what it
finds in batches of at most `batch` messages, each batch one write transaction (every
copy of a message's data goes in the same one). Then unassembled MO parts and finished
jobs older than the limit are deleted, `batch` at a time. A sweep runs at most once per
`every` (an hour): the walk reads the whole table, one window per statement, and a
message that ends late is erased by the next sweep.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from kodeord.app.context import Context
from kodeord.domain.messages import FINAL_STATUSES
from kodeord.domain.retention import DEFAULT_DAYS, cutoff

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Erasable:
    """A message to erase: what decides which of its copies are erased and how."""

    id: int
    direction: str  # a `Direction` value
    destination_type: str | None  # its route's type, when it has a destination


class RetentionStore(Protocol):
    """The statements of a sweep (`tx.retention`); each is bounded (see the docstring)."""

    async def id_range(self) -> tuple[int, int] | None:
        """The lowest and highest message id, or None when there are no messages."""
        ...

    async def erasable(
        self,
        *,
        after: int,
        up_to: int,
        received_before: datetime,
        statuses: Collection[str],
        limit: int,
    ) -> list[Erasable]:
        """Messages after..up_to (ids) not erased yet, final and old enough, by id."""
        ...

    async def erase(self, found: Sequence[Erasable], now: datetime) -> None:
        """Erase the text and phone number of these messages wherever they are copied."""
        ...

    async def delete_old_parts(self, before: datetime, limit: int) -> int: ...

    async def delete_finished_jobs(self, before: datetime, limit: int) -> int: ...


class RetentionTx(Protocol):
    @property
    def retention(self) -> RetentionStore: ...


_Delete = Callable[[RetentionStore, datetime, int], Awaitable[int]]  # → rows deleted


@dataclass(frozen=True, slots=True)
class Swept:
    messages: int = 0
    parts: int = 0
    jobs: int = 0


class Retention:
    def __init__(
        self,
        ctx: Context[RetentionTx],
        days: int = DEFAULT_DAYS,
        *,
        every: timedelta = timedelta(hours=1),
        batch: int = 500,
        window: int = 50_000,
    ) -> None:
        self.ctx = ctx
        self.days = days
        self.every = every
        self.batch = batch
        self.window = window
        self._last_sweep: datetime | None = None

    async def run_if_due(self) -> Swept | None:
        """A sweep if retention is on and the last one is `every` ago; else None."""
        now = self.ctx.clock()
        due = self._last_sweep is None or now - self._last_sweep >= self.every
        if self.days <= 0 or not due:
            return None
        self._last_sweep = now
        return await self.sweep(now)

    async def sweep(self, now: datetime) -> Swept:
        before = cutoff(now, self.days)
        if before is None:
            return Swept()
        swept = Swept(
            await self._erase_messages(before, now),
            await self._delete_in_batches(_old_parts, before),
            await self._delete_in_batches(_finished_jobs, before),
        )
        if swept != Swept():
            log.info(
                "retention",
                days=self.days,
                messages_erased=swept.messages,
                mo_parts_deleted=swept.parts,
                jobs_deleted=swept.jobs,
            )
        return swept

    async def _erase_messages(self, before: datetime, now: datetime) -> int:
        async with self.ctx.storage.read() as tx:
            ids = await tx.retention.id_range()
        if ids is None:
            return 0
        after, top = ids[0] - 1, ids[1]
        erased = 0
        while after < top:
            up_to = min(after + self.window, top)
            async with self.ctx.storage.read() as tx:
                rows = await tx.retention.erasable(
                    after=after,
                    up_to=up_to,
                    received_before=before,
                    statuses=FINAL_STATUSES,
                    limit=self.batch,
                )
            if rows:
                await self._erase(rows, now)
                erased += len(rows)
            after = rows[-1].id if len(rows) == self.batch else up_to
        return erased

    async def _erase(self, rows: list[Erasable], now: datetime) -> None:
        await self.ctx.storage.write(lambda tx: tx.retention.erase(rows, now))

    async def _delete_in_batches(self, statement: _Delete, before: datetime) -> int:
        total = 0
        while True:
            count = await self.ctx.storage.write(
                lambda tx: statement(tx.retention, before, self.batch)
            )
            total += count
            if count < self.batch:
                return total


def _old_parts(store: RetentionStore, before: datetime, limit: int) -> Awaitable[int]:
    return store.delete_old_parts(before, limit)


def _finished_jobs(store: RetentionStore, before: datetime, limit: int) -> Awaitable[int]:
    return store.delete_finished_jobs(before, limit)
