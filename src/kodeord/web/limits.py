"""The request body size limit, enforced while the body is read and before it is parsed.

Rules: a request whose `Content-Length` is over the limit is answered 413 `too_large` at
once, without reading its body or calling the app (so before authentication: a stranger's
192 MB body costs nothing). A body without a length (chunked) is counted as it arrives;
the chunk that crosses the limit ends the request with 413 and nothing is parsed. Either
way the connection is closed after the 413 (the rest of the body is never read).

The limit is `KODEORD_MAX_BODY_BYTES` (256 KiB), and `KODEORD_MAX_BATCH_BODY_BYTES`
(2 MiB) for `POST /v1/messages/batch`, which carries up to 1,000 recipients and a
5,000-character text (about 40 KB of recipients and 30 KB of escaped text at most).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kodeord.config import SettingsError

DEFAULT_MAX_BODY = 256 * 1024
DEFAULT_MAX_BATCH_BODY = 2 * 1024 * 1024
BATCH_PATH = "/v1/messages/batch"


@dataclass(frozen=True, slots=True)
class BodyLimits:
    default: int = DEFAULT_MAX_BODY
    batch: int = DEFAULT_MAX_BATCH_BODY

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> BodyLimits:
        return cls(
            _bytes(env, "KODEORD_MAX_BODY_BYTES", DEFAULT_MAX_BODY),
            _bytes(env, "KODEORD_MAX_BATCH_BODY_BYTES", DEFAULT_MAX_BATCH_BODY),
        )

    def for_request(self, method: str, path: str) -> int:
        return self.batch if method == "POST" and path == BATCH_PATH else self.default


def _bytes(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not 1024 <= int(text) <= 1024**3:
        raise SettingsError(f"{name} must be a number of bytes from 1024 to 1 GiB (got {text!r})")
    return int(text)


def _message(limit: int) -> str:
    return f"the request body is larger than {limit} bytes"


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"error": {"code": "too_large", "message": _message(limit)}}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware in front of routing, dependencies (authentication) and parsing."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_request(scope["method"], scope["path"])
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit)
            return
        counter = _Counter(receive, send, limit)
        await self.app(scope, counter.receive, counter.send)


class _Counter:
    """Counts body bytes as the app reads them; crossing the limit raises 413 (the app's
    error handler answers it) and the response then closes the connection."""

    def __init__(self, receive: Receive, send: Send, limit: int) -> None:
        self._receive = receive
        self._send = send
        self.limit = limit
        self.seen = 0
        self.exceeded = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                self.exceeded = True
                raise HTTPException(413, _message(self.limit))
        return message

    async def send(self, message: Message) -> None:
        if self.exceeded and message["type"] == "http.response.start":
            headers: list[Any] = [
                (name, value) for name, value in message.get("headers", ()) if name != b"connection"
            ]
            message = {**message, "headers": [*headers, (b"connection", b"close")]}
        await self._send(message)
