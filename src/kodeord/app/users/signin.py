"""Signing in and out of the console, and the session a cookie stands for.

Rules (the policies themselves are domain/signin.py):
- `sign_in` checks the lockout of the address and of the client before the password, so
  a locked key costs no hash; an unknown address costs a decoy hash, so the answer and
  its timing are the same as for a wrong password (`wrong_credentials`).
- A failure is recorded for both keys in one unit of work; the failure that reaches the
  limit is answered with `locked` at once.
- A session is a random token in the cookie; the database keeps its SHA-256, the user and
  the session's CSRF token. `current` ends (deletes) a session past its idle or absolute
  limit and one whose user is disabled, and writes `last_seen_at` at most once a minute.
- Sign-in and sign-out are audit entries (actor `user:<id>`, source the client).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from kodeord.app.accounts.ports import NewAuditEntry
from kodeord.app.context import Context
from kodeord.app.errors import AppError, Unauthorized
from kodeord.app.users.ports import ConsoleSession, PasswordHasher, User, UsersTx
from kodeord.domain import signin as rules
from kodeord.domain.users import TOKEN_BYTES, normalise_email, token_hash

Ctx = Context[UsersTx]
FAILURES_KEPT = timedelta(days=1)


class Locked(AppError):
    """Too many failures: sign-in is refused until `until`."""

    def __init__(self, until: datetime) -> None:
        super().__init__("locked", "too many failed sign-ins; try again later", until=until)
        self.until = until


@dataclass(frozen=True, slots=True)
class Visit:
    """A signed-in visitor: the user and the session's CSRF token."""

    user: User
    csrf_token: str
    session_token: str


def new_token(ctx: Ctx) -> str:
    return base64.urlsafe_b64encode(ctx.random_bytes(TOKEN_BYTES)).decode().rstrip("=")


def audit_entry(ctx: Ctx, user: User, action: str, client: str | None) -> NewAuditEntry:
    return NewAuditEntry(
        at=ctx.clock(),
        actor=f"user:{user.id}",
        action=action,
        target=f"user:{user.id}",
        customer_id=user.customer_id,
        source=(client or "")[:64] or None,
        detail=None,
    )


class SignIn:
    def __init__(
        self,
        ctx: Ctx,
        passwords: PasswordHasher,
        lockout: rules.LockoutPolicy | None = None,
        sessions: rules.SessionPolicy | None = None,
    ) -> None:
        self._ctx = ctx
        self._passwords = passwords
        self.lockout = lockout or rules.LockoutPolicy()
        self.sessions = sessions or rules.SessionPolicy()

    async def sign_in(self, email: str, password: str, client: str) -> Visit:
        email = normalise_email(email)
        keys = [rules.email_key(email), rules.client_key(client)]
        now = self._ctx.clock()
        async with self._ctx.storage.read() as tx:
            failures = await tx.login_failures.get(keys)
            user = await tx.users.by_email(email)
        self._refuse_if_locked(failures.values(), now)
        if user is None or not user.active or user.password_hash is None:
            await self._passwords.decoy(password)
        elif await self._passwords.verify(user.password_hash, password):
            return await self._open_session(user, keys[0], client)
        await self._record_failure(keys, failures, now)
        raise Unauthorized("wrong_credentials", "wrong e-mail address or password")

    def _refuse_if_locked(self, failures: Iterable[rules.Failures], now: datetime) -> None:
        for record in failures:
            until = rules.locked(record, now)
            if until is not None:
                raise Locked(until)

    async def _record_failure(
        self, keys: list[str], failures: dict[str, rules.Failures], now: datetime
    ) -> None:
        updated = {k: rules.after_failure(failures.get(k), k, now, self.lockout) for k in keys}

        async def record(tx: UsersTx) -> None:
            for key, record in updated.items():
                await tx.login_failures.put(key, record)

        await self._ctx.storage.write(record)
        self._refuse_if_locked(updated.values(), now)

    async def _open_session(self, user: User, email_key: str, client: str) -> Visit:
        token, csrf, now = new_token(self._ctx), new_token(self._ctx), self._ctx.clock()
        session = ConsoleSession(token_hash(token), user.id, csrf, now, now)
        async with self._ctx.storage.transaction() as tx:
            await tx.login_failures.clear(email_key)
            await tx.console_sessions.add(session)
            await tx.audit.add(audit_entry(self._ctx, user, "console.sign_in", client))
        return Visit(user, csrf, token)

    async def current(self, token: str) -> Visit | None:
        """The visit a session cookie stands for, or None (no such session, or it ended)."""
        if not token:
            return None
        hashed, now = token_hash(token), self._ctx.clock()
        async with self._ctx.storage.read() as tx:
            session = await tx.console_sessions.get(hashed)
            user = await tx.users.get(session.user_id) if session else None
        if session is None:
            return None
        if user is None or not user.active or not self._alive(session, now):
            await self._ctx.storage.write(lambda tx: tx.console_sessions.remove(hashed))
            return None
        if self.sessions.needs_touch(session.last_seen_at, now):
            await self._ctx.storage.write(lambda tx: tx.console_sessions.touch(hashed, now))
        return Visit(user, session.csrf_token, token)

    def _alive(self, session: ConsoleSession, now: datetime) -> bool:
        return self.sessions.alive(session.created_at, session.last_seen_at, now)

    async def sign_out(self, visit: Visit, client: str | None) -> None:
        async with self._ctx.storage.transaction() as tx:
            await tx.console_sessions.remove(token_hash(visit.session_token))
            await tx.audit.add(audit_entry(self._ctx, visit.user, "console.sign_out", client))

    async def forget_expired(self, now: datetime) -> int:
        """Housekeeping: delete ended sessions, old failure records and used-up links."""
        seen_before, created_before = now - self.sessions.idle, now - self.sessions.absolute

        async def forget(tx: UsersTx) -> int:
            count = await tx.console_sessions.remove_stale(seen_before, created_before)
            count += await tx.login_failures.remove_before(now - FAILURES_KEPT, now)
            return count + await tx.user_links.remove_before(now - FAILURES_KEPT)

        return await self._ctx.storage.write(forget)
