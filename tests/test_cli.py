"""`kodeord` as a user runs it: a real process, real sockets, real databases."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kodeord.adapters.smpp_io import EsmeClient
from kodeord.config import HostPort, Settings
from tests.conftest import POSTGRES_URL
from tests.support import free_port, wait_for_health

KODEORD = [sys.executable, "-m", "kodeord"]
PG_ADMIN = "pg-admin-token-for-the-cli-test-0001"  # 32+ characters (config.py)


def serve(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*KODEORD, "serve", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen[bytes]) -> str:
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=30)
    return out.decode()


def simulator_args() -> tuple[list[str], int, int]:
    smpp, control = free_port(), free_port()
    return (
        ["--simulator-smpp", f"127.0.0.1:{smpp}", "--simulator-http", f"127.0.0.1:{control}"],
        smpp,
        control,
    )


def test_serve_embedded_default(tmp_path: Path) -> None:
    port, customer_smpp = free_port(), free_port()
    args, smpp, control = simulator_args()
    process = serve(
        tmp_path, "--http", f"127.0.0.1:{port}", "--smpp", f"127.0.0.1:{customer_smpp}", *args
    )
    try:
        health = wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
        assert health["status"] == "ok" and health["database"] == "sqlite"
        assert httpx.get(f"http://127.0.0.1:{control}/stats").status_code == 200
        assert asyncio.run(binds_to_simulator(smpp))
        token = (tmp_path / "var" / "admin-token").read_text().strip()
        headers = {"Authorization": f"Bearer {token}"}
        created = httpx.post(
            f"http://127.0.0.1:{port}/v1/customers", json={"name": "Ola"}, headers=headers
        )
        assert created.status_code == 201
    finally:
        output = stop(process)
    assert process.returncode == 0, output
    assert (tmp_path / "var" / "kodeord.db").exists()
    # the start-up log names each server apart
    for line in (
        "operator simulator listening",
        "operator simulator control API listening",
        "customer smpp listening",
        "HTTP API listening",
        "kodeord ready",
        "console: no user yet; create the first one, then sign in",
    ):
        assert f'"{line}"' in output, output
    assert "kodeord users create --email you@example.no --role provider" in output, output
    assert "smsc listening" not in output, output


async def binds_to_simulator(port: int) -> bool:
    client = EsmeClient("127.0.0.1", port, "kodeord", "kodeord")
    async with client:
        await client.wait_bound(10)
        return client.is_bound


def test_simulator_command(tmp_path: Path) -> None:
    smpp, control = free_port(), free_port()
    process = subprocess.Popen(
        [
            *KODEORD,
            "simulator",
            "--smpp",
            f"127.0.0.1:{smpp}",
            "--http",
            f"127.0.0.1:{control}",
            "--submit-delay-ms",
            "5",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_health(f"http://127.0.0.1:{control}/stats", process)
        assert asyncio.run(binds_to_simulator(smpp))
        config = httpx.patch(f"http://127.0.0.1:{control}/config", json={}).json()
        assert config["submit_delay"] == 0.005
    finally:
        output = stop(process)
    assert process.returncode == 0, output


def test_http_address_from_the_environment(tmp_path: Path) -> None:
    port = free_port()
    process = serve(tmp_path, "--no-simulator", env={"KODEORD_HTTP": f"127.0.0.1:{port}"})
    try:
        wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
    finally:
        stop(process)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--http", "nonsense"], "--http must be HOST:PORT"),
        (["serve", "--http", "127.0.0.1:99999"], "--http must be HOST:PORT"),
        (["serve", "--simulator-smpp", "x"], "--simulator-smpp must be HOST:PORT"),
        (["simulator", "--smpp", "nowhere"], "--smpp must be HOST:PORT"),
        (["serve", "--database-url", "mysql://x@y/z"], "unsupported database"),
        (["db", "upgrade", "--database-url", "bogus"], "not a database URL"),
    ],
)
def test_bad_settings_end_with_a_message(tmp_path: Path, args: list[str], message: str) -> None:
    result = subprocess.run([*KODEORD, *args], cwd=tmp_path, capture_output=True, timeout=60)
    assert result.returncode == 2
    assert message in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()


# (option, its environment variable, its default) as `kodeord serve --help` must show them
SERVE_OPTIONS = [
    ("--http", "KODEORD_HTTP", "127.0.0.1:8080"),
    ("--database-url", "KODEORD_DATABASE_URL", "sqlite:///var/kodeord.db"),
    ("--simulator", "KODEORD_SIMULATOR", "simulator"),
    ("--simulator-smpp", "KODEORD_SIMULATOR_SMPP", "127.0.0.1:2776"),
    ("--simulator-http", "KODEORD_SIMULATOR_HTTP", "127.0.0.1:8081"),
    ("--smpp", "KODEORD_SMPP", "127.0.0.1:2775"),
]


def serve_help_rows(tmp_path: Path) -> dict[str, str]:
    """Each option's help text, joined over its lines (wide columns, so one row a line)."""
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}
    result = subprocess.run(
        [*KODEORD, "serve", "--help"], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    rows: dict[str, str] = {}
    option = ""
    for line in result.stdout.splitlines():
        cells = line.strip("│ ").split()
        if cells and cells[0].startswith("--"):
            option = cells[0]
        if option:
            rows[option] = f"{rows.get(option, '')} {line}"
    assert "<str>" not in result.stdout, result.stdout
    return rows


@pytest.mark.parametrize(("option", "env", "default"), SERVE_OPTIONS)
def test_serve_help_shows_each_env_variable_and_default(
    tmp_path: Path, option: str, env: str, default: str
) -> None:
    row = serve_help_rows(tmp_path)[option]
    assert f"[env var: {env}]" in row, row
    assert f"[default: {default}]" in row, row


@pytest.mark.parametrize(
    ("flag", "env", "expected"),
    [
        ("off", None, None),
        (None, "off", None),
        ("127.0.0.1:3775", "off", HostPort("127.0.0.1", 3775)),
        ("0.0.0.0:2775", None, HostPort("0.0.0.0", 2775)),
    ],
)
def test_smpp_off_from_the_flag_or_the_environment(
    monkeypatch: pytest.MonkeyPatch, flag: str | None, env: str | None, expected: HostPort | None
) -> None:
    """The CLI hands KODEORD_SMPP to Settings as the flag's value, so `off` is one there too."""
    if env is None:
        monkeypatch.delenv("KODEORD_SMPP", raising=False)
    else:
        monkeypatch.setenv("KODEORD_SMPP", env)
    assert Settings.load(smpp=flag).smpp == expected


def test_simulator_off_from_the_environment(tmp_path: Path) -> None:
    port = free_port()
    env = {"KODEORD_HTTP": f"127.0.0.1:{port}", "KODEORD_SIMULATOR": "0"}
    process = serve(tmp_path, env=env)
    try:
        wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
    finally:
        output = stop(process)
    assert "operator simulator" not in output, output


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    assert POSTGRES_URL
    name = f"kodeord_cli_{uuid.uuid4().hex[:12]}"
    server = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name, drivername="postgresql").render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.postgres
def test_postgresql_needs_db_upgrade_then_serves(tmp_path: Path, empty_postgres: str) -> None:
    refused = subprocess.run(
        [*KODEORD, "serve", "--database-url", empty_postgres],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )
    assert refused.returncode == 2 and b"kodeord db upgrade" in refused.stderr
    upgraded = subprocess.run(
        [*KODEORD, "db", "upgrade"],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        env={**os.environ, "KODEORD_DATABASE_URL": empty_postgres},
    )
    assert upgraded.returncode == 0, upgraded.stderr
    port = free_port()
    process = serve(
        tmp_path,
        "--http",
        f"127.0.0.1:{port}",
        "--database-url",
        empty_postgres,
        env={"KODEORD_ADMIN_TOKEN": PG_ADMIN},
    )
    try:
        health = wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
        assert health["database"] == "postgresql"
        listed = httpx.get(
            f"http://127.0.0.1:{port}/v1/customers", headers={"Authorization": f"Bearer {PG_ADMIN}"}
        )
        assert listed.status_code == 200 and listed.json() == []
    finally:
        stop(process)


@pytest.mark.parametrize("which", ["--http", "--simulator-smpp", "--simulator-http"])
def test_an_address_in_use_ends_with_a_message(tmp_path: Path, which: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = f"127.0.0.1:{taken.getsockname()[1]}"
        args = {
            "--http": f"127.0.0.1:{free_port()}",
            "--simulator-smpp": f"127.0.0.1:{free_port()}",
            "--simulator-http": f"127.0.0.1:{free_port()}",
            which: busy,
        }
        command = [*KODEORD, "serve", *[part for pair in args.items() for part in pair]]
        result = subprocess.run(command, cwd=tmp_path, capture_output=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert b"cannot listen on" in result.stderr and b"Traceback" not in result.stderr
