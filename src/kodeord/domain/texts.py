"""The gateway's own texts: what it answers a phone by itself, in bokmål and English.

A text has a key (`TextKey`) and a default in each language (`DEFAULTS`). A number
may override any text per language (`NumberTexts`); a template may use only its key's
placeholders (`PLACEHOLDERS`), so an override is checked when it is set
(`check_template` raises ValueError, `template_problem` says why as data) and a typo such
as `{sugestion}` never reaches a phone. An override that cannot be filled anyway (a row
written past the check) falls back to the default rather than failing the reply.

The language of a reply (`reply_language`): the number's reply language, except when the
phone wrote a reserved word that has a language of its own (`RESERVED_WORD_LANGUAGE`:
STOP and HELP are English, STOPP and HJELP bokmål).

`text_fit` reports what a template costs as an SMS (GSM 03.38 or not, segments), filled
with `PREVIEW` values; an override of more than `MAX_SEGMENTS` is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from string import Formatter

from kodeord.smpp.text import Encoding, segment_info


class Language(StrEnum):
    NB = "nb"  # bokmål, the default
    EN = "en"


class TextKey(StrEnum):
    STOP_CONFIRMED = "stop_confirmed"  # the answer to STOPP/STOP
    HELP_DEFAULT = "help_default"  # the answer to HJELP/HELP
    DID_YOU_MEAN = "did_you_mean"  # an unknown keyword close to a leased one


DEFAULT_LANGUAGE = Language.NB
MAX_SEGMENTS = 3

PLACEHOLDERS: Mapping[TextKey, frozenset[str]] = {
    TextKey.STOP_CONFIRMED: frozenset({"number"}),
    TextKey.HELP_DEFAULT: frozenset({"number", "keywords"}),
    TextKey.DID_YOU_MEAN: frozenset({"number", "suggestion"}),
}

DEFAULTS: Mapping[tuple[TextKey, Language], str] = {
    (TextKey.STOP_CONFIRMED, Language.NB): (
        "Du er nå meldt av alle tjenester på {number}. Du får ingen flere meldinger herfra."
    ),
    (TextKey.STOP_CONFIRMED, Language.EN): (
        "You are now unsubscribed from all services on {number}. "
        "You will get no more messages from here."
    ),
    (TextKey.HELP_DEFAULT, Language.NB): (
        "Kortnummer {number}: send kodeordet for tjenesten du vil bruke til {number}. "
        "Send STOPP til {number} for å melde deg av alle tjenester."
    ),
    (TextKey.HELP_DEFAULT, Language.EN): (
        "Short number {number}: send the keyword of the service you want to use to {number}. "
        "Send STOP to {number} to unsubscribe from all services."
    ),
    (TextKey.DID_YOU_MEAN, Language.NB): "Ukjent kodeord. Mente du {suggestion}?",
    (TextKey.DID_YOU_MEAN, Language.EN): "Unknown keyword. Did you mean {suggestion}?",
}

# The reserved words whose language decides the reply's (the word as the router names it).
RESERVED_WORD_LANGUAGE: Mapping[str, Language] = {
    "STOPP": Language.NB,
    "HJELP": Language.NB,
    "STOP": Language.EN,
    "HELP": Language.EN,
}

# What placeholders are filled with when a template's size is reported: the longest
# number and a typical keyword, so the report errs on the long side.
PREVIEW: Mapping[str, str] = {
    "number": "26114",
    "suggestion": "KODEORD",
    "keywords": "KODEORD, PIZZA",
}


def reply_language(number_language: Language, reserved_word: str | None = None) -> Language:
    """The language of a reply: the reserved word's own, else the number's."""
    if reserved_word is None:
        return number_language
    return RESERVED_WORD_LANGUAGE.get(reserved_word, number_language)


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    message: str


def _fields(template: str) -> list[tuple[str, str, str | None]]:
    """(field name, format spec, conversion) of each replacement field; ValueError on
    unbalanced braces."""
    found = []
    for _, name, spec, conversion in Formatter().parse(template):
        if name is not None:
            found.append((name, spec or "", conversion))
    return found


def template_problem(key: TextKey, template: str) -> Problem | None:
    """Why `template` cannot be the text `key` (None when it can)."""
    if not template.strip():
        return Problem("empty_text", "the text is empty")
    if "\x00" in template:
        return Problem("invalid_text", "the text contains a NUL character")
    allowed = PLACEHOLDERS[key]
    named = ", ".join(f"{{{n}}}" for n in sorted(allowed))
    try:
        fields = _fields(template)
    except ValueError:
        return Problem("invalid_placeholder", "unbalanced braces; write {{ and }} for a brace")
    for name, spec, conversion in fields:
        if name not in allowed:
            return Problem("invalid_placeholder", f"{{{name}}} is not one of {named}")
        if spec or conversion:
            return Problem("invalid_placeholder", f"{{{name}}} takes no format or conversion")
    fit = text_fit(key, template)
    if fit.segments > MAX_SEGMENTS:
        return Problem(
            "text_too_long",
            f"the text needs {fit.segments} segments; at most {MAX_SEGMENTS} are allowed",
        )
    return None


def check_template(key: TextKey, template: str) -> None:
    """Refuse (ValueError) a template that cannot be the text `key`."""
    problem = template_problem(key, template)
    if problem is not None:
        raise ValueError(f"{key}: {problem.message}")


@dataclass(frozen=True, slots=True)
class TextFit:
    gsm7: bool  # every character in the GSM 03.38 alphabet (else sent as UCS-2)
    segments: int
    length: int  # septets or UTF-16 units, filled with PREVIEW values


def text_fit(key: TextKey, template: str) -> TextFit:
    """What `template` costs as an SMS, filled with the PREVIEW values."""
    info = segment_info(fill(template, PREVIEW) or template)
    return TextFit(info.encoding is Encoding.GSM7, info.segments, info.units)


def fill(template: str, values: Mapping[str, str]) -> str | None:
    """The template with its placeholders filled; None when it cannot be filled."""
    try:
        return template.format_map(values)
    except (KeyError, ValueError, IndexError, AttributeError, TypeError):
        return None


@dataclass(frozen=True, slots=True)
class NumberTexts:
    """A number's reply language and the texts it overrides, by (key, language)."""

    language: Language = DEFAULT_LANGUAGE
    overrides: Mapping[tuple[TextKey, Language], str] = field(default_factory=dict)

    def override(self, key: TextKey, language: Language) -> str | None:
        return self.overrides.get((key, language))

    def render(
        self,
        key: TextKey,
        language: Language,
        values: Mapping[str, str],
        fallback: str | None = None,
    ) -> str:
        """The text to send: the override filled, else `fallback` as it is (a number's
        older single help text, not a template), else the default filled."""
        override = self.overrides.get((key, language))
        filled = fill(override, values) if override else None
        return filled or fallback or DEFAULTS[(key, language)].format_map(values)


def default_text(key: TextKey, language: Language, **values: str) -> str:
    return DEFAULTS[(key, language)].format_map(values)
