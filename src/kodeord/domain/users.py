"""Console users: who they are, what each role may do, and the rules of their inputs.

Rules:
- A user is an e-mail address (folded to lower case, one account per address) with a
  role. `provider` users run the gateway: every customer, number, link and the registry.
  A customer's `owner` manages its account: keywords, routes, keys, team. A `member`
  works in it: reads and answers the inbox, sends, reads the log, looks at keywords.
- What a role may do is one table, `ALLOWED`; `may(role, action)` reads it. A provider
  user may do every customer action too (for any customer); what a customer user sees is
  always only its own customer's.
- Passwords: 10 to 200 characters, not all one character, not the e-mail address. Length
  beats composition rules (NIST SP 800-63B §5.1.1); the check says which rule failed.
- One-time links (invitation, password reset) carry a random token; only its SHA-256 is
  stored. An invitation lives 7 days, a reset link 1 hour; either works once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class Role(StrEnum):
    PROVIDER = "provider"
    OWNER = "owner"
    MEMBER = "member"


class Action(StrEnum):
    READ_ACCOUNT = "read_account"  # dashboard, keywords, inbox, log
    ANSWER = "answer"  # reply in the inbox, send messages
    MANAGE_KEYWORDS = "manage_keywords"  # lease, cancel, renew, routes
    MANAGE_DEVELOPER = "manage_developer"  # API keys, SMPP accounts, signing secret
    MANAGE_TEAM = "manage_team"  # invite and remove members
    OPERATE = "operate"  # the provider pages: customers, numbers, links, registry


_CUSTOMER_WORK = frozenset({Action.READ_ACCOUNT, Action.ANSWER})
_CUSTOMER_ADMIN = _CUSTOMER_WORK | {
    Action.MANAGE_KEYWORDS,
    Action.MANAGE_DEVELOPER,
    Action.MANAGE_TEAM,
}
ALLOWED: dict[Role, frozenset[Action]] = {
    Role.PROVIDER: frozenset(Action),
    Role.OWNER: frozenset(_CUSTOMER_ADMIN),
    Role.MEMBER: _CUSTOMER_WORK,
}


def may(role: Role, action: Action) -> bool:
    return action in ALLOWED[role]


def is_customer_role(role: Role) -> bool:
    return role is not Role.PROVIDER


MIN_PASSWORD = 10
MAX_PASSWORD = 200
MAX_EMAIL = 254  # RFC 5321 §4.5.3.1.3, a whole path
_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\]+")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    """Why `email` (already normalised) is not an address we accept, or None."""
    if not email:
        return "missing"
    if len(email) > MAX_EMAIL:
        return "too_long"
    if not _EMAIL.fullmatch(email):
        return "not_an_address"
    return None


def password_problem(password: str, email: str = "") -> str | None:
    """Which password rule `password` breaks (a code the console translates), or None."""
    if len(password) < MIN_PASSWORD:
        return "too_short"
    if len(password) > MAX_PASSWORD:
        return "too_long"
    if len(set(password)) == 1:
        return "one_character"
    if email and password.strip().lower() == email:
        return "is_email"
    return None


def role_problem(role: Role, customer_id: int | None) -> str | None:
    """A provider user belongs to no customer; a customer user to exactly one."""
    if role is Role.PROVIDER and customer_id is not None:
        return "provider_has_no_customer"
    if is_customer_role(role) and customer_id is None:
        return "customer_needed"
    return None


class LinkPurpose(StrEnum):
    INVITE = "invite"
    RESET = "reset"


LINK_LIFETIME: dict[LinkPurpose, timedelta] = {
    LinkPurpose.INVITE: timedelta(days=7),
    LinkPurpose.RESET: timedelta(hours=1),
}
TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class LinkToken:
    """A one-time link's token as stored (only its hash) with its purpose and user."""

    token_hash: str
    purpose: LinkPurpose
    user_id: int
