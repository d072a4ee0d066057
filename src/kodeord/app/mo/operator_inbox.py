"""The operator inbox: the MO no customer received, and handing one to a customer.

Rules:
- The provider's only (the admin): a customer never sees the operator inbox, nor learns
  that a message of its phone went there.
- In the inbox are the inbound messages the router gave to no customer: an unknown
  keyword (`no_match`), an unknown number, a suspended keyword or customer (`suspended`).
  Newest first, at most `MAX_PAGE` a page, paged back with `before_id`; filtered by the
  short number it was sent to and by the phone that sent it (E.164, national forms read
  as Norwegian).
- Handing over makes the message the customer's MO, delivered to its inbox at that moment
  (status `delivered`, destination `inbox`): the customer reads it like any MO of its own
  (`GET /v1/messages`). It keeps its lease only when the lease is that customer's. Nothing
  is sent anywhere: the inbox is the one destination that needs no delivery.
- Once only: a message handed over already is 409 `already_handed_over` (a second call, or
  two at once: the store's update is conditional); an id that is not an operator-inbox
  message is 404 `message_not_found`; a customer that does not exist 404
  `customer_not_found`, a suspended one 409 `customer_suspended`. The API's audit hook
  records who handed what to whom (web/audit_hook.py).
"""

from __future__ import annotations

from typing import Any

from kodeord.app.context import Context
from kodeord.app.errors import Conflict, Invalid, NotFound
from kodeord.app.keywords.numbers import check_number_text
from kodeord.app.mo.ports import InboxQuery, OperatorInboxMessage, OperatorInboxTx
from kodeord.domain.phones import to_e164

MAX_PAGE = 500
MAX_PHONE_LENGTH = 21

Ctx = Context[OperatorInboxTx]


def inbox_view(row: OperatorInboxMessage) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "to": row.recipient,
        "from": row.sender,
        "text": row.text,
        "keyword": row.keyword,
        "route_step": row.route_step,
        "received_at": row.received_at,
        "customer_id": row.customer_id,
        "handed_over_at": row.handed_over_at,
        "erased_at": row.erased_at,
    }


def _phone(phone: str | None) -> str | None:
    """The stored form of a phone to filter by: E.164, or an alphanumeric sender as given."""
    if phone is None:
        return None
    phone = phone.strip()
    if not phone or len(phone) > MAX_PHONE_LENGTH:
        raise Invalid("invalid_phone", f"a phone is 1 to {MAX_PHONE_LENGTH} characters")
    return to_e164(phone) or phone


async def list_inbox(
    ctx: Ctx,
    *,
    number: str | None = None,
    phone: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    if number is not None:
        check_number_text(number)
    query = InboxQuery(min(limit, MAX_PAGE), number, _phone(phone), before_id)
    async with ctx.storage.read() as tx:
        rows = await tx.operator_inbox.page(query)
    return [inbox_view(row) for row in rows]


async def hand_over(ctx: Ctx, message_id: int, customer_id: int) -> dict[str, Any]:
    """Move one operator-inbox message into the customer's inbox (see the rules)."""
    async with ctx.storage.transaction() as tx:
        found = await tx.operator_inbox.get(message_id)
        if found is None:
            raise NotFound("message_not_found", f"no message {message_id} in the operator inbox")
        if found.handed_over_at is not None:
            raise Conflict(
                "already_handed_over",
                f"message {message_id} was handed to a customer already",
                customer_id=found.customer_id,
            )
        customer = await tx.customers.get(customer_id)
        if customer is None:
            raise NotFound("customer_not_found", f"no customer {customer_id}")
        if customer.suspended:
            raise Conflict("customer_suspended", f"customer {customer_id} is suspended")
        lease_id = found.lease_id
        if lease_id is not None:
            lease = await tx.leases.get(lease_id)
            lease_id = lease_id if lease is not None and lease.customer_id == customer_id else None
        now = ctx.clock()
        if not await tx.operator_inbox.hand_over(message_id, customer_id, lease_id, now):
            raise Conflict("already_handed_over", f"message {message_id} was handed over already")
        handed = await tx.operator_inbox.get(message_id)
    assert handed is not None
    return inbox_view(handed)
