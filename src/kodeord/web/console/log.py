"""The message log: a customer's messages (the provider: everyone's) newest first, and
each message with its status timeline, through the same reads as `GET /v1/messages`.

Rules: paging by "older than this id" (stable while new messages arrive); a message of
another customer is not found; retention-erased messages say so instead of a text.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response

from kodeord.app.errors import NotFound
from kodeord.app.mt import messages
from kodeord.domain.users import Action
from kodeord.web.console.render import render
from kodeord.web.console.visit import ConsoleRefusal, UserPage, stored_id

router = APIRouter(prefix="/console")

PAGE = 50


@router.get("/log")
async def log(
    found: UserPage,
    direction: Literal["inbound", "outbound", ""] = "",
    before: int | None = None,
) -> Response:
    found.require(Action.READ_ACCOUNT)
    rows = await messages.list_messages(
        found.gateway.ctx,
        found.principal,
        direction=direction or None,
        keyword=None,
        number=None,
        since=None,
        until=None,
        limit=PAGE,
        before_id=None if before is None else stored_id(before),
    )
    return render(
        found,
        "log/log.html",
        rows=rows,
        direction=direction,
        older=rows[-1]["id"] if len(rows) == PAGE else None,
    )


@router.get("/log/{message_id}")
async def message(found: UserPage, message_id: int) -> Response:
    found.require(Action.READ_ACCOUNT)
    try:
        wanted = stored_id(message_id)
        if wanted is None:
            raise NotFound("message_not_found", "no such message")
        shown = await messages.get_message(found.gateway.ctx, found.principal, wanted)
    except NotFound as missing:
        raise ConsoleRefusal(404, found.t("There is no such message.")) from missing
    return render(found, "log/message.html", message=shown)
