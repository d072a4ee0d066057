"""The port of the dashboard's figures (adapters/db/overview.py runs the counts).

`customer_id` None counts every customer's (the provider's view)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Figures:
    numbers: int  # short numbers the viewer can use (the provider: all)
    keywords: int  # active leases
    mo_today: int
    mt_today: int
    failing: int  # MO whose delivery failed, MT that failed or were rejected, today
    unmatched_today: int  # MO that stayed in the operator inbox today (provider only)
    customers: int  # provider only


class FiguresStore(Protocol):
    async def figures(self, customer_id: int | None, since: datetime) -> Figures: ...


class OverviewTx(Protocol):
    @property
    def overview(self) -> FiguresStore: ...
