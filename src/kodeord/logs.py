"""Logging for every kodeord process: structlog configured once, secrets redacted.

Rules:
- `configure()` runs once per process, from the CLI, before anything logs. Settings:
  `KODEORD_LOG_FORMAT` = `json` (one JSON object a line), `console` (one readable line) or
  `auto` (the default: console when stderr is a terminal, else JSON); `KODEORD_LOG_LEVEL`
  = debug, info (the default), warning, error or critical.
- structlog's loggers and stdlib logging (uvicorn, asyncio, SQLAlchemy, aiohttp) go
  through the same processors to the same handler on stderr; other libraries log their
  warnings and errors only.
- Tracebacks are plain text and never show local variables. Rich's traceback with
  `show_locals` (structlog's default when Rich is installed) rendered every frame's
  variables, secrets included, and blocked the event loop for seconds per error.
- Nothing secret reaches a line. Values under secret-sounding names are replaced
  (`SECRET_NAME`); every string, and then the whole rendered line with its traceback,
  loses secret-shaped substrings (`SECRET_SHAPES`: API keys, admin tokens, signing
  secrets, bearer credentials, URL passwords, `password=…`) and the exact values
  registered with `register_secret` (the configured tokens and keys).
- An exception the web error handler has logged is marked (`mark_logged`) so uvicorn's
  second report of the same exception is dropped: one error, one log entry.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

import structlog
from structlog.types import EventDict, Processor, WrappedLogger

from kodeord.config import SettingsError

REDACTED = "[redacted]"
FORMATS = ("auto", "json", "console")
LEVELS = ("debug", "info", "warning", "error", "critical")
SHORTEST_REGISTERED_SECRET = 8  # shorter values would blank out ordinary words

SECRET_NAME = re.compile(
    r"passw|pwd|token|secret|authori[sz]ation|cookie|credential|api_?key|(^|_)key$",
    re.IGNORECASE,
)
SECRET_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    # API keys `<prefix>_<id>_<secret>` (domain/apikeys.py): the id may stay, it finds the row
    (re.compile(r"\b([a-z]{1,16}_[0-9]{1,40}_)[A-Za-z0-9_-]{8,}"), rf"\g<1>{REDACTED}"),
    (re.compile(r"\bkadm_[A-Za-z0-9_-]+"), f"kadm_{REDACTED}"),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=_-]+"), f"whsec_{REDACTED}"),
    # credentials are 8+ characters, so prose ("the bearer token is …") stays readable
    (re.compile(r"\b(bearer|basic)(\s+)[^\s'\",;\\]{8,}", re.IGNORECASE), rf"\g<1>\g<2>{REDACTED}"),
    # user-info in URLs: smtp://user:password@host, postgresql://u:p@h/db
    (re.compile(r"\b([a-z][a-z0-9+.-]*://[^/\s:@'\"]*:)[^@\s/'\"]+@"), rf"\g<1>{REDACTED}@"),
    # reprs and dumps: password='x', "secret": "x", token=x
    (
        re.compile(
            r"\b(passw(?:or)?d|pwd|secret|token|api_?key)(['\"]?\s*[=:]\s*['\"]?)"
            r"(?!\[redacted\])[^\s'\",)}&\]\\]+",
            re.IGNORECASE,
        ),
        rf"\g<1>\g<2>{REDACTED}",
    ),
)

_registered: set[str] = set()
_LOGGED_MARK = "_kodeord_logged"


@dataclass(frozen=True, slots=True)
class LogSettings:
    format: str = "auto"
    level: str = "info"


def settings_from_env(env: Mapping[str, str] | None = None) -> LogSettings:
    """KODEORD_LOG_FORMAT and KODEORD_LOG_LEVEL, or SettingsError saying what is allowed."""
    env = os.environ if env is None else env
    chosen = LogSettings(
        env.get("KODEORD_LOG_FORMAT", "").strip().lower() or "auto",
        env.get("KODEORD_LOG_LEVEL", "").strip().lower() or "info",
    )
    if chosen.format not in FORMATS:
        raise SettingsError(f"KODEORD_LOG_FORMAT must be one of {', '.join(FORMATS)}")
    if chosen.level not in LEVELS:
        raise SettingsError(f"KODEORD_LOG_LEVEL must be one of {', '.join(LEVELS)}")
    return chosen


# --- redaction --------------------------------------------------------------------


def register_secret(value: str | None) -> None:
    """Never write this exact value (a configured token or key) to a log line."""
    if value and len(value) >= SHORTEST_REGISTERED_SECRET:
        _registered.add(value)


def redact_text(text: str) -> str:
    """`text` without registered secrets and secret-shaped substrings."""
    for value in _registered:
        if value in text:
            text = text.replace(value, REDACTED)
    for pattern, replacement in SECRET_SHAPES:
        text = pattern.sub(replacement, text)
    return text


def redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {key: _redact_item(str(key), item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(item) for item in value]
    return value


def _redact_item(name: str, value: Any) -> Any:
    if value is not None and SECRET_NAME.search(name):
        return REDACTED
    return redact_value(value)


_FIRST = ("timestamp", "level", "logger", "event")


def redact_event(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Every value redacted; the usual fields first, so lines read alike."""
    first = {key: event_dict[key] for key in _FIRST if key in event_dict}
    ordered = {**first, **event_dict}
    return {key: _redact_item(key, value) for key, value in ordered.items()}


def redact_line(_logger: WrappedLogger, _method: str, line: Any) -> Any:
    """The last step: the rendered line (reprs, tracebacks) is checked once more."""
    return redact_text(line)


# --- one log entry per error ------------------------------------------------------


def mark_logged(exc: BaseException) -> None:
    """Note that `exc` has been logged, so a later report of it (uvicorn's) is dropped."""
    with contextlib.suppress(AttributeError):  # __slots__ exceptions: logged twice, no harm
        setattr(exc, _LOGGED_MARK, True)


class _DropLoggedAgain(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not getattr(exc, _LOGGED_MARK, False)


# --- configuration ----------------------------------------------------------------


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (a test runner may swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _renderer(chosen: str, stream: TextIO) -> Processor:
    terminal = stream.isatty()
    if chosen == "json" or (chosen == "auto" and not terminal):
        return structlog.processors.JSONRenderer(sort_keys=False)
    return structlog.dev.ConsoleRenderer(
        colors=terminal, exception_formatter=structlog.dev.plain_traceback
    )


def _handler(settings: LogSettings, stream: TextIO | None) -> logging.Handler:
    handler = _StderrHandler() if stream is None else logging.StreamHandler(stream)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,  # plain text, no locals
            redact_event,
            _renderer(settings.format, stream or sys.stderr),
            redact_line,
        ],
    )
    handler.setFormatter(formatter)
    handler.addFilter(_DropLoggedAgain())
    return handler


_configured = False


def configure(
    settings: LogSettings | None = None,
    stream: TextIO | None = None,
    secrets: Iterable[str | None] = (),
    *,
    force: bool = False,
) -> None:
    """Set up logging for this process (once; `force` replaces an earlier setup).
    `stream` defaults to stderr; SettingsError for bad KODEORD_LOG_* values."""
    global _configured
    if _configured and not force:
        return
    settings = settings or settings_from_env()
    level = getattr(logging, settings.level.upper())
    for value in secrets:
        register_secret(value)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_kodeord", False)]:
        root.removeHandler(old)
    handler = _handler(settings, stream)
    handler._kodeord = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    # uvicorn's own default config gives its loggers handlers of their own and stops them
    # propagating; an embedded uvicorn (or one run before us) must log through ours
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        library = logging.getLogger(name)
        library.handlers.clear()
        library.propagate = True
    # other libraries' info is noise (alembic's plugins, aiohttp): their warnings and up
    root.setLevel(max(level, logging.WARNING))
    logging.getLogger("kodeord").setLevel(level)
    structlog.configure(
        processors=[*_shared_processors(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=False,
    )
    _configured = True
