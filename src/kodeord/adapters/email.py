"""E-mail delivery: one SMTP submission per call, reported as a `DeliveryOutcome`.

Rules:
- A fresh connection per send, to the one relay given at construction (implicit TLS,
  STARTTLS and AUTH as aiosmtplib does them). Notification mail is low volume; a pool of
  SMTP sessions would be one more thing to keep healthy.
- The message is UTF-8 text/plain with a quoted-printable body and an RFC 2047 subject,
  so æøå and emoji survive any relay (neither SMTPUTF8 nor 8BITMIME is needed).
  `message_id` becomes the Message-ID header — `<id@domain of the sender>` unless it has
  its own `@` — so a retried mail carries the same id and a reader can spot the
  duplicate. `Auto-Submitted: auto-generated` (RFC 3834) keeps auto-responders quiet.
- A 5xx answer to MAIL, RCPT or DATA rejects this message for good (550 user unknown):
  not retryable. A 4xx answer, a timeout or a broken connection is retryable. Failures
  before MAIL (connect, greeting, STARTTLS, AUTH) are about our relay, not the message,
  so they are retryable even when 5xx: a wrong relay password must not kill every mail
  in the queue.
- A recipient that is not a bare address, or a subject with CR/LF (header injection),
  is refused without connecting: not retryable. A malformed `message_id` or a naive
  `date` is the caller's bug: ValueError.
- Limit: if the connection breaks after the relay took the message but before its "250"
  reached us, a retry delivers it twice (with the same Message-ID).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import aiosmtplib

from kodeord.adapters.delivery import cause_text
from kodeord.app.delivery import DeliveryOutcome, Stopwatch

SMTP_OK = 250
MAX_ERROR_CHARS = 200
_ADDRESS = re.compile(r"[^\s<>()\[\]@,;:\"\\]+@[^\s<>()\[\]@,;:\"\\]+")
_MESSAGE_ID = re.compile(r"[\x21-\x3b\x3d\x3f-\x7e]{1,200}")  # printable, no < > or space


class SmtpFailure(Exception):
    """One failed submission, already classified."""

    def __init__(self, error: str, code: int | None = None, retryable: bool = True) -> None:
        super().__init__(error)
        self.error = error
        self.code = code
        self.retryable = retryable


class EmailSender:
    """Submits plain-text mail to one SMTP relay; one attempt per send."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool = False,
        start_tls: bool | None = None,
        sender: str = "kodeord@localhost",
        timeout: float = 10,
        local_hostname: str | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self._smtp = functools.partial(
            aiosmtplib.SMTP,
            hostname=host,
            port=port,
            username=username,
            password=password,
            use_tls=use_tls,
            start_tls=start_tls,
            timeout=timeout,
            local_hostname=local_hostname,
            tls_context=tls_context,
        )
        self._smtp()  # ValueError now, not at the first send, for options that conflict
        self._sender = sender
        self._envelope_sender = parseaddr(sender)[1]
        if not _ADDRESS.fullmatch(self._envelope_sender):
            raise ValueError(f"sender has no usable address: {sender!r}")
        self._timeout = timeout

    async def send(
        self, to: str, subject: str, body: str, *, message_id: str, date: datetime | None = None
    ) -> DeliveryOutcome:
        """Submit one mail; never raises for network or SMTP trouble."""
        if date is not None and date.tzinfo is None:
            raise ValueError("date must be timezone-aware")
        message_id_header = format_message_id(message_id, self._envelope_sender)
        date_header = format_datetime((date or datetime.now(UTC)).astimezone(UTC))
        watch = Stopwatch()
        try:
            message = build_message(self._sender, to, subject, body)
            message["Date"] = date_header
            message["Message-ID"] = message_id_header
            async with asyncio.timeout(self._timeout):
                await self._submit(message, to)
        except SmtpFailure as failure:
            return DeliveryOutcome.failed(
                failure.error,
                watch.elapsed_ms(),
                status_code=failure.code,
                retryable=failure.retryable,
            )
        except TimeoutError:
            return DeliveryOutcome.failed("timeout", watch.elapsed_ms())
        return DeliveryOutcome.delivered(SMTP_OK, watch.elapsed_ms())

    async def _submit(self, message: EmailMessage, recipient: str) -> None:
        smtp = self._smtp()
        try:
            try:
                await smtp.connect()
            except (aiosmtplib.SMTPException, OSError) as exc:
                raise relay_failure(exc) from exc
            try:
                await smtp.send_message(
                    message, sender=self._envelope_sender, recipients=[recipient]
                )
            except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
                raise message_failure(exc) from exc
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await smtp.quit()  # the mail is accepted; a rude goodbye changes nothing
        finally:
            smtp.close()


def build_message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    """The mail without Date and Message-ID; SmtpFailure (not retryable) for bad input."""
    if not _ADDRESS.fullmatch(to):
        raise SmtpFailure("refused: invalid recipient address", retryable=False)
    message = EmailMessage()
    try:
        message["From"] = sender
        message["To"] = to
        message["Subject"] = subject
    except ValueError:  # CR or LF in a header value
        raise SmtpFailure("refused: invalid header", retryable=False) from None
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body, cte="quoted-printable")
    return message


def format_message_id(message_id: str, sender_address: str) -> str:
    """`<id@domain>`; the domain is the sender's unless the id has its own."""
    if not _MESSAGE_ID.fullmatch(message_id):
        raise ValueError("message_id must be 1-200 printable characters without <, > or space")
    if "@" in message_id:
        return f"<{message_id}>"
    return f"<{message_id}@{sender_address.rpartition('@')[2]}>"


def relay_failure(exc: Exception) -> SmtpFailure:
    """A failure before MAIL FROM: the relay's trouble, always retryable."""
    if isinstance(exc, TimeoutError):
        return SmtpFailure("timeout")
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return SmtpFailure(f"SMTP auth failed ({exc.code})", exc.code)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return SmtpFailure(_reply_text(exc.code, exc.message), exc.code)
    return SmtpFailure(cause_text(exc) or f"SMTP connect failed: {_short(str(exc))}")


def message_failure(exc: Exception) -> SmtpFailure:
    """A failure from MAIL FROM on: a 5xx answer rejects this message for good."""
    if isinstance(exc, TimeoutError):
        return SmtpFailure("timeout")
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        exc = exc.recipients[0]
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        permanent = 500 <= exc.code < 600
        return SmtpFailure(_reply_text(exc.code, exc.message), exc.code, not permanent)
    if isinstance(exc, aiosmtplib.SMTPNotSupported | ValueError):
        return SmtpFailure(f"refused: {_short(str(exc))}", retryable=False)
    return SmtpFailure(cause_text(exc) or "connection lost")


def _reply_text(code: int, message: str) -> str:
    return _short(f"SMTP {code} {message}")


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"
