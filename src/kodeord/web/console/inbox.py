"""The inbox as conversations: one thread per phone and short number, unread counts,
search, the thread with its reply box, and live updates without a reload.

Rules:
- A customer's page (members too: reading and answering are their work); the provider
  has the operator inbox instead. Every read goes through app/conversations, which takes
  the customer from the signed-in user: another customer's thread is not found.
- Opening a thread marks it read. The reply is an MT in the conversation (a dialog ID
  on numbers that have them), checked, counted against the customer's sending limit and
  refused exactly as `POST /v1/messages` is; a refusal is shown next to the box with the
  text kept.
- Live: the page listens to `/console/inbox/events` (server-sent events). The server
  looks at the customer's newest message id once a second (one indexed read, so it sees
  MO stored by any node) and sends an event when it changed; the page then fetches
  itself and swaps its live part. A stream ends after `STREAM_SECONDS`, and the browser
  reconnects (the session is checked again then).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from kodeord.app.conversations import conversations
from kodeord.app.errors import AppError, NotFound
from kodeord.app.mt.ports import Origin
from kodeord.domain.phones import to_e164
from kodeord.domain.users import Action
from kodeord.web.api.messages import accept_counted
from kodeord.web.console.render import finish, redirect, render
from kodeord.web.console.visit import ConsoleRefusal, Page, UserForm, UserPage

router = APIRouter(prefix="/console")

STREAM_SECONDS = 300
POLL_SECONDS = 1.0
KEEP_ALIVE_SECONDS = 15.0

REPLY_ERRORS = {
    "empty_text": "Type a message.",
    "text_too_long": "The message is too long.",
    "recipient_opted_out": "This phone has sent STOPP: it gets no more messages from you.",
    "sender_not_allowed": "You have no active keyword on this number any more.",
    "rate_limited": "You are sending too fast; try again in a moment.",
}


def _customer_page(found: Page) -> None:
    found.require(Action.READ_ACCOUNT)
    if found.customer_id is None:
        raise ConsoleRefusal(
            404,
            found.t(
                "The inbox belongs to a customer; unmatched messages are in the operator inbox."
            ),
        )


def thread_path(number: str, phone: str) -> str:
    return f"/console/inbox/{number}/{phone.lstrip('+')}"


def _phone(digits: str) -> str:
    phone = to_e164("+" + digits) if digits.isdigit() else None
    if phone is None:
        raise NotFound("thread_not_found", "no such conversation")
    return phone


@router.get("/inbox")
async def inbox(found: UserPage, q: str = "", page: int = 0) -> Response:
    _customer_page(found)
    ctx, principal = found.gateway.ctx, found.principal
    threads = await conversations.threads(ctx, principal, q[:100], page)
    unread = await conversations.unread(ctx, principal)
    return render(
        found,
        "inbox/inbox.html",
        threads=threads,
        unread=unread,
        search=q[:100],
        page_number=max(page, 0),
        more=len(threads) == conversations.PAGE,
        thread_path=thread_path,
    )


async def _thread(
    found: Page,
    number: str,
    digits: str,
    status: int = 200,
    typed: str = "",
    error: str | None = None,
) -> Response:
    _customer_page(found)
    try:
        thread = await conversations.open_thread(
            found.gateway.ctx, found.principal, number, _phone(digits)
        )
    except NotFound as missing:
        raise ConsoleRefusal(404, found.t("There is no such conversation.")) from missing
    return render(
        found,
        "inbox/thread.html",
        status,
        thread=thread,
        typed=typed,
        error=error,
        can_answer=found.may(Action.ANSWER),
        reply_path=thread_path(number, thread.phone) + "/reply",
    )


@router.get("/inbox/{number}/{digits}")
async def thread(found: UserPage, number: str, digits: str) -> Response:
    return await _thread(found, number, digits)


@router.post("/inbox/{number}/{digits}/reply")
async def reply(found: UserPage, form: UserForm, number: str, digits: str) -> Response:
    _customer_page(found)
    found.require(Action.ANSWER)
    text = form.raw("text")
    phone = _phone(digits)
    if not text.strip():
        return await _thread(found, number, digits, 422, text, found.t("Type a message."))
    await conversations.open_thread(found.gateway.ctx, found.principal, number, phone)
    request = conversations.reply_request(number, phone, text)
    try:
        await accept_counted(found.gateway, found.principal, [request], Origin.CONSOLE)
    except AppError as refused:
        message = REPLY_ERRORS.get(refused.code, "The message could not be sent.")
        return await _thread(found, number, digits, 422, text, found.t(message))
    return redirect(found, thread_path(number, phone))


@router.get("/inbox/events")
async def events(request: Request, found: UserPage) -> Response:
    _customer_page(found)
    ctx, principal = found.gateway.ctx, found.principal
    loop = asyncio.get_running_loop()

    async def stream() -> AsyncIterator[str]:
        seen = await conversations.newest(ctx, principal)
        yield f"retry: 2000\nevent: ready\ndata: {seen}\n\n"
        started = last_sent = loop.time()
        while loop.time() - started < STREAM_SECONDS:
            await asyncio.sleep(POLL_SECONDS)
            if await request.is_disconnected():
                return
            newest = await conversations.newest(ctx, principal)
            if newest != seen:
                seen, last_sent = newest, loop.time()
                yield f"event: activity\ndata: {newest}\n\n"
            elif loop.time() - last_sent > KEEP_ALIVE_SECONDS:
                last_sent = loop.time()
                yield ": still here\n\n"

    response = StreamingResponse(stream(), media_type="text/event-stream")
    response.headers["X-Accel-Buffering"] = "no"  # a proxy must not hold the events back
    return finish(found, response)
