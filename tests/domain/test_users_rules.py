"""Console users' rules as tables: roles, inputs, lockout, session lifetime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kodeord.domain import signin
from kodeord.domain.users import (
    Action,
    Role,
    email_problem,
    may,
    normalise_email,
    password_problem,
    role_problem,
)

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)

# (role, action, allowed)
PERMISSIONS = [
    (Role.PROVIDER, Action.OPERATE, True),
    (Role.PROVIDER, Action.MANAGE_KEYWORDS, True),
    (Role.OWNER, Action.OPERATE, False),
    (Role.OWNER, Action.MANAGE_TEAM, True),
    (Role.OWNER, Action.MANAGE_DEVELOPER, True),
    (Role.OWNER, Action.ANSWER, True),
    (Role.MEMBER, Action.READ_ACCOUNT, True),
    (Role.MEMBER, Action.ANSWER, True),
    (Role.MEMBER, Action.MANAGE_KEYWORDS, False),
    (Role.MEMBER, Action.MANAGE_DEVELOPER, False),
    (Role.MEMBER, Action.MANAGE_TEAM, False),
    (Role.MEMBER, Action.OPERATE, False),
]


@pytest.mark.parametrize(("role", "action", "allowed"), PERMISSIONS)
def test_what_each_role_may_do(role: Role, action: Action, allowed: bool) -> None:
    assert may(role, action) is allowed


# (typed, problem)
EMAILS = [
    (" Kari@Pizza.NO ", None),
    ("", "missing"),
    ("kari", "not_an_address"),
    ("kari@pizza", "not_an_address"),
    ("kari@@pizza.no", "not_an_address"),
    ("kari <kari@pizza.no>", "not_an_address"),
    ("a" * 250 + "@b.no", "too_long"),
]


@pytest.mark.parametrize(("typed", "problem"), EMAILS)
def test_email_rules(typed: str, problem: str | None) -> None:
    assert email_problem(normalise_email(typed)) == problem


# (password, email, problem)
PASSWORDS = [
    ("pizza-2077-ok", "kari@pizza.no", None),
    ("kort", "", "too_short"),
    ("x" * 201, "", "too_long"),
    ("aaaaaaaaaaaa", "", "one_character"),
    ("kari@pizza.no", "kari@pizza.no", "is_email"),
    ("æøå blåbær 2077", "", None),
]


@pytest.mark.parametrize(("password", "email", "problem"), PASSWORDS)
def test_password_rules(password: str, email: str, problem: str | None) -> None:
    assert password_problem(password, email) == problem


@pytest.mark.parametrize(
    ("role", "customer_id", "problem"),
    [
        (Role.PROVIDER, None, None),
        (Role.PROVIDER, 1, "provider_has_no_customer"),
        (Role.OWNER, 1, None),
        (Role.MEMBER, None, "customer_needed"),
    ],
)
def test_role_and_customer_go_together(
    role: Role, customer_id: int | None, problem: str | None
) -> None:
    assert role_problem(role, customer_id) == problem


POLICY = signin.LockoutPolicy()


def failures_after(key: str, minutes_apart: list[float]) -> signin.Failures:
    record = None
    at = T0
    for gap in minutes_apart:
        at += timedelta(minutes=gap)
        record = signin.after_failure(record, key, at, POLICY)
    assert record is not None
    return record


# (key, minutes between failures, count, locked)
LOCKOUTS = [
    ("email:kari@pizza.no", [0, 1, 1, 1], 4, False),
    ("email:kari@pizza.no", [0, 1, 1, 1, 1], 5, True),
    ("email:kari@pizza.no", [0, 1, 1, 1, 20], 1, False),  # the window ended: start over
    ("ip:10.0.0.1", [0] * 49, 49, False),
    ("ip:10.0.0.1", [0] * 50, 50, True),
]


@pytest.mark.parametrize(("key", "gaps", "count", "is_locked"), LOCKOUTS)
def test_lockout_counts_within_the_window(
    key: str, gaps: list[float], count: int, is_locked: bool
) -> None:
    record = failures_after(key, gaps)
    assert record.count == count
    at = T0 + timedelta(minutes=sum(gaps))
    assert (signin.locked(record, at) is not None) is is_locked


def test_a_lock_ends_after_its_time() -> None:
    record = failures_after("email:kari@pizza.no", [0, 0, 0, 0, 0])
    assert signin.locked(record, T0 + timedelta(minutes=14)) is not None
    assert signin.locked(record, T0 + timedelta(minutes=15)) is None


SESSIONS = signin.SessionPolicy()


# (hours since sign-in, hours since last seen, alive)
@pytest.mark.parametrize(
    ("age_hours", "idle_hours", "alive"),
    [(1, 0, True), (13, 11, True), (13, 12, False), (24 * 7 - 1, 0, True), (24 * 7, 0, False)],
)
def test_session_lifetime(age_hours: int, idle_hours: int, alive: bool) -> None:
    now = T0 + timedelta(hours=age_hours)
    assert SESSIONS.alive(T0, now - timedelta(hours=idle_hours), now) is alive


def test_last_seen_is_written_once_a_minute() -> None:
    assert not SESSIONS.needs_touch(T0, T0 + timedelta(seconds=59))
    assert SESSIONS.needs_touch(T0, T0 + timedelta(seconds=60))
