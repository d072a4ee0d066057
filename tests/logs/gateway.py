"""`kodeord serve` as a real process with JSON logs in a file, for the logging tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support import free_port, wait_for_health

ADMIN_TOKEN = "kadm_logs-test-admin-token-0123456789abcdef"  # kadm_ like a made one


@dataclass
class GatewayProcess:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    smpp_port: int | None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def gateway(
    cwd: Path, *args: str, env: dict[str, str] | None = None, smpp: bool = False
) -> Iterator[GatewayProcess]:
    """The gateway on free ports, without the built-in simulator; stopped with SIGTERM."""
    port = free_port()
    smpp_port = free_port() if smpp else None
    smpp_args = ["--smpp", f"127.0.0.1:{smpp_port}"] if smpp_port else ["--no-smpp"]
    log_path = cwd / "gateway.log"
    environment = {
        **os.environ,
        "KODEORD_ADMIN_TOKEN": ADMIN_TOKEN,
        "KODEORD_LOG_FORMAT": "json",
        **(env or {}),
    }
    command = [sys.executable, "-m", "kodeord", "serve", "--no-simulator"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*command, "--http", f"127.0.0.1:{port}", *smpp_args, *args],
            cwd=cwd,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    running = GatewayProcess(process, f"http://127.0.0.1:{port}", log_path, smpp_port)
    try:
        wait_for_health(f"{running.base_url}/healthz", process)
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
