"""`SqlTx`: one unit of work's repositories, all on the same connection.

A repository is a small class per concept (customers, keywords, messages, jobs …) whose
methods run SQL on the transaction's connection; the app sees them only through the
Protocols in each capability's `ports.py`. Properties build them on use: a repository is
one object around the connection, cheaper than deciding which ones a unit will need.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.api_keys import ApiKeyRepository
from kodeord.adapters.db.audit import AuditRepository
from kodeord.adapters.db.conversations import ConversationRepository
from kodeord.adapters.db.customer_settings import CustomerSettingsRepository
from kodeord.adapters.db.customers import CustomerRepository
from kodeord.adapters.db.dialogs import DialogRepository
from kodeord.adapters.db.keywords import (
    LeaseRepository,
    NumberRepository,
    ReservedWordRepository,
)
from kodeord.adapters.db.lifecycle import (
    BrandRepository,
    ClaimRepository,
    LeaseHistoryRepository,
    QuarantineRepository,
)
from kodeord.adapters.db.links import LinkRepository
from kodeord.adapters.db.message_log import MessageLogRepository
from kodeord.adapters.db.mo_messages import MoMessageRepository
from kodeord.adapters.db.mo_parts import MoPartRepository
from kodeord.adapters.db.mo_seen import MoSeenRepository
from kodeord.adapters.db.mt_messages import MtMessageRepository, PartRepository, SenderRepository
from kodeord.adapters.db.number_texts import NumberTextRepository
from kodeord.adapters.db.operator_inbox import OperatorInboxRepository
from kodeord.adapters.db.opt_outs import OptOutRepository
from kodeord.adapters.db.overview import OverviewRepository
from kodeord.adapters.db.registry import RoutingFactsRepository
from kodeord.adapters.db.retention import RetentionRepository
from kodeord.adapters.db.secrets import SecretRepository
from kodeord.adapters.db.send_limits import SendLimitRepository
from kodeord.adapters.db.smpp_accounts import SmppAccountRepository
from kodeord.adapters.db.users import (
    ConsoleSessionRepository,
    LoginFailureRepository,
    UserLinkRepository,
    UserRepository,
)
from kodeord.adapters.queue.jobs import JobQueue
from kodeord.app.jobs import Job, NewJob


class JobRepository:
    """The durable queue, inside the unit of work: enqueued jobs commit with it."""

    __slots__ = ("_conn", "_queue")

    def __init__(self, conn: AsyncConnection, queue: JobQueue) -> None:
        self._conn = conn
        self._queue = queue

    async def enqueue(
        self,
        kind: str,
        payload: Mapping[str, Any],
        *,
        run_at: datetime | None = None,
        dedupe_key: str | None = None,
    ) -> int | None:
        return await self._queue.enqueue(
            self._conn, kind, payload, run_at=run_at, dedupe_key=dedupe_key
        )

    async def enqueue_many(self, new_jobs: Sequence[NewJob]) -> list[int]:
        return await self._queue.enqueue_many(self._conn, new_jobs)

    async def enqueue_leased(
        self, new_jobs: Sequence[NewJob], worker: str, lease_seconds: float
    ) -> list[Job]:
        return await self._queue.enqueue_leased(self._conn, new_jobs, worker, lease_seconds)

    async def withdraw(self, dedupe_key: str, note: str) -> bool:
        return await self._queue.withdraw(self._conn, dedupe_key, note)

    async def complete(self, job_ids: Sequence[int], worker: str | None) -> set[int]:
        return await self._queue.complete_in(self._conn, job_ids, worker=worker)


class SqlTx:
    """The repositories of one unit of work."""

    __slots__ = ("_queue", "conn")

    def __init__(self, conn: AsyncConnection, queue: JobQueue) -> None:
        self.conn = conn
        self._queue = queue

    @property
    def jobs(self) -> JobRepository:
        return JobRepository(self.conn, self._queue)

    @property
    def mo_messages(self) -> MoMessageRepository:
        return MoMessageRepository(self.conn)

    @property
    def numbers(self) -> NumberRepository:
        return NumberRepository(self.conn)

    @property
    def reserved_words(self) -> ReservedWordRepository:
        return ReservedWordRepository(self.conn)

    @property
    def leases(self) -> LeaseRepository:
        return LeaseRepository(self.conn)

    @property
    def quarantine(self) -> QuarantineRepository:
        return QuarantineRepository(self.conn)

    @property
    def lease_history(self) -> LeaseHistoryRepository:
        return LeaseHistoryRepository(self.conn)

    @property
    def brands(self) -> BrandRepository:
        return BrandRepository(self.conn)

    @property
    def claims(self) -> ClaimRepository:
        return ClaimRepository(self.conn)

    @property
    def routing_facts(self) -> RoutingFactsRepository:
        return RoutingFactsRepository(self.conn)

    @property
    def mo_seen(self) -> MoSeenRepository:
        return MoSeenRepository(self.conn)

    @property
    def mo_parts(self) -> MoPartRepository:
        return MoPartRepository(self.conn)

    @property
    def opt_outs(self) -> OptOutRepository:
        return OptOutRepository(self.conn)

    @property
    def mt_messages(self) -> MtMessageRepository:
        return MtMessageRepository(self.conn)

    @property
    def mt_parts(self) -> PartRepository:
        return PartRepository(self.conn)

    @property
    def mt_senders(self) -> SenderRepository:
        return SenderRepository(self.conn)

    @property
    def conversations(self) -> ConversationRepository:
        return ConversationRepository(self.conn)

    @property
    def dialogs(self) -> DialogRepository:
        return DialogRepository(self.conn)

    @property
    def send_limits(self) -> SendLimitRepository:
        return SendLimitRepository(self.conn)

    @property
    def smpp_accounts(self) -> SmppAccountRepository:
        return SmppAccountRepository(self.conn)

    @property
    def message_log(self) -> MessageLogRepository:
        return MessageLogRepository(self.conn)

    @property
    def customer_settings(self) -> CustomerSettingsRepository:
        return CustomerSettingsRepository(self.conn)

    @property
    def number_texts(self) -> NumberTextRepository:
        return NumberTextRepository(self.conn)

    @property
    def links(self) -> LinkRepository:
        return LinkRepository(self.conn)

    @property
    def secrets(self) -> SecretRepository:
        return SecretRepository(self.conn)

    @property
    def customers(self) -> CustomerRepository:
        return CustomerRepository(self.conn)

    @property
    def api_keys(self) -> ApiKeyRepository:
        return ApiKeyRepository(self.conn)

    @property
    def operator_inbox(self) -> OperatorInboxRepository:
        return OperatorInboxRepository(self.conn)

    @property
    def audit(self) -> AuditRepository:
        return AuditRepository(self.conn)

    @property
    def retention(self) -> RetentionRepository:
        return RetentionRepository(self.conn)

    @property
    def users(self) -> UserRepository:
        return UserRepository(self.conn)

    @property
    def console_sessions(self) -> ConsoleSessionRepository:
        return ConsoleSessionRepository(self.conn)

    @property
    def login_failures(self) -> LoginFailureRepository:
        return LoginFailureRepository(self.conn)

    @property
    def user_links(self) -> UserLinkRepository:
        return UserLinkRepository(self.conn)

    @property
    def overview(self) -> OverviewRepository:
        return OverviewRepository(self.conn)
