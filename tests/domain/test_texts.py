"""The gateway's texts as data: checked templates, the reply-language rule, GSM fit, and
the router answering with a number's own texts in the language the rule picks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kodeord.domain.numbers import NumberMode, ShortNumber
from kodeord.domain.routing import IncomingMessage, InMemoryRegistry, LeaseFacts, route
from kodeord.domain.texts import (
    DEFAULTS,
    MAX_SEGMENTS,
    PLACEHOLDERS,
    RESERVED_WORD_LANGUAGE,
    Language,
    NumberTexts,
    TextKey,
    check_template,
    reply_language,
    template_problem,
    text_fit,
)

NB, EN = Language.NB, Language.EN
STOP, HELP, MEAN = TextKey.STOP_CONFIRMED, TextKey.HELP_DEFAULT, TextKey.DID_YOU_MEAN
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

# key, template, the problem's code (None: accepted)
TEMPLATE_CASES = [
    (STOP, "Avmeldt fra {number}.", None),
    (STOP, "Avmeldt. Ingen plassholdere.", None),
    (STOP, "Avmeldt fra {number}, {number}.", None),
    (STOP, "Bruk {{ og }} fritt", None),
    (HELP, "Kodeord på {number}: {keywords}", None),
    (MEAN, "Mente du {suggestion}? Send til {number}.", None),
    (MEAN, "Mente du {sugestion}?", "invalid_placeholder"),
    (STOP, "Du foreslo {suggestion}", "invalid_placeholder"),  # another key's placeholder
    (HELP, "{keywords:>20}", "invalid_placeholder"),
    (HELP, "{number!r}", "invalid_placeholder"),
    (HELP, "{0}", "invalid_placeholder"),
    (HELP, "{}", "invalid_placeholder"),
    (HELP, "{number.real}", "invalid_placeholder"),
    (HELP, "{number[0]}", "invalid_placeholder"),
    (HELP, "en { alene", "invalid_placeholder"),
    (HELP, "en } alene", "invalid_placeholder"),
    (STOP, "", "empty_text"),
    (STOP, "   \n", "empty_text"),
    (STOP, "nul\x00tegn", "invalid_text"),
    (STOP, "a" * 153 * 3, None),  # three GSM segments
    (STOP, "a" * (153 * 3 + 1), "text_too_long"),
    # the euro sign takes two septets, never split: 76 to a segment of 153
    (STOP, "€" * 228, None),
    (STOP, "€" * 229, "text_too_long"),
    # an emoji is two UTF-16 units, never split: 33 to a UCS-2 segment of 67
    (STOP, "🙂" * 99, None),
    (STOP, "🙂" * 100, "text_too_long"),
    (STOP, "x" * 454 + "{number}", None),  # filled with a 5-digit number: 459
    (STOP, "x" * 455 + "{number}", "text_too_long"),
]


@pytest.mark.parametrize(("key", "template", "code"), TEMPLATE_CASES)
def test_template_problem(key: TextKey, template: str, code: str | None) -> None:
    problem = template_problem(key, template)
    assert (problem.code if problem else None) == code
    if code is None:
        check_template(key, template)
    else:
        with pytest.raises(ValueError, match=key.value):
            check_template(key, template)


def test_every_key_has_a_checked_default_in_every_language() -> None:
    assert set(PLACEHOLDERS) == set(TextKey)
    assert set(DEFAULTS) == {(k, lang) for k in TextKey for lang in Language}
    for (key, _), template in DEFAULTS.items():
        assert template_problem(key, template) is None, template
        assert text_fit(key, template).gsm7, template  # æøå are GSM 03.38 too
        assert text_fit(key, template).segments <= MAX_SEGMENTS


# number's language, reserved word written, reply language
LANGUAGE_CASES = [
    (NB, None, NB),
    (EN, None, EN),
    (NB, "STOP", EN),
    (NB, "HELP", EN),
    (EN, "STOPP", NB),
    (EN, "HJELP", NB),
    (NB, "STOPP", NB),
    (EN, "STOP", EN),
    (EN, "INFO", EN),  # a word without a language of its own
]


@pytest.mark.parametrize(("number_language", "word", "expected"), LANGUAGE_CASES)
def test_reply_language(number_language: Language, word: str | None, expected: Language) -> None:
    assert reply_language(number_language, word) is expected


def test_the_rule_names_the_four_words() -> None:
    assert set(RESERVED_WORD_LANGUAGE) == {"STOPP", "STOP", "HJELP", "HELP"}


# template, GSM 03.38?, segments, units (PREVIEW-filled)
FIT_CASES = [
    ("Hei {number}", True, 1, 9),
    ("Blåbær på {number}", True, 1, 15),
    ("Pris: 5 €", True, 1, 10),  # € is an extension character: two septets
    ("Hei 🙂", False, 1, 6),
    ("a" * 161, True, 2, 161),
    ("ő" * 71, False, 2, 71),
]


@pytest.mark.parametrize(("template", "gsm7", "segments", "units"), FIT_CASES)
def test_text_fit(template: str, gsm7: bool, segments: int, units: int) -> None:
    fit = text_fit(STOP, template)
    assert (fit.gsm7, fit.segments, fit.length) == (gsm7, segments, units)


BYE_NB, BYE_EN = (
    DEFAULTS[(STOP, NB)].format(number="2077"),
    DEFAULTS[(STOP, EN)].format(number="2077"),
)

# overrides, key, language, fallback, expected
RENDER_CASES = [
    ({}, STOP, NB, None, BYE_NB),
    ({}, STOP, EN, None, BYE_EN),
    ({(STOP, NB): "Ha det fra {number}"}, STOP, NB, None, "Ha det fra 2077"),
    ({(STOP, NB): "Ha det fra {number}"}, STOP, EN, None, BYE_EN),
    ({}, HELP, NB, "Ring oss {på} 22", "Ring oss {på} 22"),  # the older help text, as it is
    ({(HELP, NB): "Kodeord: {keywords}"}, HELP, NB, "eldre", "Kodeord: PIZZA"),
    # a row written past the check falls back rather than failing the reply
    ({(STOP, NB): "Ha det {sugestion}"}, STOP, NB, None, BYE_NB),
]  # fmt: skip


@pytest.mark.parametrize(("overrides", "key", "language", "fallback", "expected"), RENDER_CASES)
def test_render(
    overrides: dict[tuple[TextKey, Language], str],
    key: TextKey,
    language: Language,
    fallback: str | None,
    expected: str,
) -> None:
    texts = NumberTexts(NB, overrides)
    values = {"number": "2077", "keywords": "PIZZA", "suggestion": "PIZZA"}
    assert texts.render(key, language, values, fallback) == expected


PHONE = "+4741234567"
REGISTRY = InMemoryRegistry(
    numbers=(
        ShortNumber("2077", NumberMode.SHARED, None, False, 0, 0, 1000),
        ShortNumber("2080", NumberMode.SHARED, None, False, 0, 0, 1000),
        ShortNumber("2081", NumberMode.SHARED, None, False, 0, 0, 1000),
    ),
    leases=(
        LeaseFacts(1, 1, "2077", "PIZZA"),
        LeaseFacts(2, 1, "2080", "PIZZA"),
        LeaseFacts(3, 1, "2080", "BURGER"),
        LeaseFacts(4, 1, "2081", "PIZZA"),
    ),
    help_texts={"2081": "Eldre hjelpetekst for 2081."},
    number_texts={
        "2080": NumberTexts(
            EN,
            {
                (STOP, NB): "Meldt av {number}. Takk for nå!",
                (STOP, EN): "Bye from {number}!",
                (HELP, EN): "Keywords on {number}: {keywords}",
                (MEAN, EN): "Did you mean {suggestion}, friend?",
            },
        ),
        "2081": NumberTexts(EN),
    },
)

# number, text, reply
ROUTED_CASES = [
    ("2077", "STOPP", DEFAULTS[(STOP, NB)].format(number="2077")),
    ("2077", "STOP", DEFAULTS[(STOP, EN)].format(number="2077")),
    ("2077", "PIZA", "Ukjent kodeord. Mente du PIZZA?"),  # a bokmål number
    ("2080", "STOPP", "Meldt av 2080. Takk for nå!"),  # bokmål wins over the number's en
    ("2080", "stop", "Bye from 2080!"),
    ("2080", "HELP", "Keywords on 2080: BURGER, PIZZA"),
    ("2080", "HJELP", DEFAULTS[(HELP, NB)].format(number="2080")),  # no nb override
    ("2080", "PIZA", "Did you mean PIZZA, friend?"),
    ("2081", "PIZA", "Unknown keyword. Did you mean PIZZA?"),  # en, no override
    ("2081", "HELP", "Eldre hjelpetekst for 2081."),  # the older help text beats the default
    ("2081", "STOPP", DEFAULTS[(STOP, NB)].format(number="2081")),
]


@pytest.mark.parametrize(("number", "text", "reply"), ROUTED_CASES)
def test_the_router_answers_with_the_numbers_texts(number: str, text: str, reply: str) -> None:
    decision = route(IncomingMessage(number, PHONE, text, NOW), REGISTRY)
    assert decision.reply == reply
