"""The simulator's HTTP control API: make virtual phones send, see what they received.

| call | what |
|---|---|
| `POST /phones/{msisdn}/send {to, text}` | the phone texts short number `to` → 202 MO |
| `GET /phones/{msisdn}/messages` | what the phone received (long messages reassembled) |
| `POST /mo {messages: [{from, to, text}, …]}` | many phones send at once (load tests) → 202 |
| `GET /mo/{id}` | one MO and whether the gateway acknowledged it |
| `GET /stats` | counters: submitted, throttled, receipts, MO queued/delivered |
| `PATCH /config {submit_delay?, receipt_delay?, delivered_share?, …}` | change behaviour |

Errors have the gateway's shape: `{"error": {"code", "message"}}`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Path
from pydantic import BaseModel, ConfigDict, Field

from kodeord.adapters.simulator.operator import OperatorSimulator
from kodeord.app.errors import Invalid, NotFound
from kodeord.domain.numbers import is_short_number
from kodeord.web.errors import install_error_handlers

Msisdn = Annotated[str, Path(pattern=r"^\+?[0-9]{3,20}$", examples=["4741234567"])]


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(min_length=1, max_length=20, examples=["2077"])  # deliver_sm's limit
    text: str = Field(max_length=255 * 153)


class MoIn(SendIn):
    sender: str = Field(alias="from", pattern=r"^\+?[0-9]{3,20}$")


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    messages: list[MoIn] = Field(min_length=1, max_length=10_000)


class ConfigIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    submit_delay: float | None = Field(None, ge=0, le=60)
    receipt_delay: float | None = Field(None, ge=0, le=3600)
    delivered_share: float | None = Field(None, ge=0, le=1)
    throttle_rate: float | None = Field(None, gt=0)
    hex_message_ids: bool | None = None


def _check_recipient(to: str) -> None:
    if not (is_short_number(to) or to.isdigit()):
        raise Invalid("invalid_recipient", "to must be a short number (digits), e.g. 2077")


def create_control_app(simulator: OperatorSimulator) -> FastAPI:
    app = FastAPI(title="Kodeord operator simulator", version="1")
    install_error_handlers(app)

    @app.post("/phones/{msisdn}/send", status_code=202)
    async def send(msisdn: Msisdn, body: SendIn) -> dict[str, Any]:
        _check_recipient(body.to)
        return simulator.send_mo(msisdn, body.to, body.text).view()

    @app.get("/phones/{msisdn}/messages")
    async def messages(msisdn: Msisdn) -> list[dict[str, object]]:
        return [message.view() for message in simulator.phones.messages(msisdn)]

    @app.post("/mo", status_code=202)
    async def send_many(body: BatchIn) -> list[dict[str, Any]]:
        for mo in body.messages:
            _check_recipient(mo.to)
        return [simulator.send_mo(mo.sender, mo.to, mo.text).view() for mo in body.messages]

    @app.get("/mo/{mo_id}")
    async def mo(mo_id: str) -> dict[str, Any]:
        record = simulator.mo.get(mo_id)
        if record is None:
            raise NotFound("mo_not_found", f"no MO {mo_id}")
        return record.view()

    @app.get("/stats")
    async def stats() -> dict[str, int]:
        return {**simulator.stats, "outbox": simulator.queued()}

    @app.patch("/config")
    async def config(body: ConfigIn) -> dict[str, Any]:
        changes = body.model_dump(exclude_unset=True)
        simulator.configure(**changes)
        return {name: getattr(simulator.settings, name) for name in ConfigIn.model_fields}

    return app
