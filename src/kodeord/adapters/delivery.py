"""Failure texts shared by the webhook and e-mail senders.

A sender makes exactly one attempt and reports it as a `DeliveryOutcome` (a port record
of the MO capability, app/mo/ports.py, with its rules); it never sleeps or retries. The
caller (a job handler) stores the outcome and asks `domain.retry.RetryPolicy` when to
try again — only when `retryable` is true. `cause_text` names the socket or TLS error
behind a client library's exception.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator

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
