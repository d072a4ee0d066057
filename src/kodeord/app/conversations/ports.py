"""The port of the conversation threads (adapters/db/conversations.py reads them).

A thread is a customer's messages with one phone on one short number: the MO routed to
the customer (any destination, by keyword, dialog ID, session or hand-over) and the MT it
sent. Dialog-ID addresses belong to their base number's thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from kodeord.domain.messages import Direction


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    number: str
    phone: str
    last_id: int
    last_at: datetime
    last_text: str
    last_direction: Direction
    unread: int  # MO newer than what the customer has read


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    id: int
    direction: Direction
    text: str
    at: datetime
    status: str
    address: str  # the short number side: 2077, or 20770421 with a dialog ID


class ThreadStore(Protocol):
    async def threads(
        self, customer_id: int, search: str | None, limit: int, offset: int
    ) -> list[ThreadSummary]:
        """Newest activity first; `search` matches the phone or any text of the thread."""
        ...

    async def messages(
        self, customer_id: int, number: str, phone: str, limit: int
    ) -> Sequence[ThreadMessage]:
        """The newest `limit` messages of the thread, oldest first."""
        ...

    async def mark_read(
        self, customer_id: int, number: str, phone: str, up_to: int, now: datetime
    ) -> None:
        """Everything up to message `up_to` is read (never moves back)."""
        ...

    async def newest(self, customer_id: int) -> int:
        """The id of the customer's newest message (0: none); one indexed read."""
        ...

    async def unread(self, customer_id: int) -> int:
        """The customer's unread MO in all its threads."""
        ...


class ConversationTx(Protocol):
    @property
    def conversations(self) -> ThreadStore: ...
