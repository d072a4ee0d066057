"""SQL of console users (`tx.users`, `tx.console_sessions`, `tx.login_failures`,
`tx.user_links`; app/users/ports.py). Never commits.

Addresses are stored as the app normalised them (lower case); the unique index on
`users.email` is what refuses a second account for one address, even under races.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import console_sessions, login_failures, user_tokens, users
from kodeord.app.users.ports import ConsoleSession, NewUser, User
from kodeord.domain.signin import Failures
from kodeord.domain.users import LinkPurpose, Role


def _user(row: Row[Any]) -> User:
    return User(
        id=row.id,
        email=row.email,
        role=Role(row.role),
        customer_id=row.customer_id,
        language=row.language,
        created_at=row.created_at,
        password_hash=row.password_hash,
        disabled_at=row.disabled_at,
    )


class UserRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, user: NewUser) -> User | None:
        values = {
            "email": user.email,
            "role": user.role.value,
            "customer_id": user.customer_id,
            "language": user.language,
            "created_at": user.created_at,
            "password_hash": user.password_hash,
        }
        try:
            async with self._conn.begin_nested():
                query = insert(users).values(**values).returning(*users.c)
                return _user((await self._conn.execute(query)).one())
        except IntegrityError:
            return None

    async def _one(self, *where: Any) -> User | None:
        row = (await self._conn.execute(select(users).where(*where))).one_or_none()
        return None if row is None else _user(row)

    async def get(self, user_id: int) -> User | None:
        return await self._one(users.c.id == user_id)

    async def by_email(self, email: str) -> User | None:
        return await self._one(users.c.email == email)

    async def of_customer(self, customer_id: int) -> list[User]:
        query = select(users).where(users.c.customer_id == customer_id).order_by(users.c.id)
        return [_user(row) for row in (await self._conn.execute(query)).all()]

    async def any_provider(self) -> bool:
        query = select(users.c.id).where(users.c.role == Role.PROVIDER.value).limit(1)
        return (await self._conn.execute(query)).first() is not None

    async def set_password(self, user_id: int, password_hash: str) -> None:
        query = update(users).where(users.c.id == user_id).values(password_hash=password_hash)
        await self._conn.execute(query)

    async def set_language(self, user_id: int, language: str) -> None:
        query = update(users).where(users.c.id == user_id).values(language=language)
        await self._conn.execute(query)


class ConsoleSessionRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, session: ConsoleSession) -> None:
        await self._conn.execute(
            insert(console_sessions).values(
                token_hash=session.token_hash,
                user_id=session.user_id,
                csrf_token=session.csrf_token,
                created_at=session.created_at,
                last_seen_at=session.last_seen_at,
            )
        )

    async def get(self, token_hash: str) -> ConsoleSession | None:
        query = select(console_sessions).where(console_sessions.c.token_hash == token_hash)
        row = (await self._conn.execute(query)).one_or_none()
        if row is None:
            return None
        return ConsoleSession(
            row.token_hash, row.user_id, row.csrf_token, row.created_at, row.last_seen_at
        )

    async def touch(self, token_hash: str, now: datetime) -> None:
        query = update(console_sessions).where(console_sessions.c.token_hash == token_hash)
        await self._conn.execute(query.values(last_seen_at=now))

    async def remove(self, token_hash: str) -> None:
        query = delete(console_sessions).where(console_sessions.c.token_hash == token_hash)
        await self._conn.execute(query)

    async def remove_of_user(self, user_id: int) -> int:
        query = delete(console_sessions).where(console_sessions.c.user_id == user_id)
        return (await self._conn.execute(query)).rowcount

    async def remove_stale(self, seen_before: datetime, created_before: datetime) -> int:
        query = delete(console_sessions).where(
            or_(
                console_sessions.c.last_seen_at < seen_before,
                console_sessions.c.created_at < created_before,
            )
        )
        return (await self._conn.execute(query)).rowcount


class LoginFailureRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, keys: Sequence[str]) -> dict[str, Failures]:
        query = select(login_failures).where(login_failures.c.key.in_(list(keys)))
        return {
            row.key: Failures(row._mapping["count"], row.first_at, row.locked_until)
            for row in (await self._conn.execute(query)).all()
        }

    async def put(self, key: str, failures: Failures) -> None:
        await self.clear(key)
        await self._conn.execute(
            insert(login_failures).values(
                key=key,
                count=failures.count,
                first_at=failures.first_at,
                locked_until=failures.locked_until,
            )
        )

    async def clear(self, key: str) -> None:
        await self._conn.execute(delete(login_failures).where(login_failures.c.key == key))

    async def remove_before(self, first_before: datetime, now: datetime) -> int:
        query = delete(login_failures).where(
            login_failures.c.first_at < first_before,
            or_(login_failures.c.locked_until.is_(None), login_failures.c.locked_until <= now),
        )
        return (await self._conn.execute(query)).rowcount


class UserLinkRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(
        self,
        token_hash: str,
        purpose: LinkPurpose,
        user_id: int,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        await self._conn.execute(
            insert(user_tokens).values(
                token_hash=token_hash,
                purpose=purpose.value,
                user_id=user_id,
                created_at=now,
                expires_at=expires_at,
            )
        )

    def _usable(self, token_hash: str, purpose: LinkPurpose, now: datetime) -> list[Any]:
        return [
            user_tokens.c.token_hash == token_hash,
            user_tokens.c.purpose == purpose.value,
            user_tokens.c.used_at.is_(None),
            user_tokens.c.expires_at > now,
        ]

    async def peek(self, token_hash: str, purpose: LinkPurpose, now: datetime) -> int | None:
        query = select(user_tokens.c.user_id).where(*self._usable(token_hash, purpose, now))
        return (await self._conn.execute(query)).scalar_one_or_none()

    async def take(self, token_hash: str, purpose: LinkPurpose, now: datetime) -> int | None:
        query = (
            update(user_tokens)
            .where(*self._usable(token_hash, purpose, now))
            .values(used_at=now)
            .returning(user_tokens.c.user_id)
        )
        found: int | None = (await self._conn.execute(query)).scalar_one_or_none()
        return found

    async def remove_before(self, expired_before: datetime) -> int:
        query = delete(user_tokens).where(user_tokens.c.expires_at < expired_before)
        return (await self._conn.execute(query)).rowcount
