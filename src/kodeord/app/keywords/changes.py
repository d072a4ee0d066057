"""`RoutingChanges`: the routing facts this process changed, for its read models.

A use case that changes what the router reads (a number, its settings, a keyword on it;
None: a customer's settings, which reach every number) calls `changed(number)` after its
unit of work commits (`ctx.routing_changed` is this method). A read model (the router's
registry, app/keywords/registry.py) is given the object in its constructor and asks
`since(position)` before it answers, so nothing registers with anything after the
composition root built it. Other nodes' changes are seen through the caches' TTL.

The log keeps the last `keep` changes; a reader further behind than that is told "all"
(None) and starts over, which is always safe for a cache.
"""

from __future__ import annotations

from collections import deque

ALL = None  # a change that reaches every number (a customer's settings)


class RoutingChanges:
    def __init__(self, keep: int = 1000) -> None:
        self._log: deque[str | None] = deque(maxlen=keep)
        self._count = 0  # changes ever made; a reader's position is a past count

    @property
    def position(self) -> int:
        """Where a reader that has seen everything so far stands."""
        return self._count

    def changed(self, number: str | None) -> None:
        """The routing facts of `number` (None: of every number) changed."""
        self._log.append(number)
        self._count += 1

    def since(self, position: int) -> tuple[int, list[str | None]]:
        """The changes after `position`, and the position after them. A reader older than
        the log gets [None] (everything changed)."""
        behind = self._count - position
        if behind <= 0:
            return self._count, []
        if behind > len(self._log):
            return self._count, [ALL]
        return self._count, list(self._log)[-behind:]
