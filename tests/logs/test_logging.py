"""kodeord.logs: one setup, JSON or console lines, plain tracebacks, nothing secret.

Logging is configured into a StringIO here (the `capture` fixture, conftest.py).
"""

from __future__ import annotations

import json
import logging
import statistics
import time
from typing import Any

import pytest
import structlog

from kodeord import logs
from kodeord.config import SettingsError
from tests.logs.conftest import Capture, lines

KEY = "ko_42_" + "S3cr3tPart" * 4
ADMIN = "kadm_" + "AdminTokenValue" * 3
SIGNING = "whsec_" + "c2lnbmluZyBzZWNyZXQ="
CONFIGURED = "a-configured-metrics-token-of-some-length"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Bearer {KEY}", "Bearer [redacted]"),
        (f"bearer {ADMIN}", "bearer [redacted]"),
        (f"key {KEY} refused", "key ko_42_[redacted] refused"),
        ("ko_9999999999999999999_" + "a" * 24, "ko_9999999999999999999_[redacted]"),
        (f"token was {ADMIN}.", "token was kadm_[redacted]."),
        (f"secret {SIGNING} rotated", "secret whsec_[redacted] rotated"),
        ("smtp://mailer:pa55word@mx.example:587", "smtp://mailer:[redacted]@mx.example:587"),
        ("postgresql://kodeord:hunter2@db/kodeord", "postgresql://kodeord:[redacted]@db/kodeord"),
        (
            "BindTransceiver(system_id='acme', password='pw1')",
            "BindTransceiver(system_id='acme', password='[redacted]')",
        ),
        ('{"password": "pw2", "name": "x"}', '{"password": "[redacted]", "name": "x"}'),
        ("secret=abc&x=1", "secret=[redacted]&x=1"),
        ("Authorization: Basic dXNlcjpwdw==", "Authorization: Basic [redacted]"),
        # not secrets: left alone
        ("postgresql://postgres@127.0.0.1:5432/test", "postgresql://postgres@127.0.0.1:5432/test"),
        ("MO from 4798765432 to 2077: STEM JA", "MO from 4798765432 to 2077: STEM JA"),
        ("the bearer token is not a valid API key", "the bearer token is not a valid API key"),
    ],
)
def test_secret_shapes_are_redacted_anywhere_in_a_string(text: str, expected: str) -> None:
    assert logs.redact_text(text) == expected


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("password", True),
        ("link_password", True),
        ("token", True),
        ("admin_token", True),
        ("secret", True),
        ("signing_secret", True),
        ("authorization", True),
        ("Authorization", True),
        ("api_key", True),
        ("apikey", True),
        ("key", True),
        ("secret_key", True),
        ("cookie", True),
        ("path", False),
        ("system_id", False),
        ("keyword", False),
        ("customer_id", False),
    ],
)
def test_values_under_secret_names_are_redacted(name: str, secret: bool) -> None:
    redacted = logs.redact_event(None, "info", {"event": "e", name: "plain-value"})
    assert (redacted[name] == logs.REDACTED) is secret
    nested = logs.redact_event(None, "info", {"event": "e", "peer": {name: "plain-value"}})
    assert (nested["peer"][name] == logs.REDACTED) is secret


def test_registered_values_are_redacted_and_short_ones_are_not_registered() -> None:
    logs.register_secret(CONFIGURED)
    logs.register_secret("short")
    try:
        assert logs.redact_text(f"x {CONFIGURED} y") == "x [redacted] y"
        assert logs.redact_text("a short word") == "a short word"
    finally:
        logs._registered.clear()


def _fail_deep(depth: int, token: str, payload: str) -> None:
    if depth:
        _fail_deep(depth - 1, token, payload)
    authorization = f"Bearer {token}"  # a local Rich would have shown
    raise RuntimeError(f"could not check {token} ({len(authorization)} characters)")


def test_a_traceback_is_plain_redacted_and_shows_no_locals(capture: Capture) -> None:
    stream = capture("json", secrets=(CONFIGURED,))
    log = structlog.get_logger("kodeord.test")
    try:
        _fail_deep(5, KEY, CONFIGURED * 100)
    except RuntimeError as exc:
        log.error("unhandled error", path="/v1/numbers", exc_info=exc)
    (entry,) = lines(stream)
    assert entry["level"] == "error" and entry["event"] == "unhandled error"
    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert "RuntimeError: could not check ko_42_[redacted]" in entry["exception"]
    text = stream.getvalue()
    for secret in (KEY, CONFIGURED, "S3cr3tPart"):
        assert secret not in text
    assert "authorization =" not in text and "payload =" not in text  # no locals
    assert "╭" not in text  # no Rich panel


def test_an_error_is_logged_well_under_50_ms(capture: Capture) -> None:
    """Rich's show_locals took 6-8 s for one such error on this machine's class."""
    capture("json")
    log = structlog.get_logger("kodeord.test")
    big = {"rows": [{"id": n, "text": "x" * 100} for n in range(10_000)]}
    durations = []
    for _ in range(5):
        try:
            _fail_deep(30, KEY, json.dumps(big))
        except RuntimeError as exc:
            started = time.perf_counter()
            log.error("unhandled error", exc_info=exc)
            durations.append(time.perf_counter() - started)
    assert statistics.median(durations) < 0.050, durations


def test_stdlib_records_take_the_same_path(capture: Capture) -> None:
    stream = capture("json")
    logging.getLogger("uvicorn.error").error(
        "Exception in ASGI application", exc_info=ValueError(SIGNING)
    )
    logging.getLogger("sqlalchemy.engine").warning("cannot reach postgresql://u:hunter2@db/x")
    logging.getLogger("alembic.runtime").info("setup plugin: below warning, not shown")
    uvicorn, sqlalchemy = lines(stream)
    assert uvicorn["logger"] == "uvicorn.error" and uvicorn["level"] == "error"
    assert uvicorn["exception"] == "ValueError: whsec_[redacted]"
    assert sqlalchemy["event"] == "cannot reach postgresql://u:[redacted]@db/x"


def test_an_exception_already_logged_is_not_logged_again(capture: Capture) -> None:
    stream = capture("json")
    error = ValueError("boom")
    structlog.get_logger("kodeord.web").error("unhandled error", exc_info=error)
    logs.mark_logged(error)
    logging.getLogger("uvicorn.error").error("Exception in ASGI application", exc_info=error)
    logging.getLogger("uvicorn.error").error("another", exc_info=ValueError("other"))
    assert [entry["event"] for entry in lines(stream)] == ["unhandled error", "another"]


def test_console_lines_are_redacted_too(capture: Capture) -> None:
    stream = capture("console")
    try:
        _fail_deep(1, ADMIN, "")
    except RuntimeError:
        structlog.get_logger("kodeord.test").exception("failed", token=ADMIN, user="ola")
    text = stream.getvalue()
    assert "failed" in text and "user=ola" in text and "token=[redacted]" in text
    assert "Traceback (most recent call last):" in text and ADMIN not in text
    assert "\x1b[" not in text  # a StringIO is no terminal: no colours


def test_the_level_filters_kodeord_loggers(capture: Capture) -> None:
    stream = capture("json", level="warning")
    log = structlog.get_logger("kodeord.test")
    log.info("not shown")
    log.warning("shown")
    assert [entry["event"] for entry in lines(stream)] == ["shown"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, logs.LogSettings("auto", "info")),
        ({"KODEORD_LOG_FORMAT": "JSON"}, logs.LogSettings("json", "info")),
        (
            {"KODEORD_LOG_FORMAT": "console", "KODEORD_LOG_LEVEL": "debug"},
            logs.LogSettings("console", "debug"),
        ),
        ({"KODEORD_LOG_LEVEL": "Warning"}, logs.LogSettings("auto", "warning")),
        ({"KODEORD_LOG_FORMAT": "xml"}, "KODEORD_LOG_FORMAT must be one of auto, json, console"),
        ({"KODEORD_LOG_LEVEL": "loud"}, "KODEORD_LOG_LEVEL must be one of debug, info"),
    ],
)
def test_log_settings_from_the_environment(env: dict[str, str], expected: Any) -> None:
    if isinstance(expected, str):
        with pytest.raises(SettingsError, match=expected):
            logs.settings_from_env(env)
    else:
        assert logs.settings_from_env(env) == expected
