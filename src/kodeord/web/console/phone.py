"""The phone simulator page: a virtual phone in the browser, for demos and training.

When `kodeord serve` runs the built-in operator simulator, a signed-in user picks a phone
number, texts a short number (the SMS enters the gateway over real SMPP, as from a real
operator) and sees replies arrive: the page asks for the phone's messages every 1.5 s.
Without the simulator (a gateway on real operators) the page is "not found".

Rules: the phone number must be a Norwegian mobile number (+47 4… or 9…, 8 digits) or an
international one in E.164; the recipient is a short number of 4–5 digits, optionally
with a dialog suffix (up to 12 digits in all); the text is 1–918 characters (6 segments).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from kodeord.adapters.simulator.operator import OperatorSimulator
from kodeord.adapters.simulator.phones import phone_key
from kodeord.app.keywords import numbers
from kodeord.domain.users import Action
from kodeord.web.console.render import finish, render
from kodeord.web.console.visit import ConsoleRefusal, Page, UserForm, UserPage

router = APIRouter(prefix="/console")

DEFAULT_PHONE = "+4791234567"
MAX_TEXT = 918
_PHONE = re.compile(r"\+?\d{8,15}")
_SHORT = re.compile(r"\d{4,12}")


def simulator_of(found: Page) -> OperatorSimulator:
    simulator: OperatorSimulator | None = getattr(found.request.app.state, "simulator", None)
    if simulator is None:
        raise ConsoleRefusal(404, found.t("The operator simulator is not running."))
    return simulator


def normal_phone(typed: str) -> str:
    digits = typed.replace(" ", "")
    return f"+47{digits}" if re.fullmatch(r"[49]\d{7}", digits) else digits


def problems(phone: str, to: str, text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    if not _PHONE.fullmatch(phone):
        found["phone"] = "Type a mobile number, e.g. +4791234567."
    if not _SHORT.fullmatch(to):
        found["to"] = "Type a short number of 4 or 5 digits."
    if not text.strip():
        found["text"] = "Type a message."
    elif len(text) > MAX_TEXT:
        found["text"] = "The message is too long (at most 918 characters)."
    return found


def thread(simulator: OperatorSimulator, phone: str) -> list[dict[str, Any]]:
    """What the phone sent and received, oldest first."""
    key = phone_key(phone)
    sent = [
        {"way": "out", "other": r.to, "text": r.text, "at": r.sent_at, "status": r.status}
        for r in simulator.mo.values()
        if r.sender == key
    ]
    received = [
        {"way": "in", "other": m.sender, "text": m.text, "at": m.received_at, "status": ""}
        for m in simulator.phones.messages(phone)
    ]
    return sorted(sent + received, key=lambda m: m["at"])


async def _page(
    found: Page, typed: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    simulator = simulator_of(found)
    shorts = [n["number"] for n in await numbers.list_numbers(found.gateway.ctx, found.principal)]
    phone = normal_phone(typed["phone"]) if not errors.get("phone") else DEFAULT_PHONE
    return render(
        found,
        "phone/phone.html",
        status,
        typed=typed,
        errors={k: found.t(v) for k, v in errors.items()},
        shorts=shorts,
        messages=thread(simulator, phone),
    )


@router.get("/phone")
async def phone_page(found: UserPage, phone: str = DEFAULT_PHONE, to: str = "") -> Response:
    found.require(Action.READ_ACCOUNT)
    return await _page(found, {"phone": phone, "to": to, "text": ""}, {})


@router.post("/phone")
async def send(found: UserPage, form: UserForm) -> Response:
    found.require(Action.READ_ACCOUNT)
    simulator = simulator_of(found)
    typed = {"phone": form.get("phone"), "to": form.get("to"), "text": form.raw("text")}
    errors = problems(normal_phone(typed["phone"]), typed["to"], typed["text"])
    if errors:
        return await _page(found, typed, errors, 422)
    simulator.send_mo(normal_phone(typed["phone"]), typed["to"], typed["text"])
    return await _page(found, {**typed, "text": ""}, {}, 201)


@router.get("/phone/messages")
async def messages(request: Request, found: UserPage, phone: str = DEFAULT_PHONE) -> Response:
    """The phone's thread as JSON, for the page's live view."""
    simulator = simulator_of(found)
    shown = [
        {
            **m,
            "at": found.texts.when(m["at"]),
            "status": found.t(m["status"]) if m["status"] else "",
        }
        for m in thread(simulator, normal_phone(phone))
    ]
    return finish(found, JSONResponse(shown))
