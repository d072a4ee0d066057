"""The provider's view of opt-outs (STOPP): look a phone up, export them all, remove one.

Rules:
- The admin's only: an opt-out is the phone's, across every customer on the number.
- A phone is given in any form `domain.phones.to_e164` reads (national forms as
  Norwegian) and looked up in E.164, as stored; one that is not a phone number is 422
  `invalid_phone`.
- The export is read in pages of `EXPORT_PAGE` by the key (number, phone), each page in
  its own short read, so a million rows neither sit in memory nor hold one long
  transaction; an opt-out added or removed meanwhile may or may not be in it.
- Removing one (the phone asked to be let back in by another way than START) is the
  only change; the API's audit hook records it. An unknown one is 404 `opt_out_not_found`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from kodeord.app.context import Context
from kodeord.app.errors import Invalid, NotFound
from kodeord.app.keywords.numbers import check_number_text
from kodeord.app.mo.ports import OptOut, OptOutsTx
from kodeord.domain.phones import to_e164

EXPORT_PAGE = 1000
Ctx = Context[OptOutsTx]


def opt_out_view(row: OptOut) -> dict[str, Any]:
    return {"number": row.number, "phone": row.phone, "created_at": row.created_at}


def _phone(text: str) -> str:
    phone = to_e164(text.strip())
    if phone is None:
        raise Invalid("invalid_phone", "not a phone number (E.164 or a Norwegian national form)")
    return phone


async def look_up(ctx: Ctx, phone: str) -> list[dict[str, Any]]:
    """The numbers the phone opted out of, and when."""
    wanted = _phone(phone)
    async with ctx.storage.read() as tx:
        return [opt_out_view(row) for row in await tx.opt_outs.of_phone(wanted)]


async def export(ctx: Ctx, page: int = EXPORT_PAGE) -> AsyncIterator[OptOut]:
    """Every opt-out, by number and phone, read a page at a time."""
    after: tuple[str, str] | None = None
    while True:
        async with ctx.storage.read() as tx:
            rows = await tx.opt_outs.page(after, page)
        for row in rows:
            yield row
        if len(rows) < page:
            return
        after = (rows[-1].number, rows[-1].phone)


async def remove(ctx: Ctx, number: str, phone: str) -> dict[str, Any]:
    check_number_text(number)
    wanted = _phone(phone)
    async with ctx.storage.transaction() as tx:
        removed = await tx.opt_outs.remove(number, wanted)
    if removed is None:
        raise NotFound("opt_out_not_found", f"{wanted} has not opted out of {number}")
    return opt_out_view(removed)
