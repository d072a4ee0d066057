"""HTTP API for opt-outs (admin only): look up a phone, export all as CSV, remove one
(app/mo/opt_outs.py has the rules).

The export is RFC 4180 CSV (a header row, CRLF line ends, fields quoted where needed),
UTF-8, streamed: rows go out as they are read, a page at a time."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from kodeord.app.mo import opt_outs
from kodeord.app.mo.ports import OptOut
from kodeord.web.deps import ERRORS, Admin, Ctx
from kodeord.web.models import Out

router = APIRouter(prefix="/v1", responses=ERRORS, tags=["admin"])
CSV_HEADER = ("number", "phone", "created_at")
Phone = Annotated[str, Query(min_length=1, max_length=32, examples=["+4791234567"])]


class OptOutOut(Out):
    number: str
    phone: str
    created_at: datetime


def _csv_line(fields: tuple[str, ...]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(fields)
    return buffer.getvalue()


def _row(row: OptOut) -> tuple[str, ...]:
    return (row.number, row.phone, row.created_at.astimezone(UTC).isoformat())


async def csv_lines(rows: AsyncIterator[OptOut]) -> AsyncIterator[str]:
    yield _csv_line(CSV_HEADER)
    async for row in rows:
        yield _csv_line(_row(row))


@router.get("/admin/opt-outs", response_model=list[OptOutOut])
async def look_up_opt_outs(ctx: Ctx, _: Admin, phone: Phone) -> list[dict[str, Any]]:
    """The numbers a phone opted out of (STOPP), and when."""
    return await opt_outs.look_up(ctx, phone)


@router.get(
    "/admin/opt-outs/export",
    response_class=Response,  # streamed: the StreamingResponse below
    responses={
        200: {
            "description": "every opt-out: number, phone, created_at (RFC 4180 CSV, UTF-8)",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def export_opt_outs(ctx: Ctx, _: Admin) -> StreamingResponse:
    return StreamingResponse(
        csv_lines(opt_outs.export(ctx)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="opt-outs.csv"'},
    )


@router.delete("/admin/opt-outs/{number}/{phone}", response_model=OptOutOut)
async def remove_opt_out(ctx: Ctx, _: Admin, number: str, phone: str) -> dict[str, Any]:
    """Remove one opt-out: the number may send to the phone again."""
    return await opt_outs.remove(ctx, number, phone)
