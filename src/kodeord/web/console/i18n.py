"""The console's two languages: bokmål (the default) and English.

Rules:
- Templates and pages write the English text; `Texts.t("Sign in")` gives it in the
  visitor's language. The bokmål catalogs are JSON files under locale/nb/ (one per area,
  English text → bokmål); a text missing from them shows in English, and a test fails
  the build for any text a template uses that has no bokmål.
- `{name}` placeholders are filled after translation, so word order may differ.
- The language is, in this order: `?lang=nb|en` (remembered), the user's saved choice,
  the language cookie, bokmål.
- Money and times are Norwegian in both languages (the business is Norwegian): money in
  øre shows as `1 234,50 kr`, times in Europe/Oslo.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal

LANGUAGES = ("nb", "en")
DEFAULT = "nb"
OSLO = ZoneInfo("Europe/Oslo")
_LOCALES = {"nb": "nb_NO", "en": "en_GB"}


@cache
def catalog(language: str) -> dict[str, str]:
    """Every bokmål text of every area (English needs none)."""
    if language == "en":
        return {}
    found: dict[str, str] = {}
    folder = resources.files("kodeord.web.console").joinpath("locale", language)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            found.update(json.loads(entry.read_text(encoding="utf-8")))
    return found


def chosen(asked: str | None, saved: str | None, cookie: str | None) -> str:
    for language in (asked, saved, cookie):
        if language in LANGUAGES:
            return language
    return DEFAULT


def money(ore: int) -> str:
    """`123450` øre → `1 234,50 kr` (a no-break space groups the thousands)."""
    return f"{format_decimal(ore / 100, format='#,##0.00', locale='nb_NO')} kr"


@dataclass(frozen=True, slots=True)
class Texts:
    language: str

    def t(self, text: str, **values: object) -> str:
        translated = catalog(self.language).get(text, text)
        return translated.format(**values) if values else translated

    def when(self, moment: datetime | None) -> str:
        if moment is None:
            return "–"
        local = moment.astimezone(OSLO)
        pattern = "d. MMM y HH:mm" if self.language == "nb" else "d MMM y HH:mm"
        return format_datetime(local, pattern, locale=_LOCALES[self.language])

    def money(self, ore: int | None) -> str:
        return "–" if ore is None else money(ore)

    def number(self, value: int) -> str:
        return format_decimal(value, locale="nb_NO")
