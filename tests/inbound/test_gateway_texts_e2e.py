"""The gateway's own texts end to end: phones on the operator simulator text a number
over real SMPP, the gateway answers with the number's texts in the language the rule
picks (docs/texts.md), set through the HTTP API just before (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from kodeord.adapters.simulator.operator import OperatorSimulator, SimulatorSettings
from kodeord.domain.texts import DEFAULTS, Language, TextKey
from tests.conftest import ADMIN_TOKEN
from tests.support import ApiServer


class Gateway:
    """The gateway bound to a simulator, with the short number 2077."""

    def __init__(self, api: ApiServer, simulator: OperatorSimulator) -> None:
        self.api = api
        self.simulator = simulator
        self.admin = api.admin()

    def send(self, phone: str, text: str, to: str = "2077") -> None:
        async def inject() -> None:
            self.simulator.send_mo(phone, to, text)

        self.api.call(inject())

    def answers(self, phone: str, count: int) -> list[str]:
        """The texts `phone` got, once it got `count` of them."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            got = self.simulator.phones.messages(phone)
            if len(got) >= count:
                return [m.text for m in got]
            time.sleep(0.05)
        raise AssertionError(f"{phone} got {self.simulator.phones.messages(phone)}")

    def put(self, path: str, body: dict[str, object]) -> None:
        answer = self.admin.put(path, json=body)
        assert answer.status_code == 200, answer.text


@pytest.fixture
def gateway(database_url: str) -> Iterator[Gateway]:
    with ApiServer(database_url, ADMIN_TOKEN) as api:
        simulator = OperatorSimulator(SimulatorSettings(receipt_delay=0.01), "127.0.0.1", 0)
        api.call(simulator.start())
        gateway = Gateway(api, simulator)
        link = {
            "name": "sim",
            "host": "127.0.0.1",
            "port": simulator.port,
            "system_id": "kodeord",
            "password": "kodeord",
            "bind": "transceiver",
        }
        assert gateway.admin.post("/v1/operator-links", json=link).status_code == 201
        _wait_bound(gateway.admin)
        made = gateway.admin.post("/v1/numbers", json={"number": "2077", "mode": "shared"})
        assert made.status_code == 201, made.text
        yield gateway
        api.call(simulator.stop())


def _wait_bound(admin: httpx.Client) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        links = admin.get("/v1/operator-links").json()
        if links and links[0]["state"] == "bound":
            return
        time.sleep(0.05)
    raise AssertionError(f"the operator link did not bind: {links}")


def _default(key: TextKey, language: Language, **values: str) -> str:
    return DEFAULTS[(key, language)].format_map(values)


def test_stopp_gets_the_numbers_own_text_and_stop_gets_english(gateway: Gateway) -> None:
    base = "/v1/numbers/2077/texts/stop_confirmed"
    gateway.put(f"{base}/nb", {"text": "Du er meldt av {number}. Ha det bra!"})
    gateway.send("4790000001", "STOPP")
    gateway.send("4790000002", "stop")
    gateway.send("4790000003", "Stopp takk")
    assert gateway.answers("4790000001", 1) == ["Du er meldt av 2077. Ha det bra!"]
    english = _default(TextKey.STOP_CONFIRMED, Language.EN, number="2077")
    assert gateway.answers("4790000002", 1) == [english]
    assert gateway.answers("4790000003", 1) == ["Du er meldt av 2077. Ha det bra!"]
    # the override dropped: the next STOPP gets the default at once (no cache wait)
    assert gateway.admin.delete(f"{base}/nb").status_code == 200
    gateway.send("4790000004", "STOPP")
    bokmal = _default(TextKey.STOP_CONFIRMED, Language.NB, number="2077")
    assert gateway.answers("4790000004", 1) == [bokmal]


def test_an_english_number_answers_in_english_except_to_bokmal_words(gateway: Gateway) -> None:
    customer = gateway.admin.post("/v1/customers", json={"name": "Pizzeria Napoli AS"}).json()
    key = gateway.admin.post(f"/v1/customers/{customer['id']}/api-keys").json()["key"]
    client = gateway.api.client(key)
    assert client.post("/v1/keywords", json={"number": "2077", "keyword": "PIZZA"}).is_success
    gateway.put("/v1/numbers/2077/settings", {"reply_unknown": True, "reply_language": "en"})
    gateway.put("/v1/numbers/2077/texts/help_default/en", {"text": "Keywords: {keywords}"})
    gateway.send("4790000011", "PIZA please")
    gateway.send("4790000012", "help")
    gateway.send("4790000013", "HJELP")
    mean = _default(TextKey.DID_YOU_MEAN, Language.EN, suggestion="PIZZA")
    assert gateway.answers("4790000011", 1) == [mean]
    assert gateway.answers("4790000012", 1) == ["Keywords: PIZZA"]
    hjelp = _default(TextKey.HELP_DEFAULT, Language.NB, number="2077")
    assert gateway.answers("4790000013", 1) == [hjelp]
