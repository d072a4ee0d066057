"""The provider's registry pages: dead letters (jobs that ran out of retries) and their
replay.

Only provider users see these pages; to a customer user they do not exist (404, as the
API's admin routes are not there for a customer's key). Each page calls the same app
service as its /v1 admin route (web/api/admin.py), and a replay is audited as the API's
is (action `replay`, the user as actor).
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kodeord.app.errors import NotFound
from kodeord.app.mt import messages
from kodeord.domain.users import Action
from kodeord.web import audit_hook
from kodeord.web.console.render import render
from kodeord.web.console.visit import ConsoleRefusal, Page, UserForm, UserPage

router = APIRouter(prefix="/console")

DEAD_PAGE = 200


def _operator(found: Page, request: Request | None = None) -> None:
    if not found.is_provider:
        raise ConsoleRefusal(404, found.t("There is no such page."))
    found.require(Action.OPERATE)
    if request is not None:
        audit_hook.mark(request, found.principal)


async def _dead_letters(found: Page, status: int = 200, notice: str | None = None) -> Response:
    jobs = await messages.dead_letters(found.gateway.queue, DEAD_PAGE, 0)
    for job in jobs:
        job["payload_text"] = json.dumps(job["payload"], ensure_ascii=False, indent=2)
    return render(found, "registry/dead_letters.html", status, jobs=jobs, notice=notice)


@router.get("/provider/dead-letters")
async def dead_letters(found: UserPage) -> Response:
    _operator(found)
    return await _dead_letters(found)


# named as the API's route, so the audit log has one action for a replay
@router.post("/provider/dead-letters/replay", name="replay")
async def replay_all(request: Request, found: UserPage, form: UserForm) -> Response:
    _operator(found, request)
    replayed = (await messages.replay(found.gateway.queue, None))["replayed"]
    return await _dead_letters(
        found, notice=found.t("{count} jobs are queued again.", count=replayed)
    )


@router.post("/provider/dead-letters/{job_id}/replay", name="replay")
async def replay_one(request: Request, found: UserPage, form: UserForm, job_id: int) -> Response:
    _operator(found, request)
    try:
        await messages.replay(found.gateway.queue, job_id)
    except NotFound:
        raise ConsoleRefusal(404, found.t("That job is no dead letter (any more).")) from None
    return await _dead_letters(found, notice=found.t("Job {id} is queued again.", id=job_id))
