"""Accepting MT from a customer (HTTP API and SMPP binds), and cancelling it.

Rules:
- `accept(customer_id, requests, origin=…)`: every request is checked first (sender the
  customer may send from, recipient, text, schedule, validity, opt-outs, keyword); one
  refusal refuses the whole call with its code (`errors.Invalid`, with the request's
  `index`). Then the messages (status `queued`, with price and segments), their history
  and their `send_mt` jobs (due at `send_at`, dedupe key `mt:<id>`) are stored in one
  unit of work (`storage.write`, the hot path's group commit).
- A batch has one sender and one text: each distinct one is checked once.
- Conversations (docs/conversations.md): `reply_to` names an MO the customer got; the
  answer goes to its phone from its number (a `from`/`to` given must agree). `reply_to`
  or `conversation` makes the MT part of the phone's conversation: on a number with
  dialog IDs it goes out from the number plus the conversation's suffix
  (app/mt/dialogs.py), so the phone's answer comes back whatever its text.
- `cancel(customer_id, message_id)`: a message whose `send_mt` job was never claimed
  ends `cancelled`; the job is withdrawn in the same unit of work, so no worker on any
  node sends it afterwards. A job claimed even once cannot be taken back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from kodeord.app.context import Context
from kodeord.app.errors import Conflict, Invalid, NotFound
from kodeord.app.jobs import JobKind, JobStore, NewJob
from kodeord.app.metrics import METRICS, labelled
from kodeord.app.mt.dialogs import conversation_sender
from kodeord.app.mt.ports import (
    DialogStore,
    MtMessageStore,
    NewOutboundMessage,
    NumberLookup,
    Origin,
    SenderStore,
    StatusEvent,
)
from kodeord.app.mt.statuses import StatusChange, change_status
from kodeord.app.targets import check_url
from kodeord.domain.keywords import fold_key, normalise
from kodeord.domain.messages import Direction, MessageStatus
from kodeord.domain.numbers import NumberMode, ShortNumber
from kodeord.domain.outbound import (
    MAX_BATCH,
    Plan,
    Problem,
    expiry,
    plan_text,
    schedule_problem,
    validity_problem,
)
from kodeord.domain.phones import to_e164
from kodeord.smpp.text import Encoding


class AcceptTx(Protocol):
    @property
    def mt_messages(self) -> MtMessageStore: ...

    @property
    def mt_senders(self) -> SenderStore: ...

    @property
    def numbers(self) -> NumberLookup: ...

    @property
    def jobs(self) -> JobStore: ...

    @property
    def dialogs(self) -> DialogStore: ...


@dataclass(frozen=True, slots=True)
class MtRequest:
    sender: str  # the short number (the API's "from")
    to: str
    text: str
    keyword: str | None = None
    reference: str | None = None
    callback_url: str | None = None
    send_at: datetime | None = None
    validity_minutes: int | None = None
    conversation: bool = False
    reply_to: int | None = None


@dataclass(frozen=True, slots=True)
class Accepted:
    id: int
    status: str
    to: str
    sender: str
    segments: int
    encoding: str
    price_ore: int
    send_at: datetime | None

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "from": self.sender,
            "to": self.to,
            "segments": self.segments,
            "encoding": self.encoding,
            "price_ore": self.price_ore,
            "send_at": self.send_at,
        }


def new_message(
    customer_id: int | None,
    number: str,
    to: str,
    request: MtRequest,
    plan: Plan,
    now: datetime,
    *,
    keyword: str | None = None,
    origin: str = Origin.API,
    wants_receipt: bool = True,
    sender: str | None = None,
) -> NewOutboundMessage:
    """The message row of an MT request; its validity runs from its send time."""
    start = max(now, request.send_at or now)
    return NewOutboundMessage(
        customer_id=customer_id,
        number=number,
        recipient=to,
        text=request.text,
        keyword=keyword,
        data_coding=Encoding[plan.encoding].data_coding,
        encoding=plan.encoding,
        segments=plan.segments,
        price_ore=plan.price_ore,
        reference=request.reference,
        callback_url=request.callback_url,
        send_at=request.send_at,
        expires_at=expiry(start, request.validity_minutes),
        origin=origin,
        wants_receipt=wants_receipt,
        received_at=now,
        sender=sender,
    )


def _refuse(problem: Problem, **details: Any) -> Invalid:
    return Invalid(problem.code, problem.message, field=problem.field, **details)


class Acceptance:
    """The customer's side of MT: accept a batch, cancel one not yet sent."""

    def __init__(self, ctx: Context[AcceptTx]) -> None:
        self.ctx = ctx

    async def accept(
        self,
        customer_id: int,
        requests: Sequence[MtRequest],
        *,
        origin: str = Origin.API,
        wants_receipt: bool = True,
    ) -> list[Accepted]:
        """Check every request, then store all (one unit of work) or refuse all."""
        if not requests:
            raise Invalid("empty_batch", "no messages given", field="to")
        if len(requests) > MAX_BATCH:
            raise Invalid("batch_too_large", f"at most {MAX_BATCH} recipients", field="to")
        now = self.ctx.clock()
        for index, request in enumerate(requests):
            for problem in (
                schedule_problem(request.send_at, now),
                validity_problem(request.validity_minutes),
            ):
                if problem is not None:
                    raise _refuse(problem, index=index)
        await self._check_callback_urls(requests)

        async def store(tx: AcceptTx) -> list[Accepted]:
            batch = _Batch(tx, customer_id, origin, wants_receipt, now)
            for index, request in enumerate(requests):
                await batch.add(index, request)
            await batch.check_opt_outs()
            return await batch.store()

        accepted = await self.ctx.storage.write(store)
        labelled(METRICS.mt_accepted, origin.partition(":")[0]).inc(len(accepted))
        return accepted

    async def _check_callback_urls(self, requests: Sequence[MtRequest]) -> None:
        """Each distinct callback URL checked once (a batch has one), before the write."""
        first: dict[str, int] = {}
        for index, request in enumerate(requests):
            if request.callback_url is not None:
                first.setdefault(request.callback_url, index)
        for url, index in first.items():
            shape = "invalid_callback_url"
            await check_url(self.ctx, url, field="callback_url", shape_code=shape, index=index)

    async def cancel(self, customer_id: int | None, message_id: int) -> None:
        """Cancel an MT whose send job has not started (a scheduled one, typically): it
        ends `cancelled`, recorded and called back like any status. `customer_id` None:
        the admin, for any customer's message."""
        now = self.ctx.clock()

        async def write(tx: AcceptTx) -> None:
            message = await tx.mt_messages.get(message_id)
            if (
                message is None
                or message.direction is not Direction.OUTBOUND
                or (customer_id is not None and message.customer_id != customer_id)
            ):
                raise NotFound("message_not_found", f"no message {message_id}")
            state = str(message.status)
            if message.status is MessageStatus.QUEUED and not await tx.jobs.withdraw(
                f"mt:{message.id}", "cancelled"
            ):
                state = "being sent"
            if state != MessageStatus.QUEUED:
                raise Conflict(
                    "not_cancellable",
                    f"message {message_id} is {state}: only a message whose sending has not"
                    " begun can be cancelled",
                    message_status=message.status.value,
                )
            change = StatusChange(message, MessageStatus.CANCELLED, "cancelled")
            await change_status(tx, change, now)

        await self.ctx.storage.write(write)


class _Batch:
    """One `accept` call's messages inside its unit of work, checked as they are added."""

    def __init__(
        self, tx: AcceptTx, customer_id: int, origin: str, wants_receipt: bool, now: datetime
    ) -> None:
        self.tx, self.customer_id, self.now = tx, customer_id, now
        self.origin, self.wants_receipt = origin, wants_receipt
        self.messages: list[NewOutboundMessage] = []
        self.plans: list[Plan] = []
        self.by_number: dict[str, list[int]] = {}
        self._senders: dict[tuple[str, str | None], tuple[ShortNumber, str | None]] = {}
        self._texts: dict[tuple[str, int], Plan] = {}

    async def add(self, index: int, request: MtRequest) -> None:
        if request.reply_to is not None:
            request = await self._answering(index, request)
        key = (request.sender, request.keyword)
        if key not in self._senders:
            number = await self._sender(request, index)
            self._senders[key] = (number, await self._keyword(number, request, index))
        number, keyword = self._senders[key]
        to = to_e164(request.to)
        if to is None:
            raise Invalid(
                "invalid_recipient",
                f"{request.to!r} is not a phone number (national or +E.164)",
                field="to",
                index=index,
            )
        plan = self._plan(request.text, number.segment_price_ore, index)
        source = None
        if request.conversation:
            sent_at = max(self.now, request.send_at or self.now)
            source = await conversation_sender(
                self.tx, number.number, self.customer_id, to, sent_at
            )
        self.plans.append(plan)
        self.by_number.setdefault(number.number, []).append(index)
        self.messages.append(
            new_message(
                self.customer_id,
                number.number,
                to,
                request,
                plan,
                self.now,
                keyword=keyword,
                origin=self.origin,
                wants_receipt=self.wants_receipt,
                sender=source,
            )
        )

    async def _answering(self, index: int, request: MtRequest) -> MtRequest:
        """The request with the sender and recipient of the MO it answers."""
        assert request.reply_to is not None
        mo = await self.tx.mt_messages.get(request.reply_to)
        if (
            mo is None
            or mo.direction is not Direction.INBOUND
            or mo.customer_id != self.customer_id
            or mo.number is None
        ):
            raise Invalid(
                "unknown_reply_to",
                f"{request.reply_to} is not a message you received",
                field="reply_to",
                index=index,
            )
        for field, given, found in (
            ("from", request.sender, mo.number),
            ("to", request.to, mo.sender),
        ):
            if given and to_e164(given) != to_e164(found) and given != found:
                raise Invalid(
                    "reply_to_mismatch",
                    f"{field} {given!r} is not the {field} of the message answered ({found})",
                    field=field,
                    index=index,
                )
        return replace(request, sender=mo.number, to=mo.sender, conversation=True)

    def _plan(self, text: str, segment_price_ore: int, index: int) -> Plan:
        text_key = (text, segment_price_ore)
        if text_key not in self._texts:
            plan = plan_text(text, segment_price_ore)
            if isinstance(plan, Problem):
                raise _refuse(plan, index=index)
            self._texts[text_key] = plan
        return self._texts[text_key]

    async def _sender(self, request: MtRequest, index: int) -> ShortNumber:
        number = await self.tx.numbers.get(request.sender)
        if number is None or (
            number.mode is NumberMode.DEDICATED and number.owner_customer_id != self.customer_id
        ):
            raise Invalid(
                "unknown_sender",
                f"{request.sender!r} is not a short number you can send from",
                field="from",
                index=index,
            )
        if number.mode is NumberMode.SHARED and not await self.tx.mt_senders.active_leases(
            self.customer_id, number.number
        ):
            raise Invalid(
                "sender_not_allowed",
                f"send from {number.number} needs an active keyword on it",
                field="from",
                index=index,
            )
        return number

    async def _keyword(self, number: ShortNumber, request: MtRequest, index: int) -> str | None:
        if request.keyword is None:
            return None
        wanted = fold_key(normalise(request.keyword).canonical)
        for lease in await self.tx.mt_senders.active_leases(self.customer_id, number.number):
            for word in (lease.keyword, *lease.aliases):
                if fold_key(normalise(word).canonical) == wanted:
                    return lease.keyword
        raise Invalid(
            "unknown_keyword",
            f"{request.keyword!r} is not one of your keywords on {number.number}",
            field="keyword",
            index=index,
        )

    async def check_opt_outs(self) -> None:
        for digits, indexes in self.by_number.items():
            phones = [self.messages[i].recipient for i in indexes]
            refused = await self.tx.mt_messages.opted_out(digits, phones)
            for index in indexes:
                if self.messages[index].recipient in refused:
                    raise Invalid(
                        "recipient_opted_out",
                        f"{self.messages[index].recipient} sent STOPP to {digits}",
                        field="to",
                        index=index,
                    )

    async def store(self) -> list[Accepted]:
        """The messages, their `send_mt` jobs and their first history entries."""
        ids = await self.tx.mt_messages.insert(self.messages)
        jobs = [
            NewJob(
                JobKind.SEND_MT,
                {"message_id": id_},
                run_at=message.send_at or self.now,
                dedupe_key=f"mt:{id_}",
            )
            for id_, message in zip(ids, self.messages, strict=True)
        ]
        await self.tx.jobs.enqueue_many(jobs)
        events = [StatusEvent(id_, MessageStatus.QUEUED, None) for id_ in ids]
        await self.tx.mt_messages.add_events(events, self.now)
        return [
            Accepted(
                id_,
                MessageStatus.QUEUED.value,
                message.recipient,
                message.number,
                plan.segments,
                plan.encoding,
                plan.price_ore,
                message.send_at,
            )
            for id_, message, plan in zip(ids, self.messages, self.plans, strict=True)
        ]
