"""The `send_mt` job: an MT's parts to an operator link as submit_sm.

Rules:
- A message no longer `queued` was sent (or ended) by a worker that died before it
  completed its job: done. One whose validity ran out while queued ends `expired`; one
  whose recipient sent STOPP since it was accepted ends `failed` (gateway SMS excepted).
- The parts (smpp/submit.py) go to the link `Links` chooses; the link's window keeps
  many outstanding across messages. Each accepted part's operator id is stored at once,
  so after a crash only the parts in flight can go twice; the last part is stored with
  the message's new status `sent`.
- ESME_RTHROTTLED / ESME_RMSGQFUL retry soon; other transient statuses and transport
  failures (`LinkFailed`, timeout) retry with the policy's backoff; any other SMPP
  status ends the message `failed` with that status. No link bound: retry soon.
- Concurrent sends share their reads and writes (app/batching.py), one write batch at a
  time, on PostgreSQL too: the last parts (and receipts) of one message's parts must
  see each other; two transactions at once would each see only their own (READ
  COMMITTED).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from kodeord.app.batching import Batcher
from kodeord.app.context import Context
from kodeord.app.jobs import Job, JobStore
from kodeord.app.links.operator_links import NoLink
from kodeord.app.links.ports import LinkFailed
from kodeord.app.metrics import METRICS
from kodeord.app.mt.ports import (
    Links,
    LinkSender,
    MtMessageStore,
    NewPart,
    Origin,
    OutboundMessage,
    Part,
    PartStore,
)
from kodeord.app.mt.statuses import StatusChange, change_statuses
from kodeord.app.worker import DONE, Dead, Outcome, RetryAt, retry_or_dead
from kodeord.domain.messages import MessageStatus
from kodeord.domain.retry import RetryPolicy
from kodeord.smpp.constants import CommandStatus, is_transient
from kodeord.smpp.pdu import SubmitSmResp
from kodeord.smpp.submit import Outgoing, mt_submits

S = CommandStatus
M = MessageStatus
SUBMIT_TIMEOUT = 20.0
THROTTLED_RETRY = timedelta(seconds=2)
LINK_RETRY = timedelta(seconds=5)


class SendTx(Protocol):
    @property
    def mt_messages(self) -> MtMessageStore: ...

    @property
    def mt_parts(self) -> PartStore: ...

    @property
    def jobs(self) -> JobStore: ...


def smpp_status_name(status: int) -> str:
    """`ESME_RTHROTTLED (0x00000058)`, or the bare hex of an unknown status."""
    try:
        return f"{CommandStatus(status).name} (0x{status:08X})"
    except ValueError:
        return f"0x{status:08X}"


@dataclass(frozen=True, slots=True)
class _Finish:
    parts: list[NewPart]  # parts accepted by the operator, not stored yet
    change: StatusChange


class Sending:
    def __init__(
        self, ctx: Context[SendTx], links: Links, policy: RetryPolicy | None = None
    ) -> None:
        self.ctx = ctx
        self.links = links
        self.policy = policy or RetryPolicy()
        self.random = random.Random()
        self._loads: Batcher[int, tuple[OutboundMessage | None, list[Part]]] = Batcher(
            self._load_many
        )
        self._parts: Batcher[NewPart, None] = Batcher(self._store_parts)
        self._finishes: Batcher[_Finish, None] = Batcher(self._finish_many)

    async def send_mt(self, job: Job) -> Outcome:
        message_id = int(job.payload["message_id"])
        message, parts_done = await self._loads.call(message_id)
        if message is None:
            return Dead(f"message {message_id} does not exist")
        if message.status is not M.QUEUED:
            return DONE  # sent (or ended) already by a worker that died before completing
        ended = await self._ended_while_queued(message, parts_done)
        if ended is not None:
            await self._finish(message, *ended)
            return DONE
        try:
            link_name, link = self.links.choose_named()
        except NoLink as exc:
            return RetryAt(self.ctx.clock() + LINK_RETRY, str(exc))
        return await self._submit(job, message, {p.seq for p in parts_done}, link_name, link)

    async def _ended_while_queued(
        self, message: OutboundMessage, parts_done: list[Part]
    ) -> tuple[MessageStatus, str] | None:
        """(status, detail) when the message may not go any more; None when it may."""
        if parts_done:
            return None  # some parts are out: the rest follow
        if message.expires_at is not None and self.ctx.clock() >= message.expires_at:
            return M.EXPIRED, "validity ran out before sending"
        if message.origin != Origin.GATEWAY and await self._opted_out(message):
            return M.FAILED, "recipient_opted_out: STOPP since queued"
        return None

    async def _submit(
        self, job: Job, message: OutboundMessage, done: set[int], link_name: str, link: LinkSender
    ) -> Outcome:
        """Submit the parts not accepted yet; the message ends `sent` or `failed`."""
        outgoing = Outgoing(
            message.id % 256, message.sender, message.recipient, message.text, message.expires_at
        )
        submits = mt_submits(outgoing)
        last: list[NewPart] = []
        for seq, pdu in submits:
            if seq in done:
                continue
            try:
                response = await link.submit(pdu, timeout=SUBMIT_TIMEOUT)
            except (LinkFailed, TimeoutError) as exc:
                return self._retry(job, f"link {link_name}: {exc!r}")
            status = response.command_status
            if status != S.ESME_ROK:
                return await self._refused(job, message, status)
            operator_ref = response.message_id if isinstance(response, SubmitSmResp) else ""
            part = NewPart(message.id, seq, link_name, operator_ref or None, self.ctx.clock())
            if seq < len(submits):
                await self._parts.call(part)  # stored at once: not sent twice after a crash
            else:
                last = [part]  # stored with the message's new status, below
        await self._finishes.call(_Finish(last, StatusChange(message, M.SENT)))
        METRICS.mt_sent.inc()
        return DONE

    async def _refused(self, job: Job, message: OutboundMessage, status: int) -> Outcome:
        """A part the operator did not accept: later, or the message `failed`."""
        if status in (S.ESME_RTHROTTLED, S.ESME_RMSGQFUL):
            METRICS.mt_throttled.inc()
            return RetryAt(self.ctx.clock() + THROTTLED_RETRY, smpp_status_name(status))
        if is_transient(status):
            return self._retry(job, smpp_status_name(status))
        await self._finish(message, M.FAILED, smpp_status_name(status))
        return DONE

    async def _finish(self, message: OutboundMessage, status: M, detail: str) -> None:
        await self._finishes.call(_Finish([], StatusChange(message, status, detail)))

    async def _opted_out(self, message: OutboundMessage) -> bool:
        """Whether the recipient sent STOPP after the message was accepted (scheduled
        and waiting messages are checked again before they go)."""
        async with self.ctx.storage.read() as tx:
            number = message.number or message.sender
            found = await tx.mt_messages.opted_out(number, [message.recipient])
        return bool(found)

    def _retry(self, job: Job, error: str) -> Outcome:
        return retry_or_dead(self.policy, job, self.ctx.clock(), self.random.random(), error)

    async def _load_many(self, ids: list[int]) -> list[tuple[OutboundMessage | None, list[Part]]]:
        async with self.ctx.storage.read() as tx:
            found = await tx.mt_messages.get_many(ids)
            parts = await tx.mt_parts.parts_of_many(ids)
        return [(found.get(id_), parts.get(id_, [])) for id_ in ids]

    async def _store_parts(self, parts: list[NewPart]) -> list[None]:
        async def write(tx: SendTx) -> None:
            await tx.mt_parts.add(parts)

        await self.ctx.storage.write(write)
        return [None] * len(parts)

    async def _finish_many(self, items: list[_Finish]) -> list[None]:
        """Last parts and status changes of many sends, in one write."""
        now = self.ctx.clock()

        async def write(tx: SendTx) -> None:
            await tx.mt_parts.add([part for item in items for part in item.parts])
            await change_statuses(tx, [item.change for item in items], now)

        await self.ctx.storage.write(write)
        return [None] * len(items)
