"""Secrets at rest: the box's rules as tables, and the stored rows of a real gateway
(SQLite file and PostgreSQL) — sealed in the database, opened where they are used."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, insert, select
from sqlalchemy.engine import Engine

from kodeord.adapters.db.engine import Database, database_urls
from kodeord.adapters.db.schema import customers, operator_links, signing_secrets
from kodeord.adapters.secretbox import (
    SecretBox,
    SecretKeyError,
    is_sealed,
    load_box,
    parse_keys,
)
from kodeord.adapters.simulator.operator import OperatorSimulator, SimulatorSettings
from kodeord.app import stored_secrets
from kodeord.app.ports import Storage
from kodeord.app.stored_secrets import SecretsTx
from kodeord.wiring import Gateway, make_context
from tests.conftest import ADMIN_TOKEN
from tests.queue.support import NOW, run_with_database
from tests.support import ApiServer

KEY_A = Fernet.generate_key()
KEY_B = Fernet.generate_key()
BOXES = {"A": SecretBox([KEY_A]), "B": SecretBox([KEY_B]), "B,A": SecretBox([KEY_B, KEY_A])}
LINK_PASSWORD = "pw83kx1q"  # 8 characters, SMPP 3.4's most
SECRET = "whsec_" + "Q" * 43 + "="


# --- the box -------------------------------------------------------------------------

OPEN_CASES = [
    # (sealed with, opened with, what comes out: the secret or the error's type)
    ("A", "A", SECRET),
    ("A", "B,A", SECRET),  # every listed key opens
    ("B", "B,A", SECRET),
    ("A", "B", SecretKeyError),  # a key that is not listed
    (None, "A", SECRET),  # plain text from before encryption opens as itself
]


@pytest.mark.parametrize(("sealed_with", "opened_with", "expected"), OPEN_CASES)
def test_opening(sealed_with: str | None, opened_with: str, expected: object) -> None:
    stored = SECRET if sealed_with is None else BOXES[sealed_with].seal(SECRET)
    if expected is SecretKeyError:
        with pytest.raises(SecretKeyError) as raised:
            BOXES[opened_with].open(stored)
        assert "KODEORD_SECRET_KEY" in str(raised.value)
        assert KEY_A.decode() not in str(raised.value) and KEY_B.decode() not in str(raised.value)
    else:
        assert BOXES[opened_with].open(stored) == expected


def test_sealing_hides_the_secret_and_differs_each_time() -> None:
    first, second = BOXES["A"].seal(SECRET), BOXES["A"].seal(SECRET)
    assert first != second and SECRET not in first and "Q" * 8 not in first
    assert is_sealed(first) and len(first) <= 300  # the columns' width (migration 0006)
    assert len(BOXES["A"].seal("w" * 94)) <= 300  # the longest secret: 64 key bytes


@pytest.mark.parametrize(
    ("stored", "sealed"),
    [
        (SECRET, False),
        (LINK_PASSWORD, False),
        ("gAAAAAxx", False),  # a password that starts like a token is still a password
        ("", False),
        ("whsec_" + "-" * 60, False),
        (Fernet(KEY_A).encrypt(b"x").decode(), True),
    ],
)
def test_what_counts_as_sealed(stored: str, sealed: bool) -> None:
    assert is_sealed(stored) is sealed


def test_rotation_reseals_with_the_first_key() -> None:
    old = BOXES["A"].seal(SECRET)
    rotated = BOXES["B,A"].reseal(old)
    assert BOXES["B"].open(rotated) == SECRET
    with pytest.raises(SecretKeyError):
        BOXES["A"].open(rotated)
    assert BOXES["B"].open(BOXES["B"].reseal(LINK_PASSWORD)) == LINK_PASSWORD  # plain text


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("", "KODEORD_SECRET_KEY holds no key"),
        (" , ", "KODEORD_SECRET_KEY holds no key"),
        ("not-a-key", "key 1 in KODEORD_SECRET_KEY is not a Fernet key"),
        (f"{KEY_A.decode()},short", "key 2 in KODEORD_SECRET_KEY is not a Fernet key"),
        (KEY_A.decode()[:-2], "key 1 in KODEORD_SECRET_KEY is not a Fernet key"),
    ],
)
def test_a_malformed_key_is_a_clear_error(setting: str, message: str) -> None:
    with pytest.raises(SecretKeyError, match=message):
        parse_keys(setting, "KODEORD_SECRET_KEY")


def test_several_keys_by_comma_or_line() -> None:
    assert parse_keys(f" {KEY_B.decode()} ,{KEY_A.decode()}", "x") == [KEY_B, KEY_A]
    assert parse_keys(f"{KEY_B.decode()}\n{KEY_A.decode()}\n", "x") == [KEY_B, KEY_A]


def test_the_key_file_is_made_owner_only_once_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret.key"
    box, created = load_box(None, path)
    assert created and path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    sealed = box.seal(SECRET)
    path.chmod(0o644)
    again, created = load_box(None, path)
    assert not created and again.open(sealed) == SECRET
    assert path.stat().st_mode & 0o777 == 0o600  # tightened
    _, created = load_box(KEY_A.decode(), tmp_path / "elsewhere.key")
    assert not created and not (tmp_path / "elsewhere.key").exists()
    with pytest.raises(SecretKeyError, match="no key"):
        load_box(None, tmp_path / "missing.key", create=False)


def test_the_box_shows_no_key() -> None:
    assert KEY_A.decode() not in repr(BOXES["B,A"]) and KEY_B.decode() not in repr(BOXES["B,A"])


# --- the stored rows -----------------------------------------------------------------


@pytest.fixture
def raw(database_url: str) -> Iterator[Engine]:
    """The database read and written by hand, past the gateway."""
    engine = create_engine(database_urls(database_url).migrations)
    yield engine
    engine.dispose()


def _stored(raw: Engine) -> dict[str, list[str]]:
    with raw.connect() as conn:
        return {
            "password": list(conn.execute(select(operator_links.c.password)).scalars()),
            "secret": list(conn.execute(select(signing_secrets.c.secret)).scalars()),
        }


def _wait_bound(api: ApiServer, name: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        states = {
            link["name"]: link["state"] for link in api.admin().get("/v1/operator-links").json()
        }
        if states.get(name) == "bound":
            return
        time.sleep(0.05)
    raise AssertionError(f"link {name} did not bind: {states}")


def test_link_passwords_and_signing_secrets_are_stored_sealed(
    database_url: str, raw: Engine
) -> None:
    settings = SimulatorSettings(system_id="gateway", password=LINK_PASSWORD)
    with ApiServer(database_url, ADMIN_TOKEN) as api:
        simulator = OperatorSimulator(settings, "127.0.0.1", 0)
        api.call(simulator.start())
        port = simulator.port
        link = {"name": "op", "host": "127.0.0.1", "port": port}
        link |= {"system_id": "gateway", "password": LINK_PASSWORD}
        assert api.admin().post("/v1/operator-links", json=link).status_code == 201
        _wait_bound(api, "op")
        customer = api.admin().post("/v1/customers", json={"name": "Pizza AS"}).json()
        key = api.admin().post(f"/v1/customers/{customer['id']}/api-keys").json()["key"]
        secret = api.client(key).post("/v1/signing-secret").json()["secret"]
        assert api.call(api.gateway.registry.signing_secret(customer["id"])) == secret
        stored = _stored(raw)
        assert all(is_sealed(value) for values in stored.values() for value in values)
        assert LINK_PASSWORD not in str(stored) and secret.removeprefix("whsec_") not in str(stored)
        api.call(simulator.stop())
    if database_url.startswith("sqlite"):  # the file's bytes, too
        database = Path(database_url.removeprefix("sqlite:///"))
        for path in (database, database.with_name(database.name + "-wal")):
            content = path.read_bytes() if path.exists() else b""
            assert LINK_PASSWORD.encode() not in content
            assert secret.removeprefix("whsec_").encode() not in content
    # a restart opens the stored password: the link binds again
    with ApiServer(database_url, ADMIN_TOKEN) as api:
        simulator = OperatorSimulator(settings, "127.0.0.1", port)
        api.call(simulator.start())
        _wait_bound(api, "op")
        api.call(simulator.stop())


def _plain_rows(raw: Engine) -> int:
    with raw.begin() as conn:
        customer_id = conn.execute(
            insert(customers).values(name="Before AS", created_at=NOW).returning(customers.c.id)
        ).scalar_one()
        conn.execute(
            insert(signing_secrets).values(customer_id=customer_id, secret=SECRET, created_at=NOW)
        )
        link = {"name": "old", "host": "127.0.0.1", "port": 9, "system_id": "gw"}
        link |= {"password": LINK_PASSWORD, "bind_type": "transceiver", "window": 10}
        conn.execute(insert(operator_links).values(**link, enabled=False, created_at=NOW))
    return int(customer_id)


def test_plain_text_rows_from_before_are_sealed_at_start(database_url: str, raw: Engine) -> None:
    customer_id = _plain_rows(raw)
    box = BOXES["A"]

    async def scenario(db: Database) -> None:
        gateway = Gateway.build(db, secret_box=box)
        await gateway.start()
        try:
            stored = _stored(raw)
            assert [box.open(v) for v in stored["password"]] == [LINK_PASSWORD]
            assert [box.open(v) for v in stored["secret"]] == [SECRET]
            assert all(is_sealed(v) for values in stored.values() for v in values)
            assert await gateway.registry.signing_secret(customer_id) == SECRET
            # a second start leaves sealed rows as they are
            resealed = await stored_secrets.seal_at_start(_storage(db), box)
            assert resealed == stored_secrets.Resealed(2, 0)
            assert _stored(raw) == stored
        finally:
            await gateway.stop()

    run_with_database(database_url, scenario)


def _storage(db: Database) -> Storage[SecretsTx]:
    return make_context(db).storage


async def _seal_with_a(db: Database) -> None:
    await stored_secrets.seal_at_start(_storage(db), BOXES["A"])


def test_a_key_that_opens_nothing_stops_the_start(database_url: str, raw: Engine) -> None:
    _plain_rows(raw)
    run_with_database(database_url, _seal_with_a)
    before = _stored(raw)

    async def scenario(db: Database) -> None:
        gateway = Gateway.build(db, secret_box=BOXES["B"])
        with pytest.raises(SecretKeyError, match="KODEORD_SECRET_KEY"):
            await gateway.start()

    run_with_database(database_url, scenario)
    assert _stored(raw) == before


def test_rotation_rewrites_every_secret_for_the_first_key(database_url: str, raw: Engine) -> None:
    _plain_rows(raw)
    run_with_database(database_url, _seal_with_a)

    async def rotate(db: Database) -> None:
        done = await stored_secrets.rotate(_storage(db), BOXES["B,A"])
        assert done == stored_secrets.Resealed(checked=2, rewritten=2)
        with pytest.raises(SecretKeyError):  # the old key alone opens none of them now
            await stored_secrets.rotate(_storage(db), BOXES["A"])

    run_with_database(database_url, rotate)
    stored = _stored(raw)
    assert [BOXES["B"].open(v) for v in stored["password"]] == [LINK_PASSWORD]
    assert [BOXES["B"].open(v) for v in stored["secret"]] == [SECRET]
