"""The console's languages: every text a template or page module gives to `t(...)` has
its bokmål, the catalogs hold no text nobody uses twice over, and money and times are
Norwegian in both languages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kodeord.web.console.i18n import Texts, catalog, chosen, money

CONSOLE = Path(__file__).resolve().parents[2] / "src" / "kodeord" / "web" / "console"
# t("…") / t('…') in templates and found.t(…) / page.t(…) in page modules; nav labels
_CALL = re.compile(r"""\bt\(\s*(["'])((?:(?!\1).)+)\1""")
_LABEL = re.compile(r"""Entry\(\s*"[^"]+",\s*"([^"]+)\"""")
# tables of messages in page modules: ERRORS = {"code": "A sentence."}
_TABLE = re.compile(r"""^\s*"[\w.]+":\s*"([A-Z][^"]*\.)",?$""", re.M)


def used_texts() -> set[str]:
    found: set[str] = set()
    for path in [*CONSOLE.rglob("*.html"), *CONSOLE.glob("*.py")]:
        source = path.read_text(encoding="utf-8")
        found |= {m.group(2) for m in _CALL.finditer(source)}
        found |= set(_LABEL.findall(source))
        if path.suffix == ".py":
            found |= set(_TABLE.findall(source))
    return found


def test_every_text_in_use_has_its_bokmal() -> None:
    missing = sorted(text for text in used_texts() if text not in catalog("nb"))
    assert not missing, missing


@pytest.mark.parametrize(
    ("ore", "shown"),
    [
        (0, "0,00 kr"),
        (150, "1,50 kr"),
        (123450, "1\xa0234,50 kr"),
        (100000000, "1\xa0000\xa0000,00 kr"),
    ],
)
def test_money_is_norwegian(ore: int, shown: str) -> None:
    assert money(ore) == shown


def test_times_are_oslo_time_in_both_languages() -> None:
    summer = datetime(2026, 7, 1, 10, 5, tzinfo=UTC)  # 12:05 in Oslo (CEST)
    winter = datetime(2026, 12, 4, 10, 5, tzinfo=UTC)  # 11:05 in Oslo (CET)
    assert Texts("nb").when(summer) == "1. juli 2026 12:05"
    assert Texts("en").when(winter) == "4 Dec 2026 11:05"


@pytest.mark.parametrize(
    ("asked", "saved", "cookie", "language"),
    [
        ("en", "nb", "nb", "en"),
        (None, "en", "nb", "en"),
        (None, None, "en", "en"),
        ("sv", None, None, "nb"),
        (None, None, None, "nb"),
    ],
)
def test_which_language(
    asked: str | None, saved: str | None, cookie: str | None, language: str
) -> None:
    assert chosen(asked, saved, cookie) == language


def test_placeholders_are_filled_after_translation() -> None:
    assert Texts("nb").t("For {email}.", email="kari@drift.no") == "For kari@drift.no."
    assert Texts("en").t("For {email}.", email="kari@drift.no") == "For kari@drift.no."
