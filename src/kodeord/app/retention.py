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

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from kodeord.adapters.db import retention as repo
from kodeord.app.context import Context
from kodeord.domain.messages import FINAL_STATUSES
from kodeord.domain.retention import DEFAULT_DAYS, cutoff

log = structlog.get_logger(__name__)
_Delete = Callable[..., Awaitable[int]]  # (conn, before=, limit=) → rows deleted


@dataclass(frozen=True, slots=True)
class Swept:
    messages: int = 0
    parts: int = 0
    jobs: int = 0


class Retention:
    def __init__(
        self,
        ctx: Context,
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
            await self._delete_in_batches(repo.delete_old_parts, before),
            await self._delete_in_batches(repo.delete_finished_jobs, before),
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
        async with self.ctx.db.read() as conn:
            ids = await repo.id_range(conn)
        if ids is None:
            return 0
        after, top = ids[0] - 1, ids[1]
        erased = 0
        while after < top:
            up_to = min(after + self.window, top)
            async with self.ctx.db.read() as conn:
                rows = await repo.erasable(
                    conn,
                    after=after,
                    up_to=up_to,
                    received_before=before,
                    statuses=FINAL_STATUSES,
                    limit=self.batch,
                )
            if rows:
                await self.ctx.db.write(functools.partial(repo.erase, rows=rows, now=now))
                erased += len(rows)
            after = rows[-1].id if len(rows) == self.batch else up_to
        return erased

    async def _delete_in_batches(self, statement: _Delete, before: datetime) -> int:
        total = 0
        while True:
            count = await self.ctx.db.write(
                functools.partial(statement, before=before, limit=self.batch)
            )
            total += count
            if count < self.batch:
                return total
