"""The number texts API over real HTTP: every key in both languages, an override per
language and back to the default, the reply language through the number settings, and
each bad input a 4xx with its code (on SQLite and, with a database URL, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from kodeord.adapters.db.schema import number_texts
from kodeord.domain.texts import DEFAULTS, Language, TextKey
from tests.support import ApiServer

BASE = "/v1/numbers/2077/texts"


@pytest.fixture
def admin(api: ApiServer) -> httpx.Client:
    client = api.admin()
    assert client.post("/v1/numbers", json={"number": "2077", "mode": "shared"}).is_success
    return client


def _texts(admin: httpx.Client) -> dict[tuple[str, str], dict[str, Any]]:
    answer = admin.get(BASE)
    assert answer.status_code == 200, answer.text
    return {(t["key"], t["language"]): t for t in answer.json()["texts"]}


def test_every_key_in_both_languages_is_listed_with_its_default(admin: httpx.Client) -> None:
    body = admin.get(BASE).json()
    assert body["number"] == "2077" and body["reply_language"] == "nb"
    texts = _texts(admin)
    assert set(texts) == {(k.value, lang.value) for k in TextKey for lang in Language}
    for (key, lang), text in texts.items():
        default = DEFAULTS[(TextKey(key), Language(lang))]
        assert (text["text"], text["default"], text["overridden"]) == (default, default, False)
        assert text["gsm7"] is True and text["segments"] == 1
    assert texts[("did_you_mean", "en")]["placeholders"] == ["number", "suggestion"]


def test_an_override_is_listed_and_dropped_back_to_the_default(admin: httpx.Client) -> None:
    text = "Du er meldt av {number} 🙂"
    answer = admin.put(f"{BASE}/stop_confirmed/nb", json={"text": text})
    assert answer.status_code == 200, answer.text
    assert answer.json()["overridden"] is True
    listed = _texts(admin)
    mine = listed[("stop_confirmed", "nb")]
    assert (mine["text"], mine["overridden"], mine["gsm7"]) == (text, True, False)
    assert listed[("stop_confirmed", "en")]["overridden"] is False  # one language only
    again = admin.put(f"{BASE}/stop_confirmed/nb", json={"text": "Avmeldt fra {number}."})
    assert again.status_code == 200  # a second PUT replaces the first
    assert _texts(admin)[("stop_confirmed", "nb")]["text"] == "Avmeldt fra {number}."
    dropped = admin.delete(f"{BASE}/stop_confirmed/nb")
    assert dropped.status_code == 200, dropped.text
    default = DEFAULTS[(TextKey.STOP_CONFIRMED, Language.NB)]
    assert (dropped.json()["text"], dropped.json()["overridden"]) == (default, False)
    assert _texts(admin)[("stop_confirmed", "nb")]["overridden"] is False
    assert admin.delete(f"{BASE}/stop_confirmed/nb").status_code == 200  # idempotent


def test_the_reply_language_is_a_number_setting(admin: httpx.Client) -> None:
    answer = admin.put("/v1/numbers/2077/settings", json={"reply_language": "en"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["reply_language"] == "en"
    assert admin.get(BASE).json()["reply_language"] == "en"
    answer = admin.put("/v1/numbers/2077/settings", json={"reply_unknown": True})
    assert answer.json()["reply_language"] == "nb"  # the settings are replaced as a whole
    assert admin.get(BASE).json()["reply_language"] == "nb"
    refused = admin.put("/v1/numbers/2077/settings", json={"reply_language": "de"})
    assert refused.status_code == 422


# method, path, body, status, error code
BAD = [
    ("GET", "/v1/numbers/2099/texts", None, 404, "number_not_found"),
    ("GET", "/v1/numbers/12/texts", None, 422, "invalid_number"),
    ("PUT", "/v1/numbers/2099/texts/stop_confirmed/nb", {"text": "Hei"}, 404, "number_not_found"),
    ("PUT", f"{BASE}/stop/nb", {"text": "Hei"}, 404, "text_not_found"),
    ("PUT", f"{BASE}/stop_confirmed/de", {"text": "Hei"}, 404, "language_not_found"),
    ("DELETE", f"{BASE}/stop/nb", None, 404, "text_not_found"),
    ("DELETE", f"{BASE}/stop_confirmed/NB", None, 404, "language_not_found"),
    ("DELETE", "/v1/numbers/2099/texts/stop_confirmed/nb", None, 404, "number_not_found"),
    ("PUT", f"{BASE}/did_you_mean/nb", {"text": "Mente du {sugestion}?"}, 422,
     "invalid_placeholder"),
    ("PUT", f"{BASE}/stop_confirmed/en", {"text": "Bye {suggestion}"}, 422,
     "invalid_placeholder"),
    ("PUT", f"{BASE}/help_default/en", {"text": "Help {"}, 422, "invalid_placeholder"),
    ("PUT", f"{BASE}/help_default/en", {"text": "{number!r}"}, 422, "invalid_placeholder"),
    ("PUT", f"{BASE}/help_default/en", {"text": "  "}, 422, "empty_text"),
    ("PUT", f"{BASE}/help_default/en", {"text": "a" * 460}, 422, "text_too_long"),
    ("PUT", f"{BASE}/help_default/en", {"text": "a" * 1001}, 422, "validation_error"),
    ("PUT", f"{BASE}/help_default/en", {}, 422, "validation_error"),
    ("PUT", f"{BASE}/help_default/en", {"text": "Hi", "language": "en"}, 422,
     "validation_error"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "status", "code"), BAD)
def test_bad_input_is_a_4xx_with_its_code(
    admin: httpx.Client,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
    code: str,
) -> None:
    answer = admin.request(method, path, json=body)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code
    assert _texts(admin)[("help_default", "en")]["overridden"] is False  # nothing stored


def test_a_customer_may_not_read_or_change_the_texts(api: ApiServer, admin: httpx.Client) -> None:
    made = admin.post("/v1/customers", json={"name": "Pizzeria Napoli AS"}).json()
    key = admin.post(f"/v1/customers/{made['id']}/api-keys").json()["key"]
    customer = api.client(key)
    assert customer.get(BASE).status_code == 403
    assert customer.put(f"{BASE}/stop_confirmed/nb", json={"text": "Hei"}).status_code == 403
    assert customer.delete(f"{BASE}/stop_confirmed/nb").status_code == 403


async def _store_row(api: ApiServer, key: str, language: str) -> None:
    async with api.gateway.ctx.storage.transaction() as tx:
        row = {"number": "2077", "key": key, "language": language, "text": "fra en nyere versjon"}
        await tx.conn.execute(insert(number_texts).values(**row, updated_at=datetime.now(UTC)))


@pytest.mark.parametrize(("key", "language"), [("new_key", "nb"), ("stop_confirmed", "se")])
def test_a_row_this_version_does_not_know_is_ignored(
    api: ApiServer, admin: httpx.Client, key: str, language: str
) -> None:
    api.call(_store_row(api, key, language))
    texts = _texts(admin)
    assert len(texts) == len(TextKey) * len(Language)
    assert not any(t["overridden"] for t in texts.values())
