"""Long-running loops must stop when cancelled, even when a library swallows the cancel.

A task cancelled inside a database call can see the cancellation turned into another
exception: SQLAlchemy rolls the interrupted transaction back and may raise, for example,
PendingRollbackError instead of the CancelledError. A loop that logs every `Exception`
and tries again would then run on, and whoever awaits the cancelled task waits for ever
(seen: a gateway that did not stop on SIGTERM). Such loops call `raise_if_cancelling()`
first thing in their `except Exception` handler.
"""

from __future__ import annotations

import asyncio


def raise_if_cancelling() -> None:
    """Raise CancelledError if the current task has been asked to stop."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
