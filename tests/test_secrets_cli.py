"""Secrets at rest as a user meets them: `kodeord serve` and `kodeord db upgrade` as real
processes make var/ and the SQLite files owner-only, a wrong key stops `serve` with one
line, and `kodeord secrets rotate` moves the stored secrets to a new key."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from kodeord.adapters.db import migrate
from tests.support import free_port, wait_for_health
from tests.test_cli import KODEORD, serve, stop

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
ADMIN = "an-admin-token-for-the-secrets-tests"  # 32 characters at least


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes(folder: Path) -> dict[str, int]:
    """The mode of var/ and of every file in it, by name."""
    var = folder / "var"
    return {"var/": mode(var)} | {f"var/{p.name}": mode(p) for p in var.iterdir()}


def test_serve_makes_var_and_the_database_owner_only(tmp_path: Path) -> None:
    port = free_port()
    process = serve(tmp_path, "--http", f"127.0.0.1:{port}", "--no-simulator")
    try:
        wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
        found = modes(tmp_path)  # while it runs: the -wal and -shm files exist
    finally:
        output = stop(process)
    assert process.returncode == 0, output
    assert found == {
        "var/": 0o700,
        "var/kodeord.db": 0o600,
        "var/kodeord.db-wal": 0o600,
        "var/kodeord.db-shm": 0o600,
        "var/admin-token": 0o600,
        "var/secret.key": 0o600,
    }
    assert (tmp_path / "var/secret.key").read_text().strip() not in output  # never logged


def test_serve_tightens_files_made_before(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    migrate.upgrade(f"sqlite:///{var}/kodeord.db")
    for name in ("kodeord.db-wal", "kodeord.db-shm"):
        (var / name).touch()
    (var / "admin-token").write_text("an-admin-token-from-before\n")
    (var / "secret.key").write_text(KEY_A + "\n")
    for path in var.iterdir():
        path.chmod(0o644)
    assert mode(var / "kodeord.db") == 0o644
    port = free_port()
    process = serve(tmp_path, "--http", f"127.0.0.1:{port}", "--no-simulator")
    try:
        wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
        found = modes(tmp_path)
    finally:
        stop(process)
    assert set(found.values()) == {0o700, 0o600} and found["var/"] == 0o700, found
    assert (var / "secret.key").read_text().strip() == KEY_A  # kept, not replaced


def test_db_upgrade_makes_a_new_database_owner_only(tmp_path: Path) -> None:
    result = subprocess.run([*KODEORD, "db", "upgrade"], cwd=tmp_path, capture_output=True)
    assert result.returncode == 0, result.stderr
    assert modes(tmp_path) == {"var/": 0o700, "var/kodeord.db": 0o600}
    elsewhere = tmp_path / "data" / "gateway.db"
    url = f"sqlite:///{elsewhere}"
    result = subprocess.run(
        [*KODEORD, "db", "upgrade", "--database-url", url], cwd=tmp_path, capture_output=True
    )
    assert result.returncode == 0, result.stderr
    assert (mode(elsewhere.parent), mode(elsewhere)) == (0o700, 0o600)


def _add_link(base: str, token: str) -> None:
    link = {"name": "op", "host": "127.0.0.1", "port": free_port()}
    link |= {"system_id": "gw", "password": "pw83kx1q"}
    headers = {"Authorization": f"Bearer {token}"}
    added = httpx.post(f"{base}/v1/operator-links", json=link, headers=headers, timeout=10)
    assert added.status_code == 201, added.text


def _serve_once(folder: Path, key: str, then: object = None) -> tuple[int, str]:
    """Run `serve` with KODEORD_SECRET_KEY=key until healthy (then add a link if asked)
    and stop it; (exit code, output). A serve that stops by itself returns at once."""
    port = free_port()
    env = {"KODEORD_SECRET_KEY": key, "KODEORD_ADMIN_TOKEN": ADMIN}
    process = serve(folder, "--http", f"127.0.0.1:{port}", "--no-simulator", env=env)
    try:
        wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
    except AssertionError:
        out, _ = process.communicate(timeout=30)
        return process.returncode, out.decode()
    if then == "add link":
        _add_link(f"http://127.0.0.1:{port}", ADMIN)
    output = stop(process)
    return process.returncode, output


def test_a_key_that_opens_nothing_stops_serve_with_one_line(tmp_path: Path) -> None:
    assert _serve_once(tmp_path, KEY_A, "add link")[0] == 0
    code, output = _serve_once(tmp_path, KEY_B)
    assert code == 2, output
    assert "a stored secret was sealed with a key that is not in KODEORD_SECRET_KEY" in output
    assert "Traceback" not in output and KEY_A not in output and KEY_B not in output


def test_a_malformed_key_stops_serve_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "KODEORD_SECRET_KEY": f"{KEY_A},not-a-key"}
    command = [*KODEORD, "serve", "--http", f"127.0.0.1:{free_port()}", "--no-simulator"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, timeout=60)
    assert result.returncode == 2
    assert b"key 2 in KODEORD_SECRET_KEY is not a Fernet key" in result.stderr
    assert b"Traceback" not in result.stderr and KEY_A.encode() not in result.stderr


def test_secrets_rotate_moves_the_stored_secrets_to_the_first_key(tmp_path: Path) -> None:
    assert _serve_once(tmp_path, KEY_A, "add link")[0] == 0

    def rotate(keys: str) -> subprocess.CompletedProcess[bytes]:
        env = {**os.environ, "KODEORD_SECRET_KEY": keys}
        command = [*KODEORD, "secrets", "rotate"]
        return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, timeout=60)

    refused = rotate(KEY_B)  # the old key is not listed: nothing is rewritten
    assert refused.returncode == 2 and b"not in KODEORD_SECRET_KEY" in refused.stderr
    done = rotate(f"{KEY_B},{KEY_A}")
    assert done.returncode == 0, done.stderr
    assert b"1 of 1 stored secrets sealed with the first key" in done.stdout
    assert _serve_once(tmp_path, KEY_B)[0] == 0  # the new key alone opens them now
    assert _serve_once(tmp_path, KEY_A)[0] == 2
    new_key = subprocess.run([*KODEORD, "secrets", "new-key"], capture_output=True, timeout=60)
    assert new_key.returncode == 0 and Fernet(new_key.stdout.strip())
