"""The SMPP server for customers: they bind to us (we are their SMSC) and send SMS.

- Accounts: the admin issues `(system_id, password)` per customer; only a salted scrypt
  hash of the password is stored (8 characters is all SMPP allows, so the hash must be
  slow). A bind is checked against the account row every time (so a revoked account
  cannot bind), and a successful check is remembered in memory so a reconnecting client
  does not pay for scrypt again. Revoking closes this process's open binds of it.
- An unknown or revoked system_id and a wrong password are refused alike
  (ESME_RINVPASWD), and an unknown one costs a scrypt too, so neither the answer nor its
  time tells which accounts exist. At most `max_password_checks` scrypts run at once
  (the rest wait), so a flood of binds cannot take every core; the SMPP server's
  throttle (ServerLimits) keeps a guesser from getting that far often.
- `submit_sm` / `data_sm` take the path of `POST /v1/messages` (`Outbound.accept`, with
  origin `smpp:<system_id>`), so the same checks refuse the same things; each refusal
  code maps to one SMPP status (`REFUSALS`). The submit_sm_resp is sent after the
  message is stored and carries our message id. A UDH that does not fit its message
  (UDHI set with a UDHL or element past the end) is refused first (ESME_RINVMSGLEN /
  ESME_RINVESMCLASS, message.body_status).
- Long messages: message_payload is taken whole. UDH or sar_* parts are held in memory
  per (system_id, source, destination, reference) until the last one comes (for at most
  `PART_TIMEOUT`); each held part is acknowledged at once with a provisional id, and the
  part that completes the message gets the result of storing the whole (our id, or the
  refusal). Held parts are not durable: a restart loses them, like an SMSC that loses
  its reassembly buffer; the customer sees no DLR for such a message.
- Receipts (`smpp_deliver` jobs) for messages submitted over SMPP with
  registered_delivery, once they reach a final status, go back as deliver_sm (esm_class
  0x04, Appendix B text and the receipted_message_id / message_state TLVs) to any of the
  customer's binds that can receive; while none is bound the job waits (`wait_for_bind`),
  so receipts are kept until the customer binds.
- MO whose route is `smpp` go to the same binds as deliver_sm (app/pipeline.py asks
  `deliver_mo`); while none is bound the deliver job waits the same way.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db import messages as messages_repo
from kodeord.adapters.db import repository as customers_repo
from kodeord.adapters.db import smpp_accounts as repo
from kodeord.adapters.delivery import DeliveryOutcome, Stopwatch
from kodeord.adapters.queue import Job, JobQueue
from kodeord.adapters.smpp_io import (
    BindRequest,
    ConnectionClosed,
    RequestFailed,
    ServerLimits,
    SmppConnection,
    SmscServer,
)
from kodeord.app.context import Context
from kodeord.app.errors import Conflict, Invalid, NotFound
from kodeord.app.mt.outbound import MtRequest, Outbound, smpp_status_name
from kodeord.app.worker import DONE, Dead, Outcome, RetryAt, retry_or_dead
from kodeord.domain.retry import RetryPolicy
from kodeord.smpp.concat import Reassembler
from kodeord.smpp.constants import CommandStatus, MessageState
from kodeord.smpp.message import body_status, compose, decode_parts, encoding_of, read_body
from kodeord.smpp.pdu import DataSm, DeliverSm, Pdu, SubmitSm
from kodeord.smpp.receipt import Receipt, build_receipt_text, build_receipt_tlvs
from kodeord.smpp.text import Encoding
from kodeord.smpp.tlv import tlvs_from_raw

log = structlog.get_logger(__name__)
S = CommandStatus

PART_TIMEOUT = 120.0  # seconds a long message's parts are held for its missing ones
DELIVER_TIMEOUT = 20.0  # a deliver_sm to a customer's bind: its deliver_sm_resp
MAX_BIND_WAIT = timedelta(seconds=30)  # the longest pause between looks for a bind
SYSTEM_ID = re.compile(r"[A-Za-z0-9_.-]{1,15}")
RECEIVING = frozenset({"receiver", "transceiver"})

REFUSALS: dict[str, int] = {
    "unknown_sender": S.ESME_RINVSRCADR,
    "sender_not_allowed": S.ESME_RINVSRCADR,
    "invalid_recipient": S.ESME_RINVDSTADR,
    "empty_text": S.ESME_RINVMSGLEN,
    "text_too_long": S.ESME_RINVMSGLEN,
    "recipient_opted_out": S.ESME_RX_P_APPN,
    "send_at_in_past": S.ESME_RINVSCHED,
    "send_at_too_far": S.ESME_RINVSCHED,
    "invalid_send_at": S.ESME_RINVSCHED,
    "invalid_validity": S.ESME_RINVEXPIRY,
}
"""Outbound.accept's refusal codes as SMPP statuses; any other code: ESME_RSUBMITFAIL."""

RECEIPT_STATES: dict[str, MessageState] = {
    "delivered": MessageState.DELIVERED,
    "failed": MessageState.UNDELIVERABLE,
    "expired": MessageState.EXPIRED,
    "rejected": MessageState.REJECTED,
    "deleted": MessageState.DELETED,
    "unknown": MessageState.UNKNOWN,
}
"""The final message statuses a receipt is sent for, and the state it reports."""


# --- passwords -----------------------------------------------------------------------

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 24}
_DECOY_HASH = "scrypt$AAAAAAAAAAAAAAAAAAAAAA$" + "A" * 32
"""Checked against for an unknown system_id: as slow as a real account, never a match."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def hash_password(password: str, salt: bytes) -> str:
    """`scrypt$<salt>$<hash>` (62 characters with a 16-octet salt)."""
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${_b64(salt)}${_b64(digest)}"


def password_matches(password: str, stored: str) -> bool:
    scheme, _, rest = stored.partition("$")
    salt_text, _, _ = rest.partition("$")
    if scheme != "scrypt" or not salt_text:
        return False
    salt = base64.urlsafe_b64decode(salt_text + "=" * (-len(salt_text) % 4))
    return hmac.compare_digest(hash_password(password, salt), stored)


# --- SMPP times (SMPP 3.4 section 7.1.1) ----------------------------------------------

_TIME = re.compile(r"(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d)(\d{2})([-+R])")


def parse_smpp_time(text: str, now: datetime) -> datetime | None:
    """The moment an absolute (`YYMMDDhhmmsstnn±`) or relative (`…R`) time names;
    None when empty. Raises ValueError when unreadable. Relative months count 30 days
    and years 365."""
    if not text:
        return None
    match = _TIME.fullmatch(text)
    if match is None:
        raise ValueError(f"not an SMPP time: {text!r}")
    yy, mo, dd, hh, mi, ss, tenths, nn = (int(g) for g in match.groups()[:8])
    sign = match[9]
    if sign == "R":
        days = yy * 365 + mo * 30 + dd
        return now + timedelta(days=days, hours=hh, minutes=mi, seconds=ss)
    offset = timedelta(minutes=15 * nn) * (1 if sign == "+" else -1)
    local = datetime(2000 + yy, mo, dd, hh, mi, ss, tenths * 100_000)
    return (local - offset).replace(tzinfo=UTC)


# --- accounts --------------------------------------------------------------------------


def account_view(row: Any) -> dict[str, Any]:
    return {
        "system_id": row.system_id,
        "customer_id": row.customer_id,
        "created_at": row.created_at,
        "revoked_at": row.revoked_at,
    }


async def create_account(
    ctx: Context, customer_id: int, system_id: str | None = None
) -> dict[str, Any]:
    """A new SMPP account; its password is returned this once (only a hash is kept)."""
    if system_id is not None and not SYSTEM_ID.fullmatch(system_id):
        raise Invalid(
            "invalid_system_id",
            "system_id must be 1 to 15 letters, digits, '.', '_' or '-'",
            field="system_id",
        )
    password = _b64(ctx.random_bytes(6))  # 8 characters: SMPP's maximum
    password_hash = await asyncio.to_thread(hash_password, password, ctx.random_bytes(16))
    wanted = ""
    for _ in range(5):  # a generated system_id that is taken: draw again
        wanted = system_id or f"k{customer_id}{ctx.random_bytes(3).hex()}"[:15]

        async def insert(conn: AsyncConnection, wanted: str = wanted) -> Any:
            if await customers_repo.get_customer(conn, customer_id) is None:
                raise NotFound("customer_not_found", f"no customer {customer_id}")
            return await repo.insert_account(conn, customer_id, wanted, password_hash, ctx.clock())

        row = await ctx.db.write(insert)
        if row is not None:
            return {**account_view(row), "password": password}
        if system_id is not None:
            break
    raise Conflict("system_id_taken", f"the system_id {wanted!r} is taken")


async def list_accounts(ctx: Context, customer_id: int) -> list[dict[str, Any]]:
    async with ctx.db.read() as conn:
        if await customers_repo.get_customer(conn, customer_id) is None:
            raise NotFound("customer_not_found", f"no customer {customer_id}")
        return [account_view(row) for row in await repo.accounts_of(conn, customer_id)]


async def revoke_account(
    ctx: Context, system_id: str, server: CustomerSmpp | None
) -> dict[str, Any]:
    """Revoke the account and close this process's binds of it."""

    async def revoke(conn: AsyncConnection) -> Any:
        return await repo.revoke_account(conn, system_id, ctx.clock())

    row = await ctx.db.write(revoke)
    if row is None:
        raise NotFound("smpp_account_not_found", f"no SMPP account {system_id!r}")
    if server is not None:
        await server.close_binds(system_id)
    return account_view(row)


# --- the server ------------------------------------------------------------------------


class CustomerSmpp:
    """Customers' binds: authentication, submits, receipts and MO back to them."""

    def __init__(
        self,
        ctx: Context,
        queue: JobQueue,
        outbound: Outbound,
        policy: RetryPolicy | None = None,
        *,
        limits: ServerLimits | None = None,
        max_password_checks: int = 1,
    ) -> None:
        if max_password_checks < 1:
            raise ValueError("max_password_checks must be at least 1")
        self.ctx = ctx
        self.limits = limits or ServerLimits()
        self._password_checks = asyncio.Semaphore(max_password_checks)
        self.queue = queue
        self.outbound = outbound
        self.policy = policy or RetryPolicy()
        self.server: SmscServer | None = None
        self.address: tuple[str, int] | None = None
        self._customers: dict[str, int] = {}  # system_id → customer, from its last good bind
        self._verified: dict[str, tuple[str, bytes]] = {}  # system_id → (hash, sha256(pw))
        self._binds: dict[SmppConnection, int] = {}  # bound connection → customer
        self._parts = Reassembler(timeout=PART_TIMEOUT, max_groups=10_000)
        self._held_ids = count(1)
        self._turn = count()

    @property
    def handlers(self) -> dict[str, Any]:
        return {"smpp_deliver": self.send_receipt}

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Listen (OSError when the address cannot be used); the real address."""
        server = SmscServer(
            host,
            port,
            authenticate=self.authenticate,
            on_request=self.on_request,
            on_bound=self._bound,
            on_closed=self._closed,
            limits=self.limits,
        )
        self.address = await server.start()
        self.server = server
        return self.address

    async def stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            await server.stop()

    # --- binds ---------------------------------------------------------------------------

    async def authenticate(self, request: BindRequest) -> int:
        async with self.ctx.db.read() as conn:
            account = await repo.get_account(conn, request.system_id)
        if account is None or account.revoked_at is not None:
            await self._password_matches(request.password, _DECOY_HASH)
            return S.ESME_RINVPASWD  # as for a wrong password: no account enumeration
        presented = hashlib.sha256(request.password.encode()).digest()
        known = self._verified.get(request.system_id)
        if known is None or known[0] != account.password_hash:
            if not await self._password_matches(request.password, account.password_hash):
                return S.ESME_RINVPASWD
            self._verified[request.system_id] = (account.password_hash, presented)
        elif not hmac.compare_digest(known[1], presented):
            return S.ESME_RINVPASWD
        self._customers[request.system_id] = int(account.customer_id)
        return S.ESME_ROK

    async def _password_matches(self, password: str, stored: str) -> bool:
        """scrypt off the loop, at most `max_password_checks` at once."""
        async with self._password_checks:
            return await asyncio.to_thread(password_matches, password, stored)

    def _bound(self, conn: SmppConnection) -> None:
        self._binds[conn] = self._customers[conn.system_id]

    def _closed(self, conn: SmppConnection) -> None:
        self._binds.pop(conn, None)

    async def close_binds(self, system_id: str) -> None:
        self._verified.pop(system_id, None)
        conns = [conn for conn in self._binds if conn.system_id == system_id]
        async with asyncio.TaskGroup() as tg:
            for conn in conns:
                tg.create_task(conn.unbind(timeout=1.0))

    def receivers(self, customer_id: int, system_id: str | None = None) -> list[SmppConnection]:
        """The customer's binds that can take a deliver_sm, those of `system_id` first."""
        found = [
            conn
            for conn, owner in self._binds.items()
            if owner == customer_id and conn.bind_type in RECEIVING and conn.is_bound
        ]
        found.sort(key=lambda conn: conn.system_id != system_id)
        return found

    def wait_for_bind(self, job: Job) -> RetryAt:
        """The job waits for the customer to bind; the pause grows to MAX_BIND_WAIT."""
        pause = min(timedelta(seconds=2 ** min(job.attempts, 5)), MAX_BIND_WAIT)
        return RetryAt(self.ctx.clock() + pause, "no SMPP bind of the customer can receive")

    # --- submits -------------------------------------------------------------------------

    async def on_request(self, conn: SmppConnection, pdu: Pdu) -> None:
        if not isinstance(pdu, SubmitSm | DataSm):
            await conn.respond(pdu, S.ESME_RINVCMDID)
            return
        customer_id = self._binds.get(conn)
        if customer_id is None:  # closed while the request was on its way
            await conn.respond(pdu, S.ESME_RSYSERR)
            return
        refusal = body_status(pdu)
        if refusal is not None:
            log.info("smpp submit refused", system_id=conn.system_id, status=refusal.name)
            await conn.respond(pdu, refusal)
            return
        body = read_body(pdu)
        payloads: Sequence[bytes] | None = [body.payload]
        if body.concat is not None:
            now = time.monotonic()
            for group in self._parts.expire(now):
                log.warning("smpp parts dropped", key=group.key, got=len(group.parts))
            key = (conn.system_id, pdu.source_addr, pdu.destination_addr)
            concat = body.concat
            payloads = self._parts.add(key, concat.ref, concat.total, concat.seq, body.payload, now)
        if payloads is None:  # held until its other parts come
            await conn.respond(pdu, S.ESME_ROK, message_id=f"part-{next(self._held_ids)}")
            return
        status, message_id = await self._accept(conn, customer_id, pdu, payloads)
        await conn.respond(pdu, status, message_id=message_id)

    async def _accept(
        self,
        conn: SmppConnection,
        customer_id: int,
        pdu: SubmitSm | DataSm,
        payloads: Sequence[bytes],
    ) -> tuple[int, str]:
        """Store the message: (ESME_ROK, our id) or (the refusal's status, "")."""
        if encoding_of(pdu.data_coding) is Encoding.BINARY:
            return S.ESME_RSUBMITFAIL, ""  # 8-bit data is not a text we can send on
        now = self.ctx.clock()
        send_at, validity, refusal = None, None, None
        if isinstance(pdu, SubmitSm):
            send_at, validity, refusal = _schedule(pdu, now)
        if refusal is not None:
            return refusal, ""
        to = pdu.destination_addr
        if pdu.dest_addr_ton == 1 and not to.startswith("+"):
            to = "+" + to
        request = MtRequest(
            sender=pdu.source_addr,
            to=to,
            text=decode_parts(payloads, pdu.data_coding),
            send_at=send_at,
            validity_minutes=validity,
        )
        try:
            (accepted,) = await self.outbound.accept(
                customer_id,
                [request],
                origin=f"smpp:{conn.system_id}",
                wants_receipt=bool(pdu.registered_delivery & 0x03),
            )
        except Invalid as exc:
            log.info("smpp submit refused", system_id=conn.system_id, code=exc.code)
            return REFUSALS.get(exc.code, S.ESME_RSUBMITFAIL), ""
        except Exception:
            log.exception("smpp submit not stored", system_id=conn.system_id)
            return S.ESME_RSYSERR, ""
        return S.ESME_ROK, str(accepted.id)

    # --- receipts ------------------------------------------------------------------------

    async def on_status(self, conn: AsyncConnection, message: Any, status: str) -> None:
        """Outbound's status listener: queue the receipt for an SMPP-submitted message."""
        origin = getattr(message, "origin", None) or ""
        if status not in RECEIPT_STATES or not origin.startswith("smpp:"):
            return
        if not getattr(message, "wants_receipt", False):
            return
        payload = {"message_id": message.id, "status": status, "at": self.ctx.clock().isoformat()}
        await self.queue.enqueue(
            conn, "smpp_deliver", payload, dedupe_key=f"smpp_dlr:{message.id}:{status}"
        )

    async def send_receipt(self, job: Job) -> Outcome:
        payload = job.payload
        async with self.ctx.db.read() as conn:
            message = await messages_repo.get_message(conn, int(payload["message_id"]))
        if message is None or message.customer_id is None:
            return Dead("the message is gone")
        system_id = str(message.origin or "").partition(":")[2]
        conns = self.receivers(int(message.customer_id), system_id)
        if not conns:
            return self.wait_for_bind(job)
        receipt = Receipt(
            message_id=str(message.id),
            state=RECEIPT_STATES[payload["status"]],
            submitted=1,
            submit_date=_utc_naive(message.received_at),
            done_date=_utc_naive(datetime.fromisoformat(payload["at"])),
        )
        pdu = DeliverSm(
            source_addr_ton=1,
            source_addr_npi=1,
            source_addr=message.recipient.lstrip("+"),
            destination_addr=message.sender,
            esm_class=0x04,
            short_message=build_receipt_text(receipt).encode("ascii"),
            tlvs=tlvs_from_raw(build_receipt_tlvs(receipt)),
        )
        try:
            response = await conns[0].request(pdu, timeout=DELIVER_TIMEOUT)
        except (ConnectionClosed, RequestFailed, TimeoutError) as exc:
            return self._retry(job, f"receipt to {conns[0].system_id}: {exc!r}")
        if response.command_status != S.ESME_ROK:
            return self._retry(job, f"receipt refused: {smpp_status_name(response.command_status)}")
        return DONE

    def _retry(self, job: Job, error: str) -> Outcome:
        return retry_or_dead(self.policy, job, self.ctx.clock(), 0.5, error)

    # --- MO --------------------------------------------------------------------------------

    async def deliver_mo(self, message: Any) -> tuple[str, DeliveryOutcome] | None:
        """One attempt to hand an MO to a bind of its customer as deliver_sm: (the bind's
        system_id, outcome), or None when no bind of the customer can receive."""
        conns = self.receivers(int(message.customer_id))
        if not conns:
            return None
        conn = conns[next(self._turn) % len(conns)]
        sender = str(message.sender)
        watch = Stopwatch()
        for part in compose(message.text, ref=message.id % 256).parts:
            pdu = DeliverSm(
                source_addr_ton=1 if sender.startswith("+") else 0,
                source_addr_npi=1 if sender.startswith("+") else 0,
                source_addr=sender.lstrip("+"),
                destination_addr=message.recipient,
                esm_class=part.esm_class_bits,
                data_coding=part.data_coding,
                short_message=part.short_message,
                tlvs=part.tlvs,
            )
            try:
                response = await conn.request(pdu, timeout=DELIVER_TIMEOUT)
            except (ConnectionClosed, RequestFailed, TimeoutError) as exc:
                return conn.system_id, DeliveryOutcome.failed(repr(exc), watch.elapsed_ms())
            status = response.command_status
            if status != S.ESME_ROK:
                error = f"deliver_sm refused: {smpp_status_name(status)}"
                return conn.system_id, DeliveryOutcome.failed(
                    error, watch.elapsed_ms(), status_code=status
                )
        return conn.system_id, DeliveryOutcome(True, None, None, watch.elapsed_ms(), False)


def _schedule(pdu: SubmitSm, now: datetime) -> tuple[datetime | None, int | None, int | None]:
    """(send_at, validity minutes, refusal status) from a submit_sm's times."""
    try:
        send_at = parse_smpp_time(pdu.schedule_delivery_time, now)
    except ValueError:
        return None, None, S.ESME_RINVSCHED
    try:
        expires = parse_smpp_time(pdu.validity_period, now)
    except ValueError:
        return None, None, S.ESME_RINVEXPIRY
    validity = None
    if expires is not None:
        seconds = (expires - max(now, send_at or now)).total_seconds()
        validity = max(0, int(-(-seconds // 60)))  # whole minutes, rounded up
    return send_at, validity, None


def _utc_naive(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None)
