"""Deliver jobs leased at intake, and their messages as stored.

Intake inserts the deliver jobs this process's worker has room for already leased to
it (app/jobs.py `InlineJobs`); right after the commit they are handed to the worker with
their messages, so the first attempt needs neither a claim nor a read. Shared by the
router (which leases) and delivery (which takes the message back); built before both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kodeord.app.jobs import InlineJobs, Job
from kodeord.app.mo.ports import StoredMo


@dataclass(frozen=True, slots=True)
class Leased:
    """A deliver job leased at intake, with its message as stored."""

    job: Job
    message: StoredMo


class LeasedDeliveries:
    __slots__ = ("_preloaded", "inline")

    def __init__(self, inline: InlineJobs) -> None:
        self.inline = inline
        self._preloaded: dict[int, StoredMo] = {}

    def run(self, leased: Sequence[Leased]) -> None:
        """Start committed leased jobs on the worker, their messages kept for delivery."""
        runner = self.inline.runner
        if not leased or runner is None:
            return
        for item in leased:
            self._preloaded[item.message.id] = item.message
        runner.take([item.job for item in leased])

    def take_message(self, message_id: int) -> StoredMo | None:
        """The message of a leased job, once (a retry reads it again)."""
        return self._preloaded.pop(message_id, None)
