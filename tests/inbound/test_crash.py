"""Kill -9 in the middle of a burst: every MO the gateway acknowledged is delivered.

The operator simulator (its own process) sends 2,000 MO to a gateway process, which
delivers them to a real webhook receiver. Midway the gateway gets SIGKILL and is started
again on the same database. Every MO must reach the receiver at least once; duplicates
must carry the same webhook-id (the receiver's idempotency key). On SQLite and
PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL
from tests.support import WebhookReceiver, free_port, wait_for_health

KODEORD = [sys.executable, "-m", "kodeord"]
COUNT = 2000
TOKEN = "crash-admin-token-for-this-test-only-0001"  # 32+ characters (config.py)


@pytest.fixture
def gateway_database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/gateway.db"
        return
    assert POSTGRES_URL
    name = f"kodeord_crash_{uuid.uuid4().hex[:12]}"
    server = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name, drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run(
        [*KODEORD, "db", "upgrade", "--database-url", url],
        check=True,
        capture_output=True,
        timeout=120,
    )
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def start(args: list[str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KODEORD_ADMIN_TOKEN": TOKEN, "KODEORD_WEBHOOK_ALLOW_PRIVATE": "1"}
    with open(log, "ab") as out:
        return subprocess.Popen(
            [*KODEORD, *args], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def setup_gateway(api: httpx.Client, receiver_url: str, smpp_port: int) -> None:
    customer = api.post("/v1/customers", json={"name": "TV-aksjon"}).json()
    key = api.post(f"/v1/customers/{customer['id']}/api-keys").json()["key"]
    api.post("/v1/numbers", json={"number": "2077", "mode": "shared"}).raise_for_status()
    headers = {"Authorization": f"Bearer {key}"}
    lease = api.post(
        "/v1/keywords", json={"number": "2077", "keyword": "STEM"}, headers=headers
    ).json()
    api.put(
        f"/v1/keywords/{lease['id']}/route",
        json={"type": "webhook", "url": receiver_url},
        headers=headers,
    ).raise_for_status()
    api.post("/v1/signing-secret", headers=headers).raise_for_status()
    link = {
        "name": "operator",
        "host": "127.0.0.1",
        "port": smpp_port,
        "system_id": "kodeord",
        "password": "kodeord",
        "window": 100,
    }
    api.post("/v1/operator-links", json=link).raise_for_status()


def wait_until(predicate, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_sigkill_midway_loses_nothing(gateway_database: str, tmp_path: Path) -> None:
    smpp, control, http = free_port(), free_port(), free_port()
    log = tmp_path / "processes.log"
    simulator = start(
        ["simulator", "--smpp", f"127.0.0.1:{smpp}", "--http", f"127.0.0.1:{control}"],
        tmp_path,
        log,
    )
    gateway_args = [
        "serve",
        "--no-simulator",
        "--http",
        f"127.0.0.1:{http}",
        "--database-url",
        gateway_database,
    ]
    gateway = start(gateway_args, tmp_path, log)
    sim = httpx.Client(base_url=f"http://127.0.0.1:{control}", timeout=30)
    api = httpx.Client(
        base_url=f"http://127.0.0.1:{http}",
        timeout=30,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    try:
        with WebhookReceiver() as receiver:
            wait_for_health(f"http://127.0.0.1:{control}/stats", simulator)
            wait_for_health(f"http://127.0.0.1:{http}/healthz", gateway)
            setup_gateway(api, receiver.url, smpp)
            texts = [f"STEM {i} {'æøå' if i % 3 else '€'}" for i in range(COUNT)]
            batch = [
                {"from": f"47{40000000 + i % 500}", "to": "2077", "text": t}
                for i, t in enumerate(texts)
            ]
            sim.post("/mo", json={"messages": batch}).raise_for_status()
            wait_until(lambda: len(receiver.requests) >= COUNT // 4, 60, "a quarter delivered")
            gateway.send_signal(signal.SIGKILL)
            gateway.wait(timeout=30)
            killed_at = len(receiver.requests)
            gateway = start(gateway_args, tmp_path, log)
            wait_until(
                lambda: sim.get("/stats").json().get("mo_delivered", 0) == COUNT,
                120,
                "every MO acknowledged by the gateway",
            )
            wait_until(
                lambda: len({_text(b) for _, b in receiver.requests}) == COUNT,
                120,
                "every MO at the webhook",
            )
            ids_by_text: dict[str, set[str]] = defaultdict(set)
            for headers, body in receiver.requests:
                ids_by_text[_text(body)].add(headers["webhook-id"])
            assert set(ids_by_text) == set(texts)
            assert all(len(ids) == 1 for ids in ids_by_text.values())
            duplicates = len(receiver.requests) - COUNT
            print(f"killed after {killed_at} deliveries; {duplicates} duplicates, same ids")
    finally:
        for process in (gateway, simulator):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
        sim.close()
        api.close()


def _text(body: bytes) -> str:
    return str(json.loads(body)["text"])
