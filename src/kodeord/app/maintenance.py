"""Housekeeping that keeps the tables small and nothing stuck, once a minute:

- a long MO whose other parts never came (after `part_timeout`, default 10 minutes)
  becomes a message of what came, marked in its route step, and is routed like any
  other — an operator that loses a part must not make us lose the rest;
- dedupe memory older than the dedupe window is forgotten;
- jobs that are done are deleted after a day (messages and attempts keep the history);
- retention (app/retention.py): ended messages' text and phone numbers are erased after
  `retention_days` (0: never), in a sweep at most once an hour;
- keyword terms that ended are renewed or ended (app/keywords/lifecycle.py);
- console sessions that ended, old sign-in failures and used-up links are deleted
  (app/users/signin.py).

Each piece belongs to its capability; this module only runs them in turn. The MO intake
and the queue come in through the constructor (as the small ports below).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from kodeord.app.cancel import raise_if_cancelling
from kodeord.app.context import Context
from kodeord.app.keywords import lifecycle
from kodeord.app.keywords.ports import KeywordsTx
from kodeord.app.retention import Retention, RetentionTx
from kodeord.domain.retention import DEFAULT_DAYS

log = structlog.get_logger(__name__)


class MaintenanceTx(KeywordsTx, RetentionTx, Protocol):
    """What the housekeeping's units of work see: keywords' terms, retention's sweep."""


class PartsAndDedupe(Protocol):
    """The MO intake's housekeeping (app/mo/intake.py InboundReceiver)."""

    async def flush_stale_parts(self, before: datetime) -> int:
        """Turn long MOs whose first part came before `before` into messages; how many."""
        ...

    async def forget_seen(self, now: datetime) -> int:
        """Forget dedupe memory older than the dedupe window."""
        ...


class DoneJobs(Protocol):
    async def purge_done(self, older_than: datetime) -> int:
        """Delete done jobs last updated before `older_than`; how many."""
        ...


class ExpiredSignIns(Protocol):
    async def forget_expired(self, now: datetime) -> int:
        """Delete ended sessions and stale sign-in records; how many."""
        ...


class Maintenance:
    def __init__(
        self,
        ctx: Context[MaintenanceTx],
        intake: PartsAndDedupe,
        queue: DoneJobs,
        *,
        interval: float = 60.0,
        part_timeout: timedelta = timedelta(minutes=10),
        keep_done: timedelta = timedelta(days=1),
        retention_days: int = DEFAULT_DAYS,
        sign_ins: ExpiredSignIns | None = None,
    ) -> None:
        self.ctx = ctx
        self.intake = intake
        self.queue = queue
        self.interval = interval
        self.part_timeout = part_timeout
        self.keep_done = keep_done
        self.retention = Retention(ctx, retention_days)
        self.sign_ins = sign_ins
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.run_once()
            except Exception:
                raise_if_cancelling()
                log.exception("maintenance failed; trying again later")

    async def run_once(self) -> int:
        """One round; returns how many incomplete long messages it turned into messages."""
        now = self.ctx.clock()
        flushed = await self.intake.flush_stale_parts(now - self.part_timeout)
        await self.intake.forget_seen(now)
        await self.queue.purge_done(now - self.keep_done)
        await lifecycle.run_terms(self.ctx)
        await self.retention.run_if_due()
        if self.sign_ins is not None:
            await self.sign_ins.forget_expired(now)
        return flushed
