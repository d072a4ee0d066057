"""A log captured while requests fail holds no secret.

`kodeord serve` runs as a real process with JSON logs; the test makes the requests an
attacker or a careless client makes (bogus keys, wrong tokens, bad bodies, a wrong
SMPP password), the ones that hand out secrets (API key, signing secrets, SMPP account,
operator link password), and one real unhandled error: a write that finds the SQLite
database locked by another process past the busy timeout. Then no secret may appear in
the output, every line is JSON, and tracebacks are plain, without local variables.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx

from kodeord.adapters.smpp_io import EsmeClient
from tests.logs.gateway import ADMIN_TOKEN, GatewayProcess, gateway
from tests.support import free_port

BOGUS_SECRET = "BogusSecretPart" * 2
BOGUS_KEYS = [
    f"ko_9999999999999999999_{BOGUS_SECRET}",  # id beyond BIGINT
    f"ko_1_{BOGUS_SECRET}",  # a real id with a wrong secret
    f"kadm_{BOGUS_SECRET}",  # an admin-looking guess
    ADMIN_TOKEN[:-1] + "X",  # one character off the admin token
]
LINK_PASSWORD = "lnkpw123"  # at most 8 characters (SMPP 3.4 password field)
WRONG_SMPP_PASSWORD = "wrongpw1"
# a new connection per request: no race with uvicorn closing an idle keep-alive one
FRESH_CONNECTIONS = httpx.Limits(max_keepalive_connections=0)


def _failing_requests(base_url: str, admin: httpx.Client, key: str) -> list[int]:
    statuses = []
    for token in BOGUS_KEYS:
        bogus = httpx.get(f"{base_url}/v1/numbers", headers={"Authorization": f"Bearer {token}"})
        statuses.append(bogus.status_code)
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url, headers=headers, limits=FRESH_CONNECTIONS) as customer:
        json_type = {"Content-Type": "application/json"}
        malformed = customer.post("/v1/keywords", content=b"{not json", headers=json_type)
        statuses.append(malformed.status_code)
        wrong_types = {"number": 7, "keyword": []}
        statuses.append(customer.post("/v1/keywords", json=wrong_types).status_code)
        statuses.append(customer.get("/v1/customers").status_code)  # admin only
        statuses.append(customer.get("/v1/keywords/99999").status_code)
    statuses.append(admin.post("/v1/customers", json={"name": ""}).status_code)
    return statuses


def _hand_out_secrets(admin: httpx.Client, base_url: str) -> dict[str, str]:
    made = admin.post("/v1/customers", json={"name": "Ola"}).json()
    key = admin.post(f"/v1/customers/{made['id']}/api-keys").json()["key"]
    signing = []
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}) as customer:
        for _ in range(2):  # made, then rotated
            signing.append(customer.post("/v1/signing-secret").json()["secret"])
    account = admin.post(f"/v1/customers/{made['id']}/smpp-accounts").json()
    link = {
        "name": "nowhere",
        "host": "127.0.0.1",
        "port": free_port(),  # nobody listens: the link fails to connect, and says so
        "system_id": "kodeord",
        "password": LINK_PASSWORD,
    }
    assert admin.post("/v1/operator-links", json=link).status_code == 201
    return {
        "key": key,
        # ko_<id>_<secret>: the secret is urlsafe base64 and may itself contain "_"
        "key secret": key.split("_", 2)[2],
        "signing secret": signing[0],
        "rotated signing secret": signing[1],
        "smpp system_id": account["system_id"],
        "smpp password": account["password"],
    }


async def _bind_with_wrong_password(port: int, system_id: str) -> None:
    client = EsmeClient("127.0.0.1", port, system_id, WRONG_SMPP_PASSWORD)
    async with client:
        with contextlib.suppress(TimeoutError):
            await client.wait_bound(1.5)
        assert not client.is_bound


def _unhandled_error(running: GatewayProcess, admin: httpx.Client, db: Path) -> httpx.Response:
    """A write while another process holds SQLite's write lock past the busy timeout."""
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        return admin.post("/v1/customers", json={"name": "locked out"}, timeout=60)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _entries(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_no_secret_reaches_the_log(tmp_path: Path) -> None:
    with (
        gateway(tmp_path, smpp=True) as running,
        httpx.Client(
            base_url=running.base_url,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            limits=FRESH_CONNECTIONS,
        ) as admin,
    ):
        secrets = _hand_out_secrets(admin, running.base_url)
        statuses = _failing_requests(running.base_url, admin, secrets["key"])
        assert running.smpp_port is not None
        asyncio.run(_bind_with_wrong_password(running.smpp_port, secrets["smpp system_id"]))
        crashed = _unhandled_error(running, admin, tmp_path / "var" / "kodeord.db")
        assert admin.get("/healthz").status_code == 200
    assert statuses == [401, 401, 401, 401, 400, 422, 403, 404, 422], statuses
    assert crashed.status_code == 500 and crashed.json()["error"]["code"] == "internal_error"
    output = running.output()
    entries = _entries(output)  # every line is JSON
    secrets.pop("smpp system_id")
    shown = {
        "admin token": ADMIN_TOKEN,
        "link password": LINK_PASSWORD,
        "wrong SMPP password": WRONG_SMPP_PASSWORD,
        "bogus key secret": BOGUS_SECRET,
        **secrets,
    }
    leaked = [name for name, value in shown.items() if value in output]
    assert not leaked, leaked
    unhandled = [e for e in entries if e["event"] == "unhandled error"]
    assert len(unhandled) == 1, unhandled
    assert not [e for e in entries if "Exception in ASGI" in e["event"]]
    for entry in entries:
        if "exception" in entry:
            assert entry["exception"].startswith("Traceback (most recent call last):")
            assert "│" not in entry["exception"] and "locals" not in entry["exception"]
