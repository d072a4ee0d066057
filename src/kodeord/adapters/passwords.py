"""Password hashing for console users: argon2id (argon2-cffi's RFC 9106 low-memory
profile), run in a thread so a sign-in does not stall the event loop.

`decoy` verifies against a fixed hash made at start, so an unknown address costs what a
wrong password costs. A hash made with weaker parameters still verifies (argon2 reads
them from the hash itself).
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._decoy = self._hasher.hash("decoy password, never anyone's")

    @classmethod
    def fast(cls) -> Argon2Passwords:
        """Cheap parameters for tests only: the same code path, a fraction of the cost."""
        return cls(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await asyncio.to_thread(self._check, password_hash, password)

    async def decoy(self, password: str) -> None:
        await asyncio.to_thread(self._check, self._decoy, password)

    def _check(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
