"""What `Authorization` header gives which token or which 401, through FastAPI's
HTTPBearer (auto_error=False) and our wrapper (web/deps.py): one row per header."""

from __future__ import annotations

import asyncio

import pytest
from starlette.requests import Request

from kodeord.app.errors import Unauthorized
from kodeord.web.deps import bearer, bearer_token

# header value (None: no header) → the token, or the error code of the 401
CASES: list[tuple[str | None, str]] = [
    (None, "missing_token"),
    ("", "missing_token"),
    ("Bearer", "invalid_token"),
    ("Bearer    ", "invalid_token"),
    ("Basic dXNlcjpwYXNz", "invalid_token"),
    ("Token abc", "invalid_token"),
    ("Bearer ko_1_secret", "ko_1_secret"),
    ("bearer ko_1_secret", "ko_1_secret"),
    ("BEARER  ko_1_secret ", "ko_1_secret"),
]


def _token(header: str | None) -> str:
    headers = [] if header is None else [(b"authorization", header.encode())]
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": headers})

    async def run() -> str:
        return bearer_token(request, await bearer(request))

    try:
        return asyncio.run(run())
    except Unauthorized as refused:
        return refused.code


@pytest.mark.parametrize(("header", "expected"), CASES)
def test_the_header_gives_the_token_or_our_401(header: str | None, expected: str) -> None:
    assert _token(header) == expected
