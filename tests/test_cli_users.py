"""`kodeord users`: the first provider user from the command line, its errors and exit
codes, and a reset link; run as the real `kodeord` program on a fresh SQLite file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

KODEORD = [sys.executable, "-m", "kodeord"]


def kodeord(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {"KODEORD_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [*KODEORD, "users", *args], input=stdin, capture_output=True, text=True, env=env
    )


def test_the_first_provider_user_then_a_reset_link(tmp_path: Path) -> None:
    made = kodeord(
        tmp_path,
        "create",
        "--email",
        "Kari@Drift.no",
        "--role",
        "provider",
        "--password-stdin",
        stdin="et-godt-passord\n",
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "user 1 created: kari@drift.no (provider)"
    assert "et-godt-passord" not in made.stdout + made.stderr
    link = kodeord(tmp_path, "reset-link", "--email", "kari@drift.no", "--base-url", "https://k.no")
    assert link.returncode == 0 and link.stdout.startswith("https://k.no/console/reset/")


# (arguments, password on stdin, what the error says)
REFUSED = [
    (["--email", "kari@drift.no", "--role", "provider"], "", "--password-stdin"),
    (["--email", "kari", "--role", "provider", "--password-stdin"], "et-godt-passord", "email"),
    (["--email", "k@drift.no", "--role", "provider", "--password-stdin"], "kort", "10 characters"),
    (["--email", "k@drift.no", "--role", "owner", "--password-stdin"], "et-godt-passord", "custom"),
    (
        ["--email", "k@drift.no", "--role", "owner", "--customer", "7", "--password-stdin"],
        "et-godt-passord",
        "no customer 7",
    ),
]


@pytest.mark.parametrize(("args", "password", "says"), REFUSED)
def test_bad_input_is_a_message_and_exit_code_2(
    tmp_path: Path, args: list[str], password: str, says: str
) -> None:
    result = kodeord(tmp_path, "create", *args, stdin=password + "\n")
    assert result.returncode == 2
    assert says in result.stderr and "Traceback" not in result.stderr


def test_a_second_account_for_one_address_is_refused(tmp_path: Path) -> None:
    args = ["create", "--email", "kari@drift.no", "--role", "provider", "--password-stdin"]
    assert kodeord(tmp_path, *args, stdin="et-godt-passord\n").returncode == 0
    again = kodeord(tmp_path, *args[:2], "KARI@drift.no", *args[3:], stdin="et-annet-passord\n")
    assert again.returncode == 2 and "email_taken" in again.stderr
    unknown = kodeord(tmp_path, "reset-link", "--email", "ola@drift.no")
    assert unknown.returncode == 2 and "user_not_found" in unknown.stderr
