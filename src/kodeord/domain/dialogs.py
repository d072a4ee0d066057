"""Dialog IDs: the suffix an MT in a conversation carries after its short number, so
that the phone's answer reaches the same customer whatever its text (no keyword).

Rules:
- A suffix is `SUFFIX_DIGITS` (4) ASCII digits: 2077 + 0421 goes out as 20770421, a
  5-digit number as a 9-digit address. Fixed length, so the router can cut the address
  without guessing, and short enough for every operator: SMPP 3.4 carries up to 20
  digits in source_addr (5.2.8), a Norwegian mobile number is 8. 10,000 conversations
  can be open on one number at a time.
- One dialog per (number, customer, phone): a customer's next MT in a conversation with
  that phone reuses its suffix, and every MT extends the dialog's life to its send time
  plus `DialogPolicy.reply_window` (7 days): the phone can answer that long.
- A suffix is never given to another conversation while its dialog can still receive
  answers, nor for `DialogPolicy.grace` (1 day) after it expired: an answer that comes
  late (a phone that was off) finds no owner and is routed like any text to the base
  number, never to a stranger. After that the suffix is free again.
- A free suffix is chosen at random (`choose_suffix`, the randomness an argument), not
  in sequence: a suffix tells nobody how many conversations a number has, and a phone
  that guesses a neighbour's suffix finds nothing to hijack in order.
- A 4-digit number's suffix whose first digit makes a registered 5-digit number
  (2077 + 0… when 20770 exists) would be read as that number by the router
  (`routing.number_candidates` tries 5 digits first): such suffixes are never chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

SUFFIX_DIGITS = 4
REPLY_WINDOW = timedelta(days=7)
GRACE = timedelta(days=1)
_PROBES = 64  # random draws before the free suffixes are listed (a nearly full number)

Draw = Callable[[int], int]
"""`draw(n)`: a uniformly random integer in 0 … n-1 (`secrets.randbelow`, `Random.randrange`)."""


@dataclass(frozen=True, slots=True)
class DialogPolicy:
    reply_window: timedelta = REPLY_WINDOW
    grace: timedelta = GRACE
    digits: int = SUFFIX_DIGITS

    def expiry(self, sent_at: datetime) -> datetime:
        """Until when an MT sent at `sent_at` can be answered."""
        return sent_at + self.reply_window

    def blocked_since(self, now: datetime) -> datetime:
        """Dialogs that expired after this moment still hold their suffix."""
        return now - self.grace


DEFAULT_POLICY = DialogPolicy()


@dataclass(frozen=True, slots=True)
class Dialog:
    """A conversation's suffix on a number, as stored."""

    number: str
    subnumber: str
    customer_id: int
    phone: str | None
    expires_at: datetime


def dialog_address(number: str, subnumber: str) -> str:
    """The address an MT of the dialog goes out from (and its answers come to)."""
    return number + subnumber


def extended(dialog: Dialog, sent_at: datetime, policy: DialogPolicy = DEFAULT_POLICY) -> datetime:
    """The dialog's expiry once an MT sent at `sent_at` is in it (never shortened)."""
    return max(dialog.expires_at, policy.expiry(sent_at))


def holds_suffix(
    expires_at: datetime, now: datetime, policy: DialogPolicy = DEFAULT_POLICY
) -> bool:
    """Whether a dialog that expires at `expires_at` still keeps its suffix from others."""
    return expires_at > policy.blocked_since(now)


def clashing_first_digits(number: str, registered: Iterable[str]) -> frozenset[str]:
    """The first digits a suffix of `number` must not start with: those that make the
    start of the address another registered (longer) short number."""
    if len(number) != 4:
        return frozenset()
    return frozenset(
        other[4] for other in registered if len(other) == 5 and other.startswith(number)
    )


def choose_suffix(
    blocked: Collection[str],
    draw: Draw,
    *,
    digits: int = SUFFIX_DIGITS,
    excluded_first: Collection[str] = frozenset(),
) -> str | None:
    """A suffix not in `blocked`, uniformly at random among the free ones; None when
    every suffix is taken. Draws at random first (each draw is uniform and a taken one
    is thrown away, so the result is uniform among the free); only a number with few
    free suffixes left has them listed."""
    space = 10**digits

    def free(suffix: str) -> bool:
        return suffix not in blocked and suffix[:1] not in excluded_first

    for _ in range(_PROBES):
        suffix = f"{draw(space):0{digits}d}"
        if free(suffix):
            return suffix
    remaining = [s for s in (f"{n:0{digits}d}" for n in range(space)) if free(s)]
    return remaining[draw(len(remaining))] if remaining else None


@dataclass(frozen=True, slots=True)
class DialogPlan:
    """What an MT in a conversation does about its dialog: keep `subnumber` (the one
    the conversation has) or, when None, take a new suffix; either way until `expires_at`."""

    subnumber: str | None
    expires_at: datetime


def plan_dialog(
    current: Dialog | None, sent_at: datetime, policy: DialogPolicy = DEFAULT_POLICY
) -> DialogPlan:
    """The plan for an MT sent at `sent_at` whose (number, customer, phone) has the
    dialog `current` (None: none). A dialog still stored for the conversation keeps its
    suffix even past its expiry: nobody else was given it (that replaces the row), and
    the phone may still answer the old address."""
    if current is None:
        return DialogPlan(None, policy.expiry(sent_at))
    return DialogPlan(current.subnumber, extended(current, sent_at, policy))
