"""Leasing rules as a table: who may rent which keyword on which number, and why not."""

from __future__ import annotations

import pytest

from kodeord.domain.keywords import normalise
from kodeord.domain.leasing import ReasonCode, ReservedWords, check_availability
from kodeord.domain.numbers import NumberMode, ShortNumber

SHARED = ShortNumber("2077", NumberMode.SHARED, None, False, 0, 0, 1000)
DEDICATED = ShortNumber("1963", NumberMode.DEDICATED, 2, True, 850000, 1000000, 1000)
HELD = {normalise("PIZZA").fold: 1, normalise("Blåbær").fold: 1, normalise("TAXI").fold: 2}
RESERVED = ReservedWords(["KAMPANJE"])

# number, customer, keyword, aliases, expected reason codes, fee
CASES = [
    (SHARED, 2, "Sushi", [], [], 1000),
    (SHARED, 2, "pizza", [], ["taken"], 1000),
    (SHARED, 2, " Pizza!", [], ["taken"], 1000),
    (SHARED, 2, "PIZZA", [], ["taken"], 1000),
    (SHARED, 2, "BLAABAER", [], ["taken"], 1000),
    (SHARED, 2, "blabaer", [], ["taken"], 1000),
    (SHARED, 1, "pizza", [], ["taken"], 1000),  # held by the caller itself: still taken
    (SHARED, 2, "stopp", [], ["reserved"], 1000),
    (SHARED, 2, "STØPP", [], ["reserved"], 1000),  # fold of STOPP
    (SHARED, 2, "Hjelp", [], ["reserved"], 1000),
    (SHARED, 2, "ja", [], ["reserved"], 1000),
    (SHARED, 2, "kampanje", [], ["reserved"], 1000),  # the provider's own list
    (SHARED, 2, "a" * 17, [], ["invalid"], 1000),
    (SHARED, 2, "x", [], ["invalid"], 1000),
    (SHARED, 2, "two words", [], ["invalid"], 1000),
    (SHARED, 2, "Sushi", ["Maki", "Nigiri"], [], 1000),
    (SHARED, 2, "Sushi", ["pizza"], ["taken"], 1000),
    (SHARED, 2, "Sushi", ["stop"], ["reserved"], 1000),
    (SHARED, 2, "Sushi", ["SUSHI"], ["duplicate"], 1000),
    (SHARED, 2, "Sushi", ["maki", "MAKI"], ["duplicate"], 1000),
    (SHARED, 2, "Sushi", ["m"], ["invalid"], 1000),
    (DEDICATED, 2, "anything", [], [], 0),  # the owner pays no keyword fee
    (DEDICATED, 2, "pizza", [], [], 0),  # other numbers' keywords do not matter
    (DEDICATED, 1, "pizza", [], ["dedicated_number"], 0),
    (DEDICATED, 1, "stopp", [], ["reserved", "dedicated_number"], 0),
    (DEDICATED, 2, "taxi", [], ["taken"], 0),
]


@pytest.mark.parametrize(("number", "customer", "keyword", "aliases", "codes", "fee"), CASES)
def test_check_availability(
    number: ShortNumber,
    customer: int,
    keyword: str,
    aliases: list[str],
    codes: list[str],
    fee: int,
) -> None:
    held = HELD if number is SHARED else {normalise("TAXI").fold: 2}
    result = check_availability(keyword, number, customer, RESERVED, held.get, aliases)
    assert [r.code.value for r in result.reasons] == codes
    assert result.available is (not codes)
    assert result.monthly_fee_ore == fee


def test_reasons_name_the_keyword_never_the_holder() -> None:
    result = check_availability("pizza", SHARED, 2, RESERVED, HELD.get)
    (reason,) = result.reasons
    assert reason.code is ReasonCode.TAKEN
    assert reason.keyword == "PIZZA"
    assert "another customer" in reason.message
    assert "1" not in reason.message.replace("2077", "")
