"""A customer's inbox as conversations: list the threads, read one, know when to look again.

Rules:
- Only a customer's own messages make its threads: every call takes the customer's id
  from its principal (the provider has the operator inbox instead), so no thread of
  another customer can be read, whatever a URL says.
- Reading a thread marks it read up to its newest message; unread counts are the MO
  newer than that.
- A thread of the customer with no message is not found (404), as for another's.
- `newest` is what a live page polls (one indexed read): the id of the customer's newest
  message. It is read from the database, so a page sees MO that any node stored.
- Answering is the MT capability's: `reply_request` is the request the reply box sends,
  part of the conversation (a dialog ID on numbers that have them, docs/conversations.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kodeord.app.accounts.customers import Principal
from kodeord.app.context import Context
from kodeord.app.conversations.ports import ConversationTx, ThreadMessage, ThreadSummary
from kodeord.app.errors import Forbidden, NotFound
from kodeord.app.mt.accept import MtRequest

PAGE = 50
THREAD_LIMIT = 200  # the newest messages shown in a thread


@dataclass(frozen=True, slots=True)
class Thread:
    number: str
    phone: str
    messages: Sequence[ThreadMessage]


def _customer(principal: Principal) -> int:
    if principal.customer_id is None:
        raise Forbidden("customer_only", "conversations belong to a customer")
    return int(principal.customer_id)


async def threads(
    ctx: Context[ConversationTx],
    principal: Principal,
    search: str | None = None,
    page: int = 0,
) -> list[ThreadSummary]:
    customer_id = _customer(principal)
    wanted = (search or "").strip() or None
    async with ctx.storage.read() as tx:
        return await tx.conversations.threads(customer_id, wanted, PAGE, max(page, 0) * PAGE)


async def open_thread(
    ctx: Context[ConversationTx], principal: Principal, number: str, phone: str
) -> Thread:
    """The thread's messages, marked read."""
    customer_id = _customer(principal)
    async with ctx.storage.transaction() as tx:
        messages = await tx.conversations.messages(customer_id, number, phone, THREAD_LIMIT)
        if not messages:
            raise NotFound("thread_not_found", f"no conversation with {phone} on {number}")
        await tx.conversations.mark_read(customer_id, number, phone, messages[-1].id, ctx.clock())
    return Thread(number, phone, messages)


async def newest(ctx: Context[ConversationTx], principal: Principal) -> int:
    customer_id = _customer(principal)
    async with ctx.storage.read() as tx:
        return await tx.conversations.newest(customer_id)


async def unread(ctx: Context[ConversationTx], principal: Principal) -> int:
    customer_id = _customer(principal)
    async with ctx.storage.read() as tx:
        return await tx.conversations.unread(customer_id)


def reply_request(number: str, phone: str, text: str) -> MtRequest:
    return MtRequest(sender=number, to=phone, text=text, conversation=True)
