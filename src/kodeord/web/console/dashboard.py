"""The overview: the first page after sign-in (numbers, keywords, today's traffic,
failing deliveries; for the provider also customers and the operator inbox)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from kodeord.app.overview import overview
from kodeord.domain.users import Action
from kodeord.web.console.render import render
from kodeord.web.console.visit import UserPage

router = APIRouter(prefix="/console")


@router.get("/")
async def dashboard(found: UserPage) -> Response:
    found.require(Action.READ_ACCOUNT)
    figures = await overview.figures(found.gateway.ctx, found.customer_id)
    return render(found, "dashboard.html", figures=figures)
