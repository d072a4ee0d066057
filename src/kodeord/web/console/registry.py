"""The provider's registry pages: dead letters (jobs that ran out of retries) and their
replay.

Only provider users see these pages; to a customer user they do not exist (404, as the
API's admin routes are not there for a customer's key). Each page calls the same app
service as its /v1 admin route (web/api/admin.py).
"""

from __future__ import annotations

import json

from fastapi import APIRouter
from fastapi.responses import Response

from kodeord.app.errors import NotFound
from kodeord.app.mt import messages
from kodeord.domain.users import Action
from kodeord.web.console.render import render
from kodeord.web.console.visit import ConsoleRefusal, Page, UserForm, UserPage

router = APIRouter(prefix="/console")

DEAD_PAGE = 200


def _operator(found: Page) -> None:
    if not found.is_provider:
        raise ConsoleRefusal(404, found.t("This page is not here."))
    found.require(Action.OPERATE)


async def _dead_letters(found: Page, status: int = 200, notice: str | None = None) -> Response:
    jobs = await messages.dead_letters(found.gateway.queue, DEAD_PAGE, 0)
    for job in jobs:
        job["payload_text"] = json.dumps(job["payload"], ensure_ascii=False, indent=2)
    return render(found, "registry/dead_letters.html", status, jobs=jobs, notice=notice)


@router.get("/dead-letters")
async def dead_letters(found: UserPage) -> Response:
    _operator(found)
    return await _dead_letters(found)


@router.post("/dead-letters/replay")
async def replay_all(found: UserPage, form: UserForm) -> Response:
    _operator(found)
    replayed = (await messages.replay(found.gateway.queue, None))["replayed"]
    return await _dead_letters(
        found, notice=found.t("{count} jobs are queued again.", count=replayed)
    )


@router.post("/dead-letters/{job_id}/replay")
async def replay_one(found: UserPage, form: UserForm, job_id: int) -> Response:
    _operator(found)
    try:
        await messages.replay(found.gateway.queue, job_id)
    except NotFound:
        raise ConsoleRefusal(404, found.t("That job is no dead letter (any more).")) from None
    return await _dead_letters(found, notice=found.t("Job {id} is queued again.", id=job_id))
