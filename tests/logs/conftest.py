"""The `capture` fixture: this process's logging into a StringIO, restored afterwards."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog

from kodeord import logs

Capture = Callable[..., io.StringIO]


@pytest.fixture
def capture() -> Iterator[Capture]:
    """`capture(format="json")` routes every log line of this process into a StringIO."""
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, root_level = list(root.handlers), root.level
    kodeord_level = logging.getLogger("kodeord").level

    def start(format: str = "json", level: str = "info", secrets: tuple[str, ...] = ()) -> Any:
        stream = io.StringIO()
        logs.configure(logs.LogSettings(format, level), stream, secrets, force=True)
        return stream

    yield start
    root.handlers[:] = handlers
    root.setLevel(root_level)
    logging.getLogger("kodeord").setLevel(kodeord_level)
    structlog.configure(**saved)
    logs._registered.clear()
    logs._configured = False


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]
