"""Console user accounts: the first users (CLI), invitations, password resets, language.

Rules:
- `create` is for the command line (the first provider user, or any user a provider sets
  up by hand): it takes the password at once.
- An owner invites members of its own customer; a provider user invites owners or
  members of any customer. The invitee gets an account without a password and a
  one-time link (domain/users.py: 7 days) by e-mail when a relay is set; the inviter is
  always shown the link too, so a gateway without SMTP can still add people.
- A reset request for an unknown address looks like one for a known address (nothing
  tells which addresses have accounts). The link (1 hour) goes only by e-mail: showing it
  to whoever asked would hand the account to anyone who knows the address. Without a
  relay, a provider makes one with `kodeord users reset-link`.
- Using a link sets the password and ends every session of the user (a reset after a
  stolen password locks the thief out).
- Mails speak bokmål and English both: the invitee's language is not known yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kodeord.app.context import Context
from kodeord.app.errors import Conflict, Forbidden, Invalid, NotFound
from kodeord.app.users.ports import Mailer, NewUser, PasswordHasher, User, UsersTx
from kodeord.app.users.signin import audit_entry, new_token
from kodeord.domain import users as rules
from kodeord.domain.users import LinkPurpose, Role

Ctx = Context[UsersTx]
LANGUAGES = ("nb", "en")

_MAILS: dict[LinkPurpose, tuple[str, str]] = {
    LinkPurpose.INVITE: (
        "Invitasjon til SMS-Tjenesten / Invitation to SMS-Tjenesten",
        "Hei!\n\n{inviter} har invitert deg til {customer} i SMS-Tjenesten.\n"
        "Velg passord her (lenken virker i 7 dager og én gang):\n{link}\n\n"
        "Hello!\n\n{inviter} has invited you to {customer} on SMS-Tjenesten.\n"
        "Choose your password here (the link works once, for 7 days):\n{link}\n",
    ),
    LinkPurpose.RESET: (
        "Nytt passord til SMS-Tjenesten / New password for SMS-Tjenesten",
        "Hei!\n\nNoen ba om nytt passord for {email}. Velg et nytt her (lenken virker i "
        "én time og én gang):\n{link}\nBa du ikke om dette, kan du se bort fra e-posten.\n\n"
        "Hello!\n\nSomeone asked for a new password for {email}. Choose one here (the link "
        "works once, for one hour):\n{link}\nIf it was not you, ignore this mail.\n",
    ),
}


@dataclass(frozen=True, slots=True)
class Invitation:
    user: User
    link: str
    mailed: bool


PASSWORD_RULES = {
    "too_short": f"the password needs at least {rules.MIN_PASSWORD} characters",
    "too_long": f"the password may have at most {rules.MAX_PASSWORD} characters",
    "one_character": "the password may not be one character repeated",
    "is_email": "the password may not be the e-mail address",
}


def check_password(password: str, email: str) -> None:
    problem = rules.password_problem(password, email)
    if problem is not None:
        raise Invalid(f"password_{problem}", PASSWORD_RULES[problem], field="password")


def checked_email(email: str) -> str:
    email = rules.normalise_email(email)
    problem = rules.email_problem(email)
    if problem is not None:
        raise Invalid(f"email_{problem}", "that is not an e-mail address", field="email")
    return email


def link_url(base_url: str, purpose: LinkPurpose, token: str) -> str:
    return f"{base_url.rstrip('/')}/console/{purpose.value}/{token}"


class ConsoleUsers:
    def __init__(self, ctx: Ctx, passwords: PasswordHasher, mail: Mailer | None) -> None:
        self._ctx = ctx
        self._passwords = passwords
        self._mail = mail

    @property
    def can_mail(self) -> bool:
        return self._mail is not None

    async def create(
        self,
        email: str,
        role: Role,
        password: str,
        customer_id: int | None = None,
        language: str = "nb",
    ) -> User:
        email = checked_email(email)
        check_password(password, email)
        password_hash = await self._passwords.hash(password)
        return await self._add(email, role, customer_id, language, password_hash)

    async def _add(
        self,
        email: str,
        role: Role,
        customer_id: int | None,
        language: str,
        password_hash: str | None,
    ) -> User:
        problem = rules.role_problem(role, customer_id)
        if problem is not None:
            raise Invalid(problem, "a provider user has no customer; a customer user has one")
        if language not in LANGUAGES:
            raise Invalid("unknown_language", "the language is nb or en", field="language")
        new = NewUser(email, role, customer_id, language, self._ctx.clock(), password_hash)
        async with self._ctx.storage.transaction() as tx:
            if customer_id is not None and await tx.customers.get(customer_id) is None:
                raise NotFound("customer_not_found", f"no customer {customer_id}")
            user = await tx.users.add(new)
        if user is None:
            raise Conflict("email_taken", "that address has an account already", field="email")
        return user

    async def invite(
        self, inviter: User, email: str, role: Role, customer_id: int, base_url: str
    ) -> Invitation:
        allowed = inviter.role is Role.PROVIDER or (
            inviter.role is Role.OWNER and inviter.customer_id == customer_id
        )
        if not allowed or role is Role.PROVIDER:
            raise Forbidden("not_allowed", "you may not invite this user")
        user = await self._add(checked_email(email), role, customer_id, inviter.language, None)
        link = await self._new_link(user, LinkPurpose.INVITE, base_url)
        async with self._ctx.storage.transaction() as tx:
            await tx.audit.add(audit_entry(self._ctx, inviter, "console.invite", None))
            customer = await tx.customers.get(customer_id)
        names = {"inviter": inviter.email, "customer": customer.name if customer else ""}
        mailed = await self._send(LinkPurpose.INVITE, user, link, **names)
        return Invitation(user, link, mailed)

    async def request_reset(self, email: str, base_url: str) -> None:
        """Mail a reset link if the address has an account and a relay is set."""
        async with self._ctx.storage.read() as tx:
            user = await tx.users.by_email(rules.normalise_email(email))
        if user is None or user.disabled_at is not None or self._mail is None:
            return
        link = await self._new_link(user, LinkPurpose.RESET, base_url)
        await self._send(LinkPurpose.RESET, user, link)

    async def reset_link(self, email: str, base_url: str) -> str:
        """A reset link for the command line (a provider hands it over)."""
        async with self._ctx.storage.read() as tx:
            user = await tx.users.by_email(rules.normalise_email(email))
        if user is None:
            raise NotFound("user_not_found", "no user has that address")
        return await self._new_link(user, LinkPurpose.RESET, base_url)

    async def _new_link(self, user: User, purpose: LinkPurpose, base_url: str) -> str:
        token, now = new_token(self._ctx), self._ctx.clock()
        expires_at = now + rules.LINK_LIFETIME[purpose]
        hashed = rules.token_hash(token)
        await self._ctx.storage.write(
            lambda tx: tx.user_links.add(hashed, purpose, user.id, now, expires_at)
        )
        return link_url(base_url, purpose, token)

    async def _send(self, purpose: LinkPurpose, user: User, link: str, **names: str) -> bool:
        if self._mail is None:
            return False
        subject, body = _MAILS[purpose]
        text = body.format(link=link, email=user.email, **names)
        message_id = f"{purpose.value}-{rules.token_hash(link)[:24]}"
        outcome = await self._mail.send(user.email, subject, text, message_id=message_id)
        return outcome.ok

    async def open_link(self, token: str, purpose: LinkPurpose) -> User:
        """The user a link is for, while it can still be used."""
        now = self._ctx.clock()
        async with self._ctx.storage.read() as tx:
            user_id = await tx.user_links.peek(rules.token_hash(token), purpose, now)
            user = await tx.users.get(user_id) if user_id is not None else None
        if user is None:
            raise NotFound("link_not_valid", "this link is used, expired or unknown")
        return user

    async def use_link(self, token: str, purpose: LinkPurpose, password: str) -> User:
        user = await self.open_link(token, purpose)
        check_password(password, user.email)
        password_hash = await self._passwords.hash(password)
        now: datetime = self._ctx.clock()
        async with self._ctx.storage.transaction() as tx:
            if await tx.user_links.take(rules.token_hash(token), purpose, now) != user.id:
                raise NotFound("link_not_valid", "this link is used, expired or unknown")
            await tx.users.set_password(user.id, password_hash)
            await tx.console_sessions.remove_of_user(user.id)
            await tx.audit.add(audit_entry(self._ctx, user, f"console.{purpose.value}", None))
        return user

    async def set_language(self, user: User, language: str) -> None:
        if language not in LANGUAGES:
            raise Invalid("unknown_language", "the language is nb or en", field="language")
        await self._ctx.storage.write(lambda tx: tx.users.set_language(user.id, language))

    async def has_provider(self) -> bool:
        async with self._ctx.storage.read() as tx:
            return await tx.users.any_provider()

    async def of_customer(self, viewer: User, customer_id: int) -> list[User]:
        if viewer.role is not Role.PROVIDER and viewer.customer_id != customer_id:
            raise NotFound("customer_not_found", f"no customer {customer_id}")
        async with self._ctx.storage.read() as tx:
            return await tx.users.of_customer(customer_id)
