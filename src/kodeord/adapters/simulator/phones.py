"""Virtual phones: what each phone in the simulator received, long messages reassembled.

No I/O here: the simulator's SMPP side hands in each submit_sm part with the time, and
the phone book keeps whole messages. Parts of a long message are joined when the last
one arrives (in any order); parts still missing after `reassembly_timeout` are kept as
an incomplete message with what came, as a real handset would show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from kodeord.smpp.concat import Reassembler
from kodeord.smpp.message import IncomingPart, decode_parts


def phone_key(address: str) -> str:
    """One key for `+4741234567`, `4741234567` and `004741234567`."""
    digits = address.strip().lstrip("+")
    return digits[2:] if digits.startswith("00") else digits


@dataclass(slots=True)
class ReceivedMessage:
    sender: str
    text: str
    data_coding: int
    parts: int
    message_ids: list[str]
    received_at: datetime
    complete: bool = True

    def view(self) -> dict[str, object]:
        return {
            "from": self.sender,
            "text": self.text,
            "data_coding": self.data_coding,
            "parts": self.parts,
            "message_ids": self.message_ids,
            "received_at": self.received_at.isoformat(),
            "complete": self.complete,
        }


@dataclass(slots=True)
class PhoneBook:
    reassembly_timeout: float = 60.0
    inboxes: dict[str, list[ReceivedMessage]] = field(default_factory=dict)
    _reassembler: Reassembler = field(init=False)
    _groups: dict[tuple[str, str, int, int], tuple[int, list[str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._reassembler = Reassembler(timeout=self.reassembly_timeout)

    def receive(
        self,
        sender: str,
        recipient: str,
        part: IncomingPart,
        message_id: str,
        now: float,
        wall: datetime,
    ) -> ReceivedMessage | None:
        """File one part; returns the whole message when it is complete."""
        key = phone_key(recipient)
        if part.concat is None or part.concat.total == 1:
            text = decode_parts([part.payload], part.data_coding)
            return self._file(
                key, ReceivedMessage(sender, text, part.data_coding, 1, [message_id], wall)
            )
        concat = part.concat
        group = (key, sender, concat.ref, concat.total)
        self._groups.setdefault(group, (part.data_coding, []))[1].append(message_id)
        payloads = self._reassembler.add(
            (key, sender), concat.ref, concat.total, concat.seq, part.payload, now
        )
        if payloads is None:
            return None
        _, ids = self._groups.pop(group, (part.data_coding, [message_id]))
        text = decode_parts(payloads, part.data_coding)
        message = ReceivedMessage(sender, text, part.data_coding, concat.total, ids, wall)
        return self._file(key, message)

    def expire(self, now: float, wall: datetime) -> None:
        """Keep what came of long messages whose other parts never arrived."""
        for group in self._reassembler.expire(now):
            recipient, sender = cast(tuple[str, str], group.key)
            payloads = [payload for _, payload in group.parts]
            coding, ids = self._groups.pop((recipient, sender, group.ref, group.total), (0, []))
            text = decode_parts(payloads, coding)
            message = ReceivedMessage(sender, text, coding, group.total, ids, wall, complete=False)
            self._file(recipient, message)

    def _file(self, key: str, message: ReceivedMessage) -> ReceivedMessage:
        self.inboxes.setdefault(key, []).append(message)
        return message

    def messages(self, address: str) -> list[ReceivedMessage]:
        return list(self.inboxes.get(phone_key(address), []))
