"""Handing something to a customer's system: the outcome of one attempt, its duration,
and the signed-webhook port that MO deliveries and MT status callbacks share.

Rules:
- An attempt either delivered (`ok`), failed for now (`retryable`: try again later) or
  was refused for good (a 4xx that retrying cannot fix); the caller's policy decides
  when "for now" has lasted too long.
- A webhook is always signed with the customer's signing secret (Standard Webhooks);
  `SigningSecrets` gives it opened, or None when the customer has none yet.
- Durations are measured on the monotonic clock (`Stopwatch`), never the wall clock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: float
    retryable: bool

    @classmethod
    def delivered(cls, status_code: int | None, duration_ms: float) -> DeliveryOutcome:
        return cls(True, status_code, None, duration_ms, retryable=False)

    @classmethod
    def failed(
        cls,
        error: str,
        duration_ms: float,
        *,
        status_code: int | None = None,
        retryable: bool = True,
    ) -> DeliveryOutcome:
        return cls(False, status_code, error, duration_ms, retryable)


class Stopwatch:
    """Milliseconds since creation, on the monotonic clock (an attempt's duration)."""

    def __init__(self) -> None:
        self._start = time.perf_counter()

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self._start) * 1000.0


class SigningSecrets(Protocol):
    """The customer's webhook signing secret, opened (app/keywords/registry.py has it)."""

    async def signing_secret(self, customer_id: int | None) -> str | None: ...


class WebhookPoster(Protocol):
    """One signed POST (adapters/webhooks.py:WebhookSender implements it)."""

    async def send(
        self,
        url: str,
        secret: str,
        webhook_id: str,
        payload: dict[str, object],
        *,
        timestamp: datetime,
    ) -> DeliveryOutcome: ...
