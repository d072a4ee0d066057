"""EmailSender against a real aiosmtpd server on 127.0.0.1: Norwegian letters and emoji
round-trip, a stable Message-ID, and every kind of refusal classified."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult

from kodeord.adapters.email import EmailSender
from tests.delivery.peers import Mailbox, async_test, refusing_port, smtp_server

SENDER = "Kodeord <varsel@kodeord.test>"
TO = "kari.nordmann@example.no"
SUBJECT = "Blåbær-kampanjen 🍓: ÆØÅ æøå er i gang"
BODY = (
    "Hei Kari!\n"
    "Svar JA til 2077 for å bekrefte 👍\n"
    ".Linjer som starter med punktum må overleve (dot-stuffing).\n"
    "From: en linje som ser ut som en header\n"
    + "Lang linje med æøå som må brytes i quoted-printable " * 5
    + "\nHilsen Kodeord\n"
)


def sender_for(port: int, **options: Any) -> EmailSender:
    options.setdefault("sender", SENDER)
    return EmailSender("127.0.0.1", port, local_hostname="client.test", **options)


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@async_test
async def test_a_mail_with_norwegian_letters_and_emoji_round_trips() -> None:
    mailbox = Mailbox()
    at = datetime(2025, 3, 1, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    async with smtp_server(mailbox) as port:
        outcome = await sender_for(port).send(TO, SUBJECT, BODY, message_id="msg-1", date=at)
    assert (outcome.ok, outcome.status_code, outcome.error, outcome.retryable) == (
        True,
        250,
        None,
        False,
    )
    [envelope] = mailbox.messages
    assert (envelope.mail_from, envelope.rcpt_tos) == ("varsel@kodeord.test", [TO])
    assert isinstance(envelope.content, bytes)
    envelope.content.decode("ascii")  # 7-bit clean on the wire: any relay will do
    message = parse(envelope.content)
    assert message["Subject"] == SUBJECT
    assert message.get_content().replace("\r\n", "\n") == BODY  # CRLF on the wire
    assert message["From"] == SENDER
    assert message["To"] == TO
    assert message["Message-ID"] == "<msg-1@kodeord.test>"
    assert message["Date"] == "Sat, 01 Mar 2025 12:00:00 +0000"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"


@async_test
async def test_a_retry_carries_the_same_message_id() -> None:
    mailbox = Mailbox()
    async with smtp_server(mailbox) as port:
        sender = sender_for(port)
        for _ in range(2):
            assert (await sender.send(TO, "Hei", "Hei", message_id="delivery-42")).ok
        assert (await sender.send(TO, "Hei", "Hei", message_id="x@own.domain")).ok
    messages = [parse(m.content) for m in mailbox.messages]  # type: ignore[arg-type]
    ids = [m["Message-ID"] for m in messages]
    assert ids == ["<delivery-42@kodeord.test>"] * 2 + ["<x@own.domain>"]
    for message in messages:  # no date given: now, in UTC
        sent = message["Date"].datetime
        assert sent.utcoffset() == timedelta(0)
        assert abs(datetime.now(UTC) - sent) < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("replies", "code", "retryable"),
    [
        ({"rcpt": "550 5.1.1 User unknown"}, 550, False),
        ({"rcpt": "553 5.1.3 Bad recipient address syntax"}, 553, False),
        ({"rcpt": "451 4.3.0 Try again later"}, 451, True),
        ({"rcpt": "452 4.2.2 Mailbox full"}, 452, True),
        ({"mail": "553 5.7.1 Sender not allowed"}, 553, False),
        ({"mail": "450 4.2.0 Greylisted"}, 450, True),
        ({"data": "451 4.3.0 Local error in processing"}, 451, True),
        ({"data": "554 5.7.1 Message rejected as spam"}, 554, False),
    ],
)
@async_test
async def test_smtp_replies_become_outcomes(
    replies: dict[str, str], code: int, retryable: bool
) -> None:
    mailbox = Mailbox(replies)
    async with smtp_server(mailbox) as port:
        outcome = await sender_for(port).send(TO, SUBJECT, BODY, message_id="m")
    [reply] = replies.values()
    assert (outcome.ok, outcome.status_code, outcome.error, outcome.retryable) == (
        False,
        code,
        f"SMTP {reply}",
        retryable,
    )
    assert mailbox.messages == []


@async_test
async def test_a_relay_that_is_down_is_retryable() -> None:
    with refusing_port() as port:
        outcome = await sender_for(port).send(TO, SUBJECT, BODY, message_id="m")
    assert (outcome.ok, outcome.status_code, outcome.error, outcome.retryable) == (
        False,
        None,
        "connection refused",
        True,
    )


@async_test
async def test_a_relay_that_hangs_is_a_retryable_timeout() -> None:
    mailbox = Mailbox(hang=True)
    async with smtp_server(mailbox) as port:
        outcome = await sender_for(port, timeout=0.3).send(TO, SUBJECT, BODY, message_id="m")
    assert (outcome.ok, outcome.error, outcome.retryable) == (False, "timeout", True)
    assert outcome.duration_ms < 3000


def refuse_everyone(*args: Any) -> AuthResult:
    return AuthResult(success=False, handled=False)


@async_test
async def test_a_wrong_relay_password_is_retryable() -> None:
    """The relay's trouble, not the message's: the mail must survive until it is fixed."""
    mailbox = Mailbox()
    options = {"authenticator": refuse_everyone, "auth_require_tls": False}
    async with smtp_server(mailbox, **options) as port:
        sender = sender_for(port, username="kodeord", password="wrong")
        outcome = await sender.send(TO, SUBJECT, BODY, message_id="m")
    assert (outcome.ok, outcome.status_code, outcome.error, outcome.retryable) == (
        False,
        535,
        "SMTP auth failed (535)",
        True,
    )
    assert mailbox.messages == []


@pytest.mark.parametrize(
    ("to", "subject", "error"),
    [
        ("not an address", "Hei", "refused: invalid recipient address"),
        ("kari@example.no, ola@example.no", "Hei", "refused: invalid recipient address"),
        ("kari@example.no\r\nRCPT TO:<x@y.no>", "Hei", "refused: invalid recipient address"),
        ("Kari <kari@example.no>", "Hei", "refused: invalid recipient address"),
        ("", "Hei", "refused: invalid recipient address"),
        (TO, "Hei\r\nBcc: spy@example.com", "refused: invalid header"),
        (TO, "Hei\nBcc: spy@example.com", "refused: invalid header"),
    ],
)
@async_test
async def test_bad_input_is_refused_without_sending(to: str, subject: str, error: str) -> None:
    mailbox = Mailbox()
    async with smtp_server(mailbox) as port:
        outcome = await sender_for(port).send(to, subject, "Hei", message_id="m")
    assert (outcome.ok, outcome.error, outcome.retryable) == (False, error, False)
    assert mailbox.messages == []


@pytest.mark.parametrize(
    ("message_id", "date"),
    [
        ("has space", None),
        ("<bracketed>", None),
        ("", None),
        ("ok", datetime(2025, 3, 1, 12, 0)),  # naive
    ],
)
@async_test
async def test_caller_bugs_raise(message_id: str, date: datetime | None) -> None:
    with refusing_port() as port, pytest.raises(ValueError):
        await sender_for(port).send(TO, "Hei", "Hei", message_id=message_id, date=date)


@pytest.mark.parametrize(
    "options",
    [
        {"sender": "no address here"},
        {"use_tls": True, "start_tls": True},  # mutually exclusive in aiosmtplib
    ],
)
def test_unusable_configuration_fails_at_construction(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        EmailSender("127.0.0.1", 25, **options)
