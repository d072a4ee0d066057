"""Short numbers (kortnummer): 4 or 5 digits, shared among customers or dedicated to one.

A shared number is rented out keyword by keyword, each keyword for `keyword_fee_ore`
a month. A dedicated number belongs to one customer (its owner), who may register any
keywords on it without a keyword fee, and who also receives messages without a keyword.
Money is integer øre.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_SHORT_NUMBER = re.compile(r"[0-9]{4,5}")


class NumberMode(StrEnum):
    SHARED = "shared"
    DEDICATED = "dedicated"


@dataclass(frozen=True, slots=True)
class ShortNumber:
    number: str
    mode: NumberMode
    owner_customer_id: int | None
    premium: bool
    monthly_fee_ore: int
    setup_fee_ore: int
    keyword_fee_ore: int
    segment_price_ore: int = 0  # what one SMS segment sent from here costs the sender

    def usable_by(self, customer_id: int) -> bool:
        """Whether a customer may lease keywords on (and later send from) this number."""
        return self.mode is NumberMode.SHARED or self.owner_customer_id == customer_id

    def keyword_fee_for(self, customer_id: int) -> int:
        """The monthly fee one keyword costs this customer here, in øre."""
        if self.mode is NumberMode.DEDICATED and self.owner_customer_id == customer_id:
            return 0
        return self.keyword_fee_ore


def is_short_number(text: str) -> bool:
    """4 or 5 ASCII digits, no leading zero (operators do not allocate those)."""
    return bool(_SHORT_NUMBER.fullmatch(text)) and not text.startswith("0")


def number_problem(
    number: str,
    mode: NumberMode,
    owner_customer_id: int | None,
    fees: tuple[int, ...],
) -> str | None:
    """Why this short number cannot be created as given, or None."""
    if not is_short_number(number):
        return "a short number is 4 or 5 digits and does not start with 0"
    if mode is NumberMode.DEDICATED and owner_customer_id is None:
        return "a dedicated number needs owner_customer_id"
    if mode is NumberMode.SHARED and owner_customer_id is not None:
        return "a shared number has no owner; leave owner_customer_id out"
    if any(fee < 0 for fee in fees):
        return "fees cannot be negative"
    return None
