"""The admin token: long enough or a clear error, shown once when made, never logged."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kodeord import server
from kodeord.config import Settings, SettingsError
from tests.logs.conftest import Capture, lines

KODEORD = [sys.executable, "-m", "kodeord"]
GOOD = "an-admin-token-of-thirty-two-chars"


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        (GOOD, None),
        ("x" * 32, None),
        ("x" * 31, "KODEORD_ADMIN_TOKEN must be at least 32 characters (it has 31)"),
        ("secret", "at least 32 characters (it has 6)"),
        ("a token with spaces in it, long enough", "must not contain spaces or control"),
        ("a-token-with-a-newline-at-the-end\n", "must not contain spaces or control"),
        ("a-token-with-a-tab\tthat-is-long-enough", "must not contain spaces or control"),
        ("a-token-with-an-escape\x1b[0m-long-enough", "must not contain spaces or control"),
    ],
)
def test_admin_token_setting(
    monkeypatch: pytest.MonkeyPatch, token: str, problem: str | None
) -> None:
    monkeypatch.setenv("KODEORD_ADMIN_TOKEN", token)
    if problem is None:
        assert Settings.load().admin_token == token
        return
    with pytest.raises(SettingsError, match=problem.replace("(", r"\(").replace(")", r"\)")) as err:
        Settings.load()
    assert token.strip() not in str(err.value)


def test_settings_repr_hides_the_admin_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KODEORD_ADMIN_TOKEN", GOOD)
    assert GOOD not in repr(Settings.load())


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({"KODEORD_ADMIN_TOKEN": "too-short"}, ["serve"], "KODEORD_ADMIN_TOKEN must be at least"),
        ({"KODEORD_ADMIN_TOKEN": "too-short"}, ["db", "upgrade"], "at least 32 characters"),
        ({"KODEORD_LOG_FORMAT": "xml"}, ["version"], "KODEORD_LOG_FORMAT must be one of"),
        ({"KODEORD_LOG_LEVEL": "chatty"}, ["serve"], "KODEORD_LOG_LEVEL must be one of"),
    ],
)
def test_bad_settings_are_one_line_and_exit_2(
    tmp_path: Path, env: dict[str, str], args: list[str], message: str
) -> None:
    result = subprocess.run(
        [*KODEORD, *args],
        cwd=tmp_path,
        env={**os.environ, **env},
        capture_output=True,
        timeout=60,
    )
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert message in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert "too-short" not in stderr


@pytest.fixture
def terminal() -> Iterator[tuple[io.TextIOWrapper, int]]:
    """A real pseudo-terminal: what is written to `writer` is read back from `reader`."""
    reader, writer_fd = os.openpty()
    writer = os.fdopen(writer_fd, "w")
    yield writer, reader
    writer.close()
    os.close(reader)


def test_the_token_is_shown_once_on_the_terminal_and_never_logged(
    tmp_path: Path, terminal: tuple[io.TextIOWrapper, int], capture: Capture
) -> None:
    stream = capture("json")
    writer, reader = terminal
    path = tmp_path / "var" / "admin-token"
    token = server.embedded_admin_token(path, writer)
    shown = os.read(reader, 4096).decode()
    assert token == path.read_text().strip() and len(token) >= 32
    assert shown.count(token) == 1 and str(path) in shown
    assert server.embedded_admin_token(path, writer) == token  # the second start
    os.set_blocking(reader, False)
    with pytest.raises(BlockingIOError):  # nothing more was written
        os.read(reader, 4096)
    assert [entry["event"] for entry in lines(stream)] == [
        "admin token created",
        "admin token in use",
    ]
    assert token not in stream.getvalue()
    assert all(entry["file"] == str(path) for entry in lines(stream))


def test_the_token_is_not_written_where_no_terminal_reads(tmp_path: Path, capture: Capture) -> None:
    capture("json")
    not_a_terminal = io.StringIO()
    token = server.embedded_admin_token(tmp_path / "admin-token", not_a_terminal)
    assert token not in not_a_terminal.getvalue()
