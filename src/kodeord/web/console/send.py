"""The send page: one text from one of the customer's numbers to one phone or many
(typed, pasted or from a CSV file), with a live preview of encoding, segments and price,
now or at a time in Europe/Oslo.

Rules:
- Recipients are split on new lines, commas and semicolons; blanks are skipped and a
  number given twice is sent once. A CSV file adds the column headed phone / telefon /
  mobil / nummer / number, else its first column. At most `MAX_BATCH` recipients.
- Every recipient that is not a phone number is listed next to the field, by its line,
  and nothing is sent; the form keeps everything typed (a file cannot be kept by a
  browser: the page says so).
- Sending is `POST /v1/messages/batch`'s: the same checks, codes, price and sending
  limit (the customer's bucket); a refusal is shown next to the field it concerns.
- The preview uses the same planning as sending (domain/outbound.plan_text) and the
  number's own price per segment.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile

from kodeord.app.errors import AppError
from kodeord.app.keywords import numbers
from kodeord.app.mt.outbound import MtRequest
from kodeord.app.mt.ports import Origin
from kodeord.domain.outbound import MAX_BATCH, Problem, plan_text
from kodeord.domain.phones import to_e164
from kodeord.domain.users import Action
from kodeord.web.api.messages import accept_counted
from kodeord.web.console.i18n import OSLO
from kodeord.web.console.render import finish, render
from kodeord.web.console.visit import ConsoleRefusal, Form, Page, UserForm, UserPage

router = APIRouter(prefix="/console")

MAX_CSV_BYTES = 200_000
_SPLIT = re.compile(r"[\n,;]+")
_PHONE_HEADERS = {"phone", "telefon", "mobil", "mobile", "nummer", "number", "msisdn", "tlf"}

SEND_ERRORS = {
    "empty_text": ("text", "Type a message."),
    "invalid_text": ("text", "The message has a character that cannot be sent."),
    "text_too_long": ("text", "The message is too long (at most 10 SMS)."),
    "send_at_in_past": ("send_at", "That time has passed."),
    "send_at_too_far": ("send_at", "At most 30 days ahead."),
    "unknown_sender": ("from", "Choose one of your numbers."),
    "sender_not_allowed": ("from", "You need an active keyword on this number to send from it."),
    "recipient_opted_out": ("to", "{phone} has sent STOPP to this number."),
    "rate_limited": ("to", "You are sending too fast; try again in a moment."),
    "batch_too_large": ("to", "At most 1,000 recipients at a time."),
}


def _customer(found: Page) -> int:
    found.require(Action.ANSWER)
    if found.customer_id is None:
        raise ConsoleRefusal(404, found.t("Sending belongs to a customer."))
    return found.customer_id


def recipients(typed: str, csv_text: str | None) -> tuple[list[str], list[tuple[int, str]]]:
    """(the phones in E.164, once each; the (line, text) of what is not a phone)."""
    entries = [
        (n, item) for n, line in enumerate(typed.splitlines(), 1) for item in _SPLIT.split(line)
    ]
    if csv_text:
        entries += [(0, cell) for cell in csv_column(csv_text)]
    phones: dict[str, None] = {}
    bad: list[tuple[int, str]] = []
    for line, item in entries:
        item = item.strip()
        if not item:
            continue
        phone = to_e164(item)
        if phone is None:
            bad.append((line, item))
        else:
            phones.setdefault(phone)
    return list(phones), bad


def csv_column(text: str) -> list[str]:
    rows = [row for row in csv.reader(io.StringIO(text), dialect=_dialect(text)) if row]
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    column = next((i for i, name in enumerate(header) if name in _PHONE_HEADERS), None)
    body = rows[1:] if column is not None else rows
    index = column or 0
    return [row[index] for row in body if len(row) > index]


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text[:2000], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def oslo_time(typed: str) -> datetime | str | None:
    """A `datetime-local` value as an instant in Oslo; "" → None; bad → the error text."""
    if not typed:
        return None
    try:
        local = datetime.fromisoformat(typed)
    except ValueError:
        return "Give a date and time."
    return local.replace(tzinfo=OSLO) if local.tzinfo is None else local


async def _numbers(found: Page) -> list[dict[str, Any]]:
    return await numbers.list_numbers(found.gateway.ctx, found.principal)


async def _page(
    found: Page,
    typed: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
    sent: dict[str, Any] | None = None,
) -> Response:
    return render(
        found,
        "send/send.html",
        status,
        numbers=await _numbers(found),
        typed=typed,
        errors=errors or {},
        sent=sent,
        max_batch=MAX_BATCH,
    )


@router.get("/send")
async def send_page(found: UserPage, to: str = "") -> Response:
    _customer(found)
    return await _page(found, {"from": "", "to": to, "text": "", "send_at": ""})


async def _csv(form: Form) -> str | dict[str, str] | None:
    upload = form.data.get("csv")
    if not isinstance(upload, UploadFile):
        return None
    try:
        content = await upload.read(MAX_CSV_BYTES + 1) if upload.filename else b""
    finally:
        await upload.close()
    if not content:
        return None
    if len(content) > MAX_CSV_BYTES:
        return {"csv": "The file is too large (at most 200 kB)."}
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return {"csv": "The file is not UTF-8 text (save it as CSV UTF-8)."}


@router.post("/send")
async def send(found: UserPage, form: UserForm) -> Response:
    _customer(found)
    typed = {
        "from": form.get("from"),
        "to": form.raw("to"),
        "text": form.raw("text"),
        "send_at": form.get("send_at"),
    }
    errors: dict[str, str] = {}
    csv_text = await _csv(form)
    if isinstance(csv_text, dict):
        errors.update({k: found.t(v) for k, v in csv_text.items()})
        csv_text = None
    phones, bad = recipients(typed["to"], csv_text)
    if bad:
        listed = ", ".join(
            found.t("line {line}: {entry}", line=line, entry=entry) if line else entry
            for line, entry in bad[:10]
        )
        errors["to"] = found.t("Not phone numbers: {listed}", listed=listed)
    elif not phones:
        errors["to"] = found.t("Type at least one phone number.")
    send_at = oslo_time(typed["send_at"])
    if isinstance(send_at, str):
        errors["send_at"] = found.t(send_at)
    if errors:
        return await _page(found, typed, errors, 422)
    assert not isinstance(send_at, str)
    requests = [
        MtRequest(sender=typed["from"], to=phone, text=typed["text"], send_at=send_at)
        for phone in phones
    ]
    try:
        accepted = await accept_counted(found.gateway, found.principal, requests, Origin.CONSOLE)
    except AppError as refused:
        field, text = SEND_ERRORS.get(refused.code, ("to", "The messages could not be sent."))
        index = refused.details.get("index")
        phone = phones[index] if isinstance(index, int) and index < len(phones) else ""
        return await _page(found, typed, {field: found.t(text, phone=phone)}, 422)
    sent = {
        "count": len(accepted),
        "price_ore": sum(a.price_ore for a in accepted),
        "send_at": send_at,
        "first_id": accepted[0].id,
    }
    return await _page(found, {**typed, "to": "", "text": ""}, status=201, sent=sent)


@router.get("/send/preview")
async def preview(found: UserPage, number: str = "", text: str = "", count: int = 1) -> Response:
    """What the operator will get and what it costs, as the page's live preview."""
    _customer(found)
    price = next(
        (n["segment_price_ore"] for n in await _numbers(found) if n["number"] == number), 0
    )
    plan = plan_text(text[:5000], price)
    count = min(max(count, 1), MAX_BATCH)
    shown: dict[str, object]
    if isinstance(plan, Problem):
        shown = {"problem": found.t(SEND_ERRORS.get(plan.code, ("text", plan.message))[1])}
    else:
        shown = {
            "summary": found.t(
                "{encoding} · {segments} SMS · {price} each · {total} for {count}",
                encoding="GSM 7-bit" if plan.encoding == "GSM7" else "Unicode (UCS-2)",
                segments=plan.segments,
                price=found.texts.money(plan.price_ore),
                total=found.texts.money(plan.price_ore * count),
                count=count,
            ),
            "characters": len(text),
        }
    return finish(found, JSONResponse(shown))
