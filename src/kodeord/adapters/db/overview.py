"""SQL of the dashboard's figures (`tx.overview`, app/overview/ports.FiguresStore): a few
COUNTs over indexed columns, run when a dashboard is opened."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import customers, keyword_leases, messages, short_numbers
from kodeord.app.keywords.records import LeaseStatus
from kodeord.app.overview.ports import Figures
from kodeord.domain.messages import MessageStatus
from kodeord.domain.numbers import NumberMode

_FAILING = (MessageStatus.FAILED.value, MessageStatus.REJECTED.value)


class OverviewRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def _count(self, query: Any) -> int:
        return int((await self._conn.execute(query)).scalar_one())

    async def figures(self, customer_id: int | None, since: datetime) -> Figures:
        mine = [] if customer_id is None else [messages.c.customer_id == customer_id]
        today = (
            select(func.count()).select_from(messages).where(messages.c.received_at >= since, *mine)
        )
        numbers = select(func.count()).select_from(short_numbers)
        leases = select(func.count()).select_from(keyword_leases)
        leases = leases.where(keyword_leases.c.status == LeaseStatus.ACTIVE.value)
        if customer_id is not None:
            numbers = numbers.where(
                (short_numbers.c.mode == NumberMode.SHARED.value)
                | (short_numbers.c.owner_customer_id == customer_id)
            )
            leases = leases.where(keyword_leases.c.customer_id == customer_id)
        provider = customer_id is None
        return Figures(
            numbers=await self._count(numbers),
            keywords=await self._count(leases),
            mo_today=await self._count(today.where(messages.c.direction == "inbound")),
            mt_today=await self._count(today.where(messages.c.direction == "outbound")),
            failing=await self._count(today.where(messages.c.status.in_(_FAILING))),
            unmatched_today=await self._count(
                today.where(messages.c.direction == "inbound", messages.c.customer_id.is_(None))
            )
            if provider
            else 0,
            customers=await self._count(select(func.count()).select_from(customers))
            if provider
            else 0,
        )
