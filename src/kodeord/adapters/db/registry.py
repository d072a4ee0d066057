"""SQL of the router's read model (app/keywords/registry.py): the short numbers with their
settings, the words held on them with their leases' routes, dialog and session owners,
signing secrets (sealed as stored), the customers' default routes and which customers are
suspended. Reads only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.keywords import short_number
from kodeord.adapters.db.number_texts import language_of, overrides_of
from kodeord.adapters.db.schema import (
    customer_settings,
    customers,
    dialogs,
    keyword_leases,
    lease_keywords,
    messages,
    number_settings,
    short_numbers,
    signing_secrets,
)
from kodeord.app.keywords.records import DialogHolder, LeaseStatus, RoutedKey, RoutedNumber
from kodeord.domain.messages import Direction
from kodeord.domain.texts import Language, TextKey


class RoutingFactsRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def numbers(self, candidates: Sequence[str]) -> list[RoutedNumber]:
        query = (
            select(
                short_numbers,
                number_settings.c.help_text,
                number_settings.c.reply_unknown,
                number_settings.c.reply_language,
            )
            .outerjoin(number_settings, number_settings.c.number == short_numbers.c.number)
            .where(short_numbers.c.number.in_(list(candidates)))
        )
        rows = (await self._conn.execute(query)).all()
        return [
            RoutedNumber(
                short_number(r),
                r.help_text,
                bool(r.reply_unknown),
                language_of(r.reply_language),
            )
            for r in rows
        ]

    async def texts_on(self, number: str) -> dict[tuple[TextKey, Language], str]:
        """The number's own versions of the gateway's texts."""
        return await overrides_of(self._conn, number)

    async def keys_on(self, number: str) -> list[RoutedKey]:
        """Every word of every lease holding words on the number, with its lease."""
        query = (
            select(
                lease_keywords.c.fold,
                lease_keywords.c.canonical,
                keyword_leases.c.id,
                keyword_leases.c.customer_id,
                keyword_leases.c.keyword,
                keyword_leases.c.status,
                keyword_leases.c.allow_digit_suffix,
                keyword_leases.c.route,
            )
            .join(keyword_leases, keyword_leases.c.id == lease_keywords.c.lease_id)
            .where(lease_keywords.c.number == number)
        )
        return [
            RoutedKey(
                fold=r[0],
                canonical=r[1],
                lease_id=r[2],
                customer_id=r[3],
                keyword=r[4],
                status=LeaseStatus(r[5]),
                allow_digit_suffix=bool(r[6]),
                route=dict(r[7]),
            )
            for r in (await self._conn.execute(query)).all()
        ]

    async def dialog_owner(self, number: str, subnumber: str, now: datetime) -> DialogHolder | None:
        query = select(dialogs.c.customer_id, dialogs.c.lease_id).where(
            dialogs.c.number == number, dialogs.c.subnumber == subnumber, dialogs.c.expires_at > now
        )
        row = (await self._conn.execute(query)).one_or_none()
        return None if row is None else DialogHolder(int(row[0]), row[1])

    async def any_session_routing(self) -> bool:
        """Whether any customer has opted in to open-session routing at all."""
        query = select(customer_settings.c.customer_id).where(
            customer_settings.c.session_window_minutes.is_not(None)
        )
        return (await self._conn.execute(query.limit(1))).first() is not None

    async def session_candidates(self, number: str, phone: str, now: datetime) -> list[int]:
        """Customers who opted in to session routing and sent an MT from `number` to
        `phone` within their own window (checked here against each MT's time)."""
        query = (
            select(
                messages.c.customer_id,
                func.max(messages.c.received_at),
                customer_settings.c.session_window_minutes,
            )
            .join(customer_settings, customer_settings.c.customer_id == messages.c.customer_id)
            .where(
                messages.c.direction == Direction.OUTBOUND.value,
                messages.c.number == number,
                messages.c.recipient == phone,
                customer_settings.c.session_window_minutes.is_not(None),
            )
            .group_by(messages.c.customer_id, customer_settings.c.session_window_minutes)
        )
        found = []
        for customer_id, last, minutes in (await self._conn.execute(query)).all():
            last_at = last if last.tzinfo else last.replace(tzinfo=now.tzinfo)
            if (now - last_at).total_seconds() <= minutes * 60:
                found.append(int(customer_id))
        return found

    async def signing_secrets(self, customer_ids: Sequence[int]) -> dict[int, str]:
        query = select(signing_secrets.c.customer_id, signing_secrets.c.secret).where(
            signing_secrets.c.customer_id.in_(list(customer_ids))
        )
        return {int(row[0]): str(row[1]) for row in (await self._conn.execute(query)).all()}

    async def default_routes(self, customer_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The default routes the customers set (a JSON null means none)."""
        query = select(customer_settings.c.customer_id, customer_settings.c.default_route).where(
            customer_settings.c.customer_id.in_(list(customer_ids))
        )
        rows = (await self._conn.execute(query)).all()
        return {int(row[0]): dict(row[1]) for row in rows if row[1]}

    async def suspended_customers(self) -> list[int]:
        """The customers the provider has suspended (few: the whole list is read)."""
        query = select(customers.c.id).where(customers.c.suspended_at.is_not(None))
        return [int(row[0]) for row in (await self._conn.execute(query)).all()]
