"""Secrets at rest as a whole: checked and sealed at start, re-sealed by rotation.

The stored secrets are operator-link passwords and webhook signing secrets
(`adapters/db/messages.stored_secrets`). Rules:
- At start (`Gateway.start`), every sealed secret must open with the configured keys,
  else the gateway does not start (SecretKeyError: a wrong or missing key is one clear
  error, not a failed delivery per message). Plain text left from before encryption is
  sealed with the first key. Sealed secrets stay as they are (nodes that start during a
  key change do not rewrite each other's secrets).
- `kodeord secrets rotate` re-seals every secret with the first key.
- Both check every row before they write any, in one transaction; a row that changed
  meanwhile (a secret rotated by its customer) is left to its newer value.
"""

from __future__ import annotations

from dataclasses import dataclass

from kodeord.adapters.db import messages as repo
from kodeord.adapters.db.engine import Database
from kodeord.adapters.secretbox import SecretBox, is_sealed


@dataclass(frozen=True, slots=True)
class Resealed:
    checked: int  # secrets that opened
    rewritten: int  # secrets stored anew


async def seal_at_start(db: Database, box: SecretBox) -> Resealed:
    """Check every sealed secret opens; seal the plain-text ones."""
    return await _reseal(db, box, rotate=False)


async def rotate(db: Database, box: SecretBox) -> Resealed:
    """Re-seal every stored secret with the box's first key."""
    return await _reseal(db, box, rotate=True)


async def _reseal(db: Database, box: SecretBox, *, rotate: bool) -> Resealed:
    async with db.transaction() as conn:
        rows = await repo.stored_secrets(conn)
        for _, _, stored in rows:
            box.open(stored)  # raises SecretKeyError before anything is written
        due = [
            (table, key, stored) for table, key, stored in rows if rotate or not is_sealed(stored)
        ]
        rewritten = 0
        for table, key, stored in due:
            rewritten += await repo.replace_secret(conn, table, key, stored, box.reseal(stored))
    return Resealed(len(rows), rewritten)
