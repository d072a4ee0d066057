"""Short numbers: the provider registers them; customers see those they can use.

`find_number(numbers, text)` is how every capability turns a number given by a caller
into the registered number (or the error a caller should see).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from kodeord.app.accounts.customers import Principal
from kodeord.app.context import Context
from kodeord.app.errors import Conflict, Invalid, NotFound
from kodeord.app.keywords.ports import KeywordsTx, NumberStore
from kodeord.domain.numbers import ShortNumber, is_short_number, number_problem


def number_view(number: ShortNumber) -> dict[str, Any]:
    return {**asdict(number), "mode": number.mode.value}


async def create_number(ctx: Context[KeywordsTx], number: ShortNumber) -> dict[str, Any]:
    fees = (
        number.monthly_fee_ore,
        number.setup_fee_ore,
        number.keyword_fee_ore,
        number.segment_price_ore,
    )
    problem = number_problem(number.number, number.mode, number.owner_customer_id, fees)
    if problem is not None:
        raise Invalid("invalid_number", problem)
    async with ctx.storage.transaction() as tx:
        owner = number.owner_customer_id
        if owner is not None and await tx.customers.get(owner) is None:
            raise NotFound("customer_not_found", f"no customer {owner}")
        if not await tx.numbers.add(number, ctx.clock()):
            raise Conflict("number_exists", f"{number.number} is registered already")
    ctx.routing_changed(number.number)
    return number_view(number)


async def list_numbers(ctx: Context[KeywordsTx], principal: Principal) -> list[dict[str, Any]]:
    async with ctx.storage.read() as tx:
        numbers = await tx.numbers.all(usable_by=principal.customer_id)
    return [number_view(n) for n in numbers]


def check_number_text(number: str) -> None:
    if not is_short_number(number):
        raise Invalid("invalid_number", "a short number is 4 or 5 digits, e.g. 2077")


async def find_number(numbers: NumberStore, number: str) -> ShortNumber:
    """The registered short number, or Invalid (not a short number) / NotFound."""
    check_number_text(number)
    found = await numbers.get(number)
    if found is None:
        raise NotFound("number_not_found", f"no short number {number}")
    return found
