"""The gateway's texts per number: the admin reads them, overrides one per language, or
drops an override (back to the default). The number's reply language is one of its
settings (the number settings route).

A text is checked before it is stored (domain.texts.template_problem): an unknown
placeholder, an empty text or one of more than three segments is refused with its code.
Every change tells the router (`ctx.routing_changed`), whose cached facts about the
number hold its texts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kodeord.app.context import Context
from kodeord.app.errors import Invalid, NotFound
from kodeord.app.keywords.numbers import find_number
from kodeord.app.keywords.ports import TextsTx
from kodeord.domain.texts import (
    DEFAULTS,
    PLACEHOLDERS,
    Language,
    TextKey,
    template_problem,
    text_fit,
)

_KEYS = {k.value: k for k in TextKey}
_LANGUAGES = {lang.value: lang for lang in Language}


def text_key(key: str) -> TextKey:
    if key not in _KEYS:
        raise NotFound("text_not_found", f"no text {key!r}; the texts are {', '.join(_KEYS)}")
    return _KEYS[key]


def language(code: str) -> Language:
    if code not in _LANGUAGES:
        known = ", ".join(_LANGUAGES)
        raise NotFound("language_not_found", f"no language {code!r}; the languages are {known}")
    return _LANGUAGES[code]


def text_view(
    key: TextKey, lang: Language, overrides: Mapping[tuple[TextKey, Language], str]
) -> dict[str, Any]:
    default = DEFAULTS[(key, lang)]
    override = overrides.get((key, lang))
    text = override or default
    fit = text_fit(key, text)
    return {
        "key": key.value,
        "language": lang.value,
        "text": text,
        "default": default,
        "overridden": override is not None,
        "placeholders": sorted(PLACEHOLDERS[key]),
        "gsm7": fit.gsm7,
        "segments": fit.segments,
    }


async def list_texts(ctx: Context[TextsTx], number: str) -> dict[str, Any]:
    """Every text in both languages, as the number's phones get it."""
    async with ctx.storage.read() as tx:
        await find_number(tx.numbers, number)
        overrides = await tx.number_texts.overrides(number)
        reply_language = await tx.number_texts.language(number)
    texts = [text_view(k, lang, overrides) for k in TextKey for lang in Language]
    return {"number": number, "reply_language": reply_language.value, "texts": texts}


async def set_text(
    ctx: Context[TextsTx], number: str, key: str, lang: str, text: str
) -> dict[str, Any]:
    found_key, found_lang = text_key(key), language(lang)
    problem = template_problem(found_key, text)
    if problem is not None:
        raise Invalid(problem.code, problem.message, field="text")
    async with ctx.storage.transaction() as tx:
        await find_number(tx.numbers, number)
        await tx.number_texts.set(number, found_key, found_lang, text, ctx.clock())
    ctx.routing_changed(number)
    return text_view(found_key, found_lang, {(found_key, found_lang): text})


async def reset_text(ctx: Context[TextsTx], number: str, key: str, lang: str) -> dict[str, Any]:
    """Drop the number's version (idempotent: a text not overridden stays the default)."""
    found_key, found_lang = text_key(key), language(lang)
    async with ctx.storage.transaction() as tx:
        await find_number(tx.numbers, number)
        await tx.number_texts.remove(number, found_key, found_lang)
    ctx.routing_changed(number)
    return text_view(found_key, found_lang, {})
