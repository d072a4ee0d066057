"""Kill -9 while sending: every MT the API accepted reaches the operator.

2,000 MT are accepted through the HTTP API (two batches of 1,000, one phone each) by a
gateway process linked to the operator simulator (its own process). Once a quarter has
been submitted, the gateway gets SIGKILL and is started again on the same database.
Every message must reach its phone; duplicates (parts in flight at the kill, which SMPP
gives no way to recognise) are counted and printed. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from tests.inbound import test_crash as inbound
from tests.inbound.test_crash import TOKEN, start, wait_until
from tests.support import free_port, wait_for_health

COUNT = 2000
gateway_database = inbound.gateway_database  # the same fixture: a fresh database per backend


def setup_sender(api: httpx.Client, smpp_port: int) -> httpx.Client:
    customer = api.post("/v1/customers", json={"name": "Kampanje AS"}).json()
    key = api.post(f"/v1/customers/{customer['id']}/api-keys").json()["key"]
    api.post("/v1/numbers", json={"number": "2077", "mode": "shared"}).raise_for_status()
    client = httpx.Client(
        base_url=str(api.base_url), timeout=60, headers={"Authorization": f"Bearer {key}"}
    )
    client.post("/v1/keywords", json={"number": "2077", "keyword": "TILBUD"}).raise_for_status()
    link = {
        "name": "operator",
        "host": "127.0.0.1",
        "port": smpp_port,
        "system_id": "kodeord",
        "password": "kodeord",
        "window": 50,
    }
    api.post("/v1/operator-links", json=link).raise_for_status()
    return client


def test_sigkill_while_sending_loses_nothing(gateway_database: str, tmp_path: Path) -> None:
    smpp, control, http = free_port(), free_port(), free_port()
    log = tmp_path / "processes.log"
    simulator = start(
        ["simulator", "--smpp", f"127.0.0.1:{smpp}", "--http", f"127.0.0.1:{control}"],
        tmp_path,
        log,
    )
    gateway_args = ["serve", "--no-simulator", "--http", f"127.0.0.1:{http}"]
    gateway_args += ["--database-url", gateway_database]
    gateway = start(gateway_args, tmp_path, log)
    sim = httpx.Client(base_url=f"http://127.0.0.1:{control}", timeout=30)
    api = httpx.Client(
        base_url=f"http://127.0.0.1:{http}",
        timeout=60,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    client = None
    try:
        wait_for_health(f"http://127.0.0.1:{control}/stats", simulator)
        wait_for_health(f"http://127.0.0.1:{http}/healthz", gateway)
        client = setup_sender(api, smpp)
        phones = [f"+4792{n:06d}" for n in range(COUNT)]
        for first in range(0, COUNT, 1000):
            body = {"from": "2077", "to": phones[first : first + 1000], "text": "Ukens tilbud"}
            answer = client.post("/v1/messages/batch", json=body)
            assert answer.status_code == 202, answer.text
        submitted = lambda: int(sim.get("/stats").json().get("submitted", 0))  # noqa: E731
        wait_until(lambda: submitted() >= COUNT // 4, 60, "a quarter submitted")
        gateway.send_signal(signal.SIGKILL)
        gateway.wait(timeout=30)
        killed_at = submitted()
        gateway = start(gateway_args, tmp_path, log)
        wait_for_health(f"http://127.0.0.1:{http}/healthz", gateway)
        wait_until(lambda: submitted() >= COUNT, 180, "every MT submitted")
        missing = []
        received = 0
        for phone in phones:
            found = sim.get(f"/phones/{phone.lstrip('+')}/messages").json()
            received += len(found)
            if not found:
                missing.append(phone)
        assert missing == []
        duplicates = received - COUNT
        assert duplicates == submitted() - COUNT
        print(f"killed after {killed_at} submits; {duplicates} duplicates of {COUNT}")
        assert duplicates <= 100  # at most what was in flight (link window 50, some slack)
    finally:
        for process in (gateway, simulator):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
        sim.close()
        api.close()
        if client is not None:
            client.close()
