"""Secrets at rest as a whole: checked and sealed at start, re-sealed by rotation.

The stored secrets are operator-link passwords and webhook signing secrets (`tx.secrets`,
the `SecretStore` below; adapters/db/secrets.py). Rules:
- At start (`Gateway.start`), every sealed secret must open with the configured keys,
  else the gateway does not start (the sealer's error: a wrong or missing key is one
  clear error, not a failed delivery per message). Plain text left from before
  encryption is sealed with the first key. Sealed secrets stay as they are (nodes that
  start during a key change do not rewrite each other's secrets).
- `kodeord secrets rotate` re-seals every secret with the first key.
- Both check every row before they write any, in one transaction; a row that changed
  meanwhile (a secret rotated by its customer) is left to its newer value.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from kodeord.app.ports import SecretSealer, Storage


class SecretPlace(StrEnum):
    """Where a secret is stored."""

    SIGNING_SECRETS = "signing_secrets"  # a customer's webhook signing secret
    OPERATOR_LINKS = "operator_links"  # an operator link's password


@dataclass(frozen=True, slots=True)
class StoredSecret:
    place: SecretPlace
    key: int  # the row's: customer id or link id
    value: str  # as stored: sealed, or plain text from before sealing


class SecretStore(Protocol):
    async def all(self) -> list[StoredSecret]:
        """Every stored secret, by place and key (a stable order)."""
        ...

    async def replace(self, secret: StoredSecret, value: str) -> bool:
        """Store `value` in its place unless the row changed meanwhile; whether it did."""
        ...


class SecretsTx(Protocol):
    @property
    def secrets(self) -> SecretStore: ...


@dataclass(frozen=True, slots=True)
class Resealed:
    checked: int  # secrets that opened
    rewritten: int  # secrets stored anew


async def seal_at_start(storage: Storage[SecretsTx], sealer: SecretSealer) -> Resealed:
    """Check every sealed secret opens; seal the plain-text ones."""
    return await _reseal(storage, sealer, rotate=False)


async def rotate(storage: Storage[SecretsTx], sealer: SecretSealer) -> Resealed:
    """Re-seal every stored secret with the sealer's first key."""
    return await _reseal(storage, sealer, rotate=True)


async def _reseal(storage: Storage[SecretsTx], sealer: SecretSealer, *, rotate: bool) -> Resealed:
    async with storage.transaction() as tx:
        stored = await tx.secrets.all()
        for secret in stored:
            sealer.open(secret.value)  # raises before anything is written
        due = [s for s in stored if rotate or not sealer.is_sealed(s.value)]
        rewritten = 0
        for secret in due:
            rewritten += await tx.secrets.replace(secret, sealer.reseal(secret.value))
    return Resealed(len(stored), rewritten)
