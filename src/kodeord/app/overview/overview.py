"""The dashboard's figures for one viewer.

Rules:
- "Today" is the calendar day in Europe/Oslo (what a Norwegian business means by it),
  turned into a UTC instant here; the store counts from it.
- A customer sees its own figures only; the provider sees everyone's, with the operator
  inbox and the number of customers besides. Which viewer is which is the caller's
  `customer_id` (None: the provider).
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from kodeord.app.context import Context
from kodeord.app.overview.ports import Figures, OverviewTx

OSLO = ZoneInfo("Europe/Oslo")


def start_of_day(now: datetime) -> datetime:
    """The UTC instant at which `now`'s day began in Oslo."""
    local = now.astimezone(OSLO)
    return datetime.combine(local.date(), time(0), OSLO).astimezone(UTC)


async def figures(ctx: Context[OverviewTx], customer_id: int | None) -> Figures:
    since = start_of_day(ctx.clock())
    async with ctx.storage.read() as tx:
        return await tx.overview.figures(customer_id, since)
