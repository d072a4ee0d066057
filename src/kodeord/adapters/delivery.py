"""The outcome of one delivery attempt, shared by the webhook and e-mail senders.

A sender makes exactly one attempt and reports it as a `DeliveryOutcome`; it never
sleeps or retries. The caller (a job handler) stores the outcome and asks
`domain.retry.RetryPolicy` when to try again — only when `retryable` is true.

Rules: `ok` implies no error and not retryable; a failure always carries a short,
stable `error` text meant for logs and the delivery log shown to customers ("HTTP 503",
"timeout", "connection refused", "refused: loopback address", "SMTP 550 …").
`status_code` is the HTTP status or SMTP reply code when the peer answered, else None.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: float
    retryable: bool

    @classmethod
    def delivered(cls, status_code: int, duration_ms: float) -> DeliveryOutcome:
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
    """Milliseconds since creation, on the monotonic clock."""

    def __init__(self) -> None:
        self._start = time.perf_counter()

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self._start) * 1000.0


_CAUSE_TEXTS: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset"),
    (ssl.SSLCertVerificationError, "tls: certificate not trusted"),
    (ssl.SSLError, "tls: handshake failed"),
)


def cause_text(exc: BaseException) -> str | None:
    """A short text for the socket or TLS error somewhere behind `exc`, if there is one.

    Client libraries wrap OS errors in their own types; the wrapped error says best
    what went wrong ("connection refused" rather than "ConnectError")."""
    for cause in _causes(exc):
        for kind, text in _CAUSE_TEXTS:
            if isinstance(cause, kind):
                return text
    return None


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and everything it was raised from or during, exception groups included."""
    pending, seen = [exc], set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__context__, current.__cause__) if e is not None)
