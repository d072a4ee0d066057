"""Protected brands: words the provider keeps for one customer (or for nobody), so no one
else leases them or a lookalike of them (domain.leasing checks; the keyword index holds
them in memory and rereads them at once when this process changes them).
"""

from __future__ import annotations

from typing import Any

from kodeord.app.context import Context
from kodeord.app.errors import Conflict, Invalid, NotFound
from kodeord.app.keywords.index import index_of
from kodeord.app.keywords.ports import KeywordsTx
from kodeord.app.keywords.records import BrandRecord
from kodeord.domain.keywords import normalise


def brand_view(brand: BrandRecord) -> dict[str, Any]:
    return {
        "id": brand.id,
        "name": brand.name,
        "holder_customer_id": brand.holder_customer_id,
        "created_at": brand.created_at,
    }


async def add_brand(
    ctx: Context[KeywordsTx], name: str, holder_customer_id: int | None
) -> dict[str, Any]:
    keyword = normalise(name)
    if not keyword.canonical or not keyword.alone or len(keyword.canonical) > 16:
        raise Invalid("invalid_brand", "a brand is one word of at most 16 letters or digits")
    async with ctx.storage.transaction() as tx:
        if holder_customer_id is not None and await tx.customers.get(holder_customer_id) is None:
            raise NotFound("customer_not_found", f"no customer {holder_customer_id}")
        if await tx.brands.exists(keyword.canonical):
            raise Conflict("brand_exists", f"{keyword.canonical} is protected already")
        brand = await tx.brands.add(keyword.canonical, holder_customer_id, ctx.clock())
    ctx.routing_changed(None)
    index_of(ctx.storage).brands_changed()
    return brand_view(brand)


async def list_brands(ctx: Context[KeywordsTx]) -> list[dict[str, Any]]:
    async with ctx.storage.read() as tx:
        return [brand_view(brand) for brand in await tx.brands.all()]


async def delete_brand(ctx: Context[KeywordsTx], brand_id: int) -> None:
    async with ctx.storage.transaction() as tx:
        if not await tx.brands.remove(brand_id):
            raise NotFound("brand_not_found", f"no brand {brand_id}")
    ctx.routing_changed(None)
    index_of(ctx.storage).brands_changed()
