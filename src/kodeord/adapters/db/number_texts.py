"""`NumberTextRepository`: a number's own versions of the gateway's texts
(`tx.number_texts`), and its reply language (a column of number_settings). Never commits.

Rows whose key or language this version does not know (written by a newer one) are
skipped as they are read, so they change nothing until that version runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import number_settings, number_texts
from kodeord.domain.texts import DEFAULT_LANGUAGE, Language, TextKey

Overrides = Mapping[tuple[TextKey, Language], str]

_KEYS = {k.value: k for k in TextKey}
_LANGUAGES = {lang.value: lang for lang in Language}


def language_of(stored: str | None) -> Language:
    """The stored reply language (the default for a number without settings)."""
    return _LANGUAGES.get(stored or "", DEFAULT_LANGUAGE)


async def overrides_of(conn: AsyncConnection, number: str) -> dict[tuple[TextKey, Language], str]:
    query = select(number_texts.c.key, number_texts.c.language, number_texts.c.text).where(
        number_texts.c.number == number
    )
    found = {}
    for key, language, text in (await conn.execute(query)).all():
        if key in _KEYS and language in _LANGUAGES:
            found[(_KEYS[key], _LANGUAGES[language])] = str(text)
    return found


class NumberTextRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def overrides(self, number: str) -> dict[tuple[TextKey, Language], str]:
        return await overrides_of(self._conn, number)

    async def language(self, number: str) -> Language:
        query = select(number_settings.c.reply_language).where(number_settings.c.number == number)
        return language_of((await self._conn.execute(query)).scalar_one_or_none())

    async def set(
        self, number: str, key: TextKey, language: Language, text: str, now: datetime
    ) -> None:
        await self.remove(number, key, language)
        await self._conn.execute(
            insert(number_texts).values(
                number=number, key=key.value, language=language.value, text=text, updated_at=now
            )
        )

    async def remove(self, number: str, key: TextKey, language: Language) -> bool:
        """Drop the number's version of a text; whether it had one."""
        result = await self._conn.execute(
            delete(number_texts).where(
                number_texts.c.number == number,
                number_texts.c.key == key.value,
                number_texts.c.language == language.value,
            )
        )
        return bool(result.rowcount)
