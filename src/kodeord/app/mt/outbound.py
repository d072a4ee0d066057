"""Outbound SMS (MT): accept from a customer, send to the operator, follow its receipts.

- `accept(customer_id, requests, origin=…)`: every request checked first (sender the
  customer may send from, recipient, text, schedule, validity, opt-outs, keyword); one
  refusal refuses the whole call with its code (`errors.Invalid`). Then the messages
  (status `queued`, with price and segments), their history and their `send_mt` jobs
  (due at `send_at`) are stored in one transaction. The same path serves the HTTP API
  and customers' SMPP binds; `queue_from_gateway` is the gateway's own SMS (replies,
  opt-out confirmations, forwards), without a customer's checks.
- `send_mt` job: expired messages (validity ran out while queued) end `expired`; else
  the parts go to an operator link as `submit_sm` with a UDH (the link's window keeps many
  outstanding across messages); each accepted part's operator id is stored at once, so
  after a crash only the parts in flight can go twice. ESME_RTHROTTLED / ESME_RMSGQFUL
  and transport errors retry soon; other SMPP errors end the message `failed` with the
  status. All parts accepted → `sent`.
- `cancel(customer_id, message_id)`: a message whose `send_mt` job has not been
  claimed yet ends `cancelled`; the job is taken back in the same transaction (see there).
- `receipt` job: a delivery receipt matched (by its operator id) to a part; the message
  becomes `delivered` when every part is, or `failed`/`expired`/`rejected`… at the first
  part that ends so.
- Every status change is recorded in `message_events` and, when the message has a
  `callback_url`, sent as a signed `message.status` webhook (`status_callback` job,
  retried like any webhook). Receipts for messages submitted over SMPP go back to the
  customer's bind (`smpp_deliver` job, see app/customer_smpp.py).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db import messages as messages_repo
from kodeord.adapters.db import outbound as repo
from kodeord.adapters.db import repository as numbers_repo
from kodeord.adapters.queue import Job, JobQueue, NewJob
from kodeord.adapters.smpp_io import ConnectionClosed, RequestFailed
from kodeord.adapters.webhooks import WebhookSender
from kodeord.app.batching import Batcher
from kodeord.app.context import Context
from kodeord.app.errors import Conflict, Invalid, NotFound
from kodeord.app.keywords.registry import RegistryCache
from kodeord.app.links.operator_links import NoLink, OperatorLinks
from kodeord.app.metrics import METRICS, labelled
from kodeord.app.mt.send_limits import SendLimits
from kodeord.app.targets import check_url
from kodeord.app.worker import DONE, Dead, Outcome, RetryAt, retry_or_dead
from kodeord.domain.keywords import fold_key, normalise
from kodeord.domain.numbers import NumberMode, ShortNumber
from kodeord.domain.outbound import (
    MAX_BATCH,
    Plan,
    Problem,
    expiry,
    plan_text,
    schedule_problem,
    smpp_absolute_time,
    validity_problem,
)
from kodeord.domain.phones import to_e164
from kodeord.domain.retry import RetryPolicy
from kodeord.smpp.constants import CommandStatus, MessageState, is_transient
from kodeord.smpp.message import compose
from kodeord.smpp.pdu import SubmitSm
from kodeord.smpp.receipt import ReceiptParseError, candidate_ids, parse_receipt
from kodeord.smpp.text import Encoding

log = structlog.get_logger(__name__)
S = CommandStatus
SUBMIT_TIMEOUT = 20.0
GATEWAY_MAX_SEGMENTS = 255  # forwards of long MO: what a UDH reference allows
THROTTLED_RETRY = timedelta(seconds=2)
LINK_RETRY = timedelta(seconds=5)
RECEIPT_TRIES = 3
FINAL = frozenset({"delivered", "failed", "expired", "rejected", "deleted", "unknown", "cancelled"})
RECEIPT_STATUS = {
    MessageState.DELIVERED: "delivered",
    MessageState.EXPIRED: "expired",
    MessageState.DELETED: "deleted",
    MessageState.UNDELIVERABLE: "failed",
    MessageState.REJECTED: "rejected",
    MessageState.UNKNOWN: "unknown",
}


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


@dataclass(frozen=True, slots=True)
class _Finish:
    parts: list[dict[str, Any]]  # parts accepted by the operator, not stored yet
    message: Any
    status: str
    detail: str | None


@dataclass(frozen=True, slots=True)
class _Receipt:
    refs: tuple[str, ...]  # the operator's id, in the forms it may have been stored in
    status: str
    link: str | None
    receipt: Any


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


def _refuse(problem: Problem, **details: Any) -> Invalid:
    return Invalid(problem.code, problem.message, field=problem.field, **details)


def smpp_status_name(status: int) -> str:
    try:
        return f"{CommandStatus(status).name} (0x{status:08X})"
    except ValueError:
        return f"0x{status:08X}"


class Outbound:
    def __init__(
        self,
        ctx: Context,
        queue: JobQueue,
        links: OperatorLinks,
        webhooks: WebhookSender,
        registry: RegistryCache,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.ctx = ctx
        self.queue = queue
        self.links = links
        self.webhooks = webhooks
        self.registry = registry
        self.policy = policy or RetryPolicy()
        self.random = random.Random()
        self.status_listeners: list[Callable[[AsyncConnection, Any, str], Any]] = []
        self.send_limits = SendLimits(ctx)  # per API key, for the HTTP API's sends
        # Concurrent sends share their reads and writes (see app/batching.py). One write
        # batch at a time, on PostgreSQL too: the receipts (and last parts) of one
        # message's parts must see each other to end it `delivered`; two transactions at
        # once would each see only their own part (READ COMMITTED).
        self._loads: Batcher[int, tuple[Any, list[Any]]] = Batcher(self._load_many)
        self._parts: Batcher[dict[str, Any], None] = Batcher(self._store_parts)
        self._finishes: Batcher[_Finish, None] = Batcher(self._finish_many)
        self._receipts: Batcher[_Receipt, bool] = Batcher(self._apply_receipts)

    @property
    def handlers(self) -> dict[str, Any]:
        return {
            "send_mt": self.send_mt,
            "receipt": self.receipt,
            "status_callback": self.status_callback,
        }

    # --- accepting -----------------------------------------------------------------------

    async def accept(
        self,
        customer_id: int,
        requests: Sequence[MtRequest],
        *,
        origin: str = "api",
        wants_receipt: bool = True,
    ) -> list[Accepted]:
        """Check every request, then store all (one transaction) or refuse all."""
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

        async def store(conn: AsyncConnection) -> list[Accepted]:
            rows = []
            plans = []
            by_number: dict[str, list[int]] = {}
            # A batch has one sender and one text: each is checked once.
            senders: dict[tuple[str, str | None], tuple[ShortNumber, str | None]] = {}
            texts: dict[tuple[str, int], Plan] = {}
            for index, request in enumerate(requests):
                key = (request.sender, request.keyword)
                if key not in senders:
                    number = await self._sender(conn, customer_id, request, index)
                    keyword = await self._keyword(conn, customer_id, number, request, index)
                    senders[key] = (number, keyword)
                number, keyword = senders[key]
                to = to_e164(request.to)
                if to is None:
                    raise Invalid(
                        "invalid_recipient",
                        f"{request.to!r} is not a phone number (national or +E.164)",
                        field="to",
                        index=index,
                    )
                text_key = (request.text, number.segment_price_ore)
                if text_key not in texts:
                    plan = plan_text(request.text, number.segment_price_ore)
                    if isinstance(plan, Problem):
                        raise _refuse(plan, index=index)
                    texts[text_key] = plan
                plan = texts[text_key]
                plans.append(plan)
                by_number.setdefault(number.number, []).append(index)
                rows.append(self._row(customer_id, number.number, to, keyword, request, plan, now))
                rows[-1]["origin"] = origin
                rows[-1]["wants_receipt"] = wants_receipt
            for digits, indexes in by_number.items():
                refused = await repo.opted_out(
                    conn, digits, [rows[i]["recipient"] for i in indexes]
                )
                for index in indexes:
                    if rows[index]["recipient"] in refused:
                        raise Invalid(
                            "recipient_opted_out",
                            f"{rows[index]['recipient']} sent STOPP to {digits}",
                            field="to",
                            index=index,
                        )
            ids = await repo.insert_messages(conn, rows)
            await self._queue(conn, ids, rows, now)
            return [
                Accepted(
                    id_,
                    "queued",
                    row["recipient"],
                    row["sender"],
                    plan.segments,
                    plan.encoding,
                    plan.price_ore,
                    row["send_at"],
                )
                for id_, row, plan in zip(ids, rows, plans, strict=True)
            ]

        accepted = await self.ctx.db.write(store)
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

    async def _sender(
        self, conn: AsyncConnection, customer_id: int, request: MtRequest, index: int
    ) -> ShortNumber:
        number = await numbers_repo.get_number(conn, request.sender)
        if number is None or (
            number.mode is NumberMode.DEDICATED and number.owner_customer_id != customer_id
        ):
            raise Invalid(
                "unknown_sender",
                f"{request.sender!r} is not a short number you can send from",
                field="from",
                index=index,
            )
        if number.mode is NumberMode.SHARED and not await repo.active_leases_of(
            conn, customer_id, number.number
        ):
            raise Invalid(
                "sender_not_allowed",
                f"send from {number.number} needs an active keyword on it",
                field="from",
                index=index,
            )
        return number

    async def _keyword(
        self,
        conn: AsyncConnection,
        customer_id: int,
        number: ShortNumber,
        request: MtRequest,
        index: int,
    ) -> str | None:
        if request.keyword is None:
            return None
        wanted = fold_key(normalise(request.keyword).canonical)
        for lease in await repo.active_leases_of(conn, customer_id, number.number):
            for word in (lease.keyword, *lease.aliases):
                if fold_key(normalise(word).canonical) == wanted:
                    return str(lease.keyword)
        raise Invalid(
            "unknown_keyword",
            f"{request.keyword!r} is not one of your keywords on {number.number}",
            field="keyword",
            index=index,
        )

    def _row(
        self,
        customer_id: int | None,
        number: str,
        to: str,
        keyword: str | None,
        request: MtRequest,
        plan: Plan,
        now: datetime,
    ) -> dict[str, Any]:
        start = max(now, request.send_at or now)
        return {
            "direction": "outbound",
            "status": "queued",
            "customer_id": customer_id,
            "number": number,
            "recipient": to,
            "sender": number,
            "text": request.text,
            "keyword": keyword,
            "data_coding": Encoding[plan.encoding].data_coding,
            "encoding": plan.encoding,
            "segments": plan.segments,
            "price_ore": plan.price_ore,
            "reference": request.reference,
            "callback_url": request.callback_url,
            "send_at": request.send_at,
            "expires_at": expiry(start, request.validity_minutes),
            "origin": "api",
            "wants_receipt": True,
            "received_at": now,
        }

    async def _queue(
        self,
        conn: AsyncConnection,
        ids: Sequence[int],
        rows: Sequence[dict[str, Any]],
        now: datetime,
        dedupe_key: str | None = None,
    ) -> None:
        jobs = [
            NewJob(
                "send_mt",
                {"message_id": id_},
                run_at=row["send_at"] or now,
                dedupe_key=dedupe_key or f"mt:{id_}",
            )
            for id_, row in zip(ids, rows, strict=True)
        ]
        await self.queue.enqueue_many(conn, jobs)
        await repo.add_events(conn, [(id_, "queued", None) for id_ in ids], now)

    async def queue_from_gateway(
        self,
        conn: AsyncConnection,
        number: str | None,
        to: str,
        text: str,
        reason: str,
        dedupe_key: str,
        customer_id: int | None = None,
    ) -> bool:
        """The gateway's own SMS from a short number (reply, confirmation, forward), in
        the caller's transaction; once per `dedupe_key` (a second call does nothing).
        False when it cannot be sent (no number, or longer than 255 segments)."""
        if number is None:
            return False
        now = self.ctx.clock()
        request = MtRequest(sender=number, to=to, text=text)
        plan = plan_text(text, 0, max_segments=GATEWAY_MAX_SEGMENTS)
        if isinstance(plan, Problem):
            log.warning("gateway SMS not sent", reason=reason, problem=plan.code)
            return False
        row = self._row(customer_id, number, to, None, request, plan, now)
        row.update(origin="gateway", route_step=reason, price_ore=None)
        (message_id,) = await repo.insert_messages(conn, [row])
        job_id = await self.queue.enqueue(
            conn, "send_mt", {"message_id": message_id}, dedupe_key=dedupe_key
        )
        if job_id is None:  # sent once already
            await repo.delete_message(conn, message_id)
            return True
        await repo.add_events(conn, [(message_id, "queued", reason)], now)
        return True

    # --- cancelling ----------------------------------------------------------------------

    async def cancel(self, customer_id: int | None, message_id: int) -> None:
        """Cancel an MT whose send job has not started (a scheduled one, typically): it
        ends `cancelled`, recorded and called back like any status. Its job is taken
        back in the same transaction, so no worker on any node sends it afterwards; a
        job that was claimed even once (sending, sent, retrying) cannot be taken back.
        `customer_id` None: the admin, for any customer's message."""
        now = self.ctx.clock()

        async def write(conn: AsyncConnection) -> None:
            message = await messages_repo.get_message(conn, message_id)
            if (
                message is None
                or message.direction != "outbound"
                or (customer_id is not None and message.customer_id != customer_id)
            ):
                raise NotFound("message_not_found", f"no message {message_id}")
            state = message.status
            if state == "queued" and not await self.queue.withdraw(
                conn, f"mt:{message.id}", "cancelled"
            ):
                state = "being sent"
            if state != "queued":
                raise Conflict(
                    "not_cancellable",
                    f"message {message_id} is {state}: only a message whose sending has not"
                    " begun can be cancelled",
                    message_status=message.status,
                )
            await self.change_status(conn, message, "cancelled", "cancelled", now)

        await self.ctx.db.write(write)

    # --- sending -------------------------------------------------------------------------

    async def send_mt(self, job: Job) -> Outcome:
        message_id = int(job.payload["message_id"])
        message, parts_done = await self._loads.call(message_id)
        if message is None:
            return Dead(f"message {message_id} does not exist")
        if message.status != "queued":
            return DONE  # sent (or ended) already by a worker that died before completing
        now = self.ctx.clock()
        if message.expires_at is not None and now >= message.expires_at and not parts_done:
            expired = _Finish([], message, "expired", "validity ran out before sending")
            await self._finishes.call(expired)
            return DONE
        if not parts_done and message.origin != "gateway" and await self._opted_out(message):
            stopped = _Finish([], message, "failed", "recipient_opted_out: STOPP since queued")
            await self._finishes.call(stopped)
            return DONE
        try:
            client_name, client = self.links.choose_named()
        except NoLink as exc:
            return RetryAt(now + LINK_RETRY, str(exc))
        composed = compose(message.text, ref=message.id % 256)
        done = {part.seq for part in parts_done}
        last: list[dict[str, Any]] = []
        for seq, part in enumerate(composed.parts, start=1):
            if seq in done:
                continue
            pdu = SubmitSm(
                source_addr_ton=0,
                source_addr_npi=0,
                source_addr=message.sender,
                dest_addr_ton=1,
                dest_addr_npi=1,
                destination_addr=message.recipient.lstrip("+"),
                esm_class=part.esm_class_bits,
                data_coding=part.data_coding,
                short_message=part.short_message,
                tlvs=part.tlvs,
                registered_delivery=1,
                validity_period=(
                    smpp_absolute_time(message.expires_at) if message.expires_at else ""
                ),
            )
            try:
                response = await client.submit(pdu, timeout=SUBMIT_TIMEOUT)
            except (ConnectionClosed, RequestFailed, TimeoutError) as exc:
                return self._retry(job, f"link {client_name}: {exc!r}")
            status = response.command_status
            if status == S.ESME_ROK:
                row = {
                    "message_id": message.id,
                    "seq": seq,
                    "link": client_name,
                    "operator_ref": getattr(response, "message_id", "") or None,
                    "status": "sent",
                    "submitted_at": self.ctx.clock(),
                }
                if seq < len(composed.parts):
                    await self._parts.call(row)  # stored at once: not sent twice after a crash
                else:
                    last = [row]  # stored with the message's new status, below
                continue
            if status in (S.ESME_RTHROTTLED, S.ESME_RMSGQFUL):
                METRICS.mt_throttled.inc()
                return RetryAt(self.ctx.clock() + THROTTLED_RETRY, smpp_status_name(status))
            if is_transient(status):
                return self._retry(job, smpp_status_name(status))
            await self._finishes.call(_Finish([], message, "failed", smpp_status_name(status)))
            return DONE
        await self._finishes.call(_Finish(last, message, "sent", None))
        METRICS.mt_sent.inc()
        return DONE

    async def _opted_out(self, message: Any) -> bool:
        """Whether the recipient sent STOPP after the message was accepted (scheduled
        and waiting messages are checked again before they go)."""
        async with self.ctx.db.read() as conn:
            return bool(await repo.opted_out(conn, message.number, [message.recipient]))

    def _retry(self, job: Job, error: str) -> Outcome:
        return retry_or_dead(self.policy, job, self.ctx.clock(), self.random.random(), error)

    async def _load_many(self, ids: list[int]) -> list[tuple[Any, list[Any]]]:
        async with self.ctx.db.read() as conn:
            found = await messages_repo.get_messages(conn, ids)
            parts = await repo.parts_of_many(conn, ids)
        return [(found.get(id_), parts.get(id_, [])) for id_ in ids]

    async def _store_parts(self, rows: list[dict[str, Any]]) -> list[None]:
        await self.ctx.db.write(lambda conn: repo.add_parts(conn, rows))
        return [None] * len(rows)

    async def _finish_many(self, items: list[_Finish]) -> list[None]:
        """Last parts and status changes of many sends, in one write."""
        now = self.ctx.clock()

        async def write(conn: AsyncConnection) -> None:
            await repo.add_parts(conn, [row for item in items for row in item.parts])
            changes = [(item.message, item.status, item.detail) for item in items]
            await self.change_statuses(conn, changes, now)

        await self.ctx.db.write(write)
        return [None] * len(items)

    async def change_status(
        self,
        conn: AsyncConnection,
        message: Any,
        status: str,
        detail: str | None,
        now: datetime,
    ) -> bool:
        """Move a message on (from queued or sent), record it, and queue what tells the
        customer; whether it moved."""
        return bool(await self.change_statuses(conn, [(message, status, detail)], now))

    async def change_statuses(
        self, conn: AsyncConnection, items: Sequence[tuple[Any, str, str | None]], now: datetime
    ) -> set[int]:
        """`change_status` for many messages, one statement per distinct change; the ids
        that moved (a message already past queued/sent stays as it is)."""
        groups: dict[tuple[str, str | None], list[int]] = {}
        for message, status, detail in items:
            groups.setdefault((status, detail), []).append(message.id)
        moved: set[int] = set()
        for (status, detail), ids in groups.items():
            values: dict[str, Any] = {"error": detail[:200] if detail else None}
            if status == "delivered":
                values["delivered_at"] = now
            moved |= await repo.set_statuses(conn, ids, status, ("queued", "sent"), **values)
        changed = [(m, status, detail) for m, status, detail in items if m.id in moved]
        await repo.add_events(conn, [(m.id, status, detail) for m, status, detail in changed], now)
        callbacks = []
        for message, status, detail in changed:
            if message.callback_url and message.customer_id is not None:
                payload = {"message_id": message.id, "status": status, "at": now.isoformat()}
                if detail:
                    payload["error"] = detail
                key = f"status:{message.id}:{status}"
                callbacks.append(NewJob("status_callback", payload, dedupe_key=key))
        if callbacks:
            await self.queue.enqueue_many(conn, callbacks)
        for message, status, _ in changed:
            for listener in self.status_listeners:
                await listener(conn, message, status)
        return moved

    # --- receipts ------------------------------------------------------------------------

    async def receipt(self, job: Job) -> Outcome:
        payload = job.payload
        tlvs = {int(tag): bytes.fromhex(value) for tag, value in payload["tlvs"].items()}
        try:
            receipt = parse_receipt(bytes.fromhex(payload["short_message"]), tlvs)
        except ReceiptParseError as exc:
            return Dead(f"unreadable receipt: {exc}")
        status = RECEIPT_STATUS.get(receipt.state)
        if status is None:  # ENROUTE, ACCEPTED: intermediate, nothing to record
            return DONE
        refs = tuple(candidate_ids(receipt.message_id))
        found = await self._receipts.call(_Receipt(refs, status, payload.get("link"), receipt))
        if not found:
            if job.attempts < RECEIPT_TRIES:  # its part may not be stored yet (another node)
                return RetryAt(self.ctx.clock() + timedelta(seconds=2), "no part matches yet")
            log.info("receipt for an unknown message", operator_id=receipt.message_id)
        labelled(METRICS.receipts_applied, status).inc()
        return DONE

    async def _apply_receipts(self, items: list[_Receipt]) -> list[bool]:
        """Receipts that arrive together, applied in one write (in arrival order)."""
        now = self.ctx.clock()

        async def write(conn: AsyncConnection) -> list[bool]:
            return [await self._apply_receipt(conn, item, now) for item in items]

        return await self.ctx.db.write(write)

    async def _apply_receipt(self, conn: AsyncConnection, item: _Receipt, now: datetime) -> bool:
        part = await repo.part_by_operator_ref(conn, item.refs, item.link)
        if part is None:
            return False
        await repo.set_part_status(conn, part.id, item.status, now)
        message = await messages_repo.get_message(conn, part.message_id)
        if message is None or message.status in FINAL:
            return True
        if item.status == "delivered":
            parts = await repo.parts_of(conn, part.message_id)
            delivered = [p for p in parts if p.status == "delivered" or p.id == part.id]
            if len(delivered) < message.segments:
                return True
        detail = None if item.status == "delivered" else f"receipt: {item.receipt.state.name}"
        await self.change_status(conn, message, item.status, detail, now)
        return True

    # --- status callbacks ------------------------------------------------------------------

    async def status_callback(self, job: Job) -> Outcome:
        payload = job.payload
        async with self.ctx.db.read() as conn:
            message = await messages_repo.get_message(conn, int(payload["message_id"]))
        if message is None or not message.callback_url:
            return Dead("the message or its callback_url is gone")
        secret = await self.registry.signing_secret(message.customer_id)
        if secret is None:
            return self._retry(job, "no signing secret: create one with POST /v1/signing-secret")
        body = {
            "type": "message.status",
            "id": f"msg_{message.id}",
            "status": payload["status"],
            "at": payload["at"],
            "error": payload.get("error"),
            "reference": message.reference,
            "from": message.sender,
            "to": message.recipient,
            "segments": message.segments,
            "price_ore": message.price_ore,
        }
        webhook_id = f"st_{message.id}_{payload['status']}"
        outcome = await self.webhooks.send(
            message.callback_url, secret, webhook_id, body, timestamp=self.ctx.clock()
        )
        labelled(METRICS.deliveries, "status", "ok" if outcome.ok else "failed").inc()
        if outcome.ok:
            return DONE
        if not outcome.retryable:
            return Dead(outcome.error or "refused")
        return self._retry(job, outcome.error or "failed")
