"""The address an MT in a conversation goes out from (dialog IDs, domain/dialogs.py).

Rules:
- A number without dialog IDs: the number itself; the phone's keywordless answer then
  finds the customer by its open session, when it has one (domain/routing.py).
- A number with dialog IDs: the conversation's dialog (number, customer, phone) keeps
  its suffix and lives until this MT's send time plus the reply window; a conversation
  without one takes a free suffix at random, in the MT's own unit of work, so the
  message and its dialog commit together.
- A suffix lost to a concurrent conversation (the store refuses it) is thrown away and
  another drawn; a number with every suffix held sends from the number itself, which
  loses nothing (the answer is routed as any text to the number is).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Protocol

from kodeord.app.mt.ports import DialogStore
from kodeord.domain.dialogs import (
    DEFAULT_POLICY,
    Dialog,
    DialogPolicy,
    Draw,
    choose_suffix,
    clashing_first_digits,
    dialog_address,
    plan_dialog,
)

_ATTEMPTS = 8  # suffixes drawn before giving up on a number that keeps losing races


class DialogTx(Protocol):
    @property
    def dialogs(self) -> DialogStore: ...


async def conversation_sender(
    tx: DialogTx,
    number: str,
    customer_id: int,
    phone: str,
    sent_at: datetime,
    *,
    draw: Draw = secrets.randbelow,
    policy: DialogPolicy = DEFAULT_POLICY,
) -> str:
    """The source address of the customer's MT to `phone` in a conversation on `number`."""
    store = tx.dialogs
    if not await store.enabled(number):
        return number
    current = await store.of_phone(number, customer_id, phone)
    plan = plan_dialog(current, sent_at, policy)
    if plan.subnumber is not None:
        await store.extend(number, plan.subnumber, plan.expires_at)
        return dialog_address(number, plan.subnumber)
    now = sent_at
    free_before = policy.blocked_since(now)
    blocked = await store.held(number, free_before)
    excluded = clashing_first_digits(number, await store.longer_numbers(number))
    for _ in range(_ATTEMPTS):
        suffix = choose_suffix(blocked, draw, digits=policy.digits, excluded_first=excluded)
        if suffix is None:
            break
        dialog = Dialog(number, suffix, customer_id, phone, plan.expires_at)
        if await store.take(dialog, now, free_before):
            return dialog_address(number, suffix)
        blocked.add(suffix)
    return number
