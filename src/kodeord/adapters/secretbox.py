"""Secrets at rest: operator-link passwords and webhook signing secrets, sealed with Fernet.

Rules:
- A stored secret is a Fernet token (AES-128-CBC + HMAC-SHA256, `cryptography`). The
  keys come from `KODEORD_SECRET_KEY` (comma-separated; the first seals, every one opens,
  so keys can be rotated) or else from the key file `var/secret.key` (same format, one
  key a line allowed), created owner-only (0600) on the first start.
- A stored value that is not a Fernet token is plain text from before encryption: it
  opens as itself (a node of an older version may still write one during an upgrade),
  and `app/stored_secrets.py` seals it at the next start.
- A token no key opens raises SecretKeyError, whose message names the remedy and never
  a key or a secret.
- Tests that build a `Context` without a box get `SecretBox.for_this_process()` (from
  `wiring.make_context`): a key made in memory for the process, shared by every Context
  in it and never stored, so nothing sealed with it can be read after the process ends.
  `kodeord serve` always passes a box from the key setting.
- `SecretBox` is the app's `SecretSealer` port (app/ports.py).
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from kodeord.config import SettingsError

SECRET_KEY_FILE = Path("var/secret.key")
_TOKEN_VERSION = 0x80
_TOKEN_OVERHEAD = 1 + 8 + 16 + 32  # version, timestamp, IV, HMAC
_process_box: SecretBox | None = None
_process_lock = threading.Lock()


class SecretKeyError(SettingsError):
    """The secret key is malformed, or no configured key opens a stored secret."""


def is_sealed(stored: str) -> bool:
    """Whether a stored value is a Fernet token (else it is plain text from before)."""
    try:
        raw = base64.b64decode(stored.encode(), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return False
    ciphertext = len(raw) - _TOKEN_OVERHEAD
    return raw[:1] == bytes([_TOKEN_VERSION]) and ciphertext >= 16 and ciphertext % 16 == 0


def parse_keys(text: str, source: str) -> list[bytes]:
    """Fernet keys from a comma- or line-separated list; SecretKeyError names the source."""
    keys = [part.strip().encode() for part in text.replace("\n", ",").split(",") if part.strip()]
    if not keys:
        raise SecretKeyError(f"{source} holds no key")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, binascii.Error):
            raise SecretKeyError(
                f"key {position} in {source} is not a Fernet key (32 bytes in url-safe "
                "base64, e.g. from `kodeord secrets new-key`)"
            ) from None
    return keys


class SecretBox:
    """Seals and opens stored secrets with the configured keys (the first one seals)."""

    def __init__(self, keys: Sequence[bytes], source: str = "KODEORD_SECRET_KEY") -> None:
        if not keys:
            raise SecretKeyError(f"{source} holds no key")
        self.source = source
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def __repr__(self) -> str:
        return f"SecretBox(source={self.source!r})"  # never the keys

    @classmethod
    def for_this_process(cls) -> SecretBox:
        """A key made in memory for this process only (see the module docstring)."""
        global _process_box
        with _process_lock:
            if _process_box is None:
                _process_box = cls([Fernet.generate_key()], "a key for this process only")
            return _process_box

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def is_sealed(self, stored: str) -> bool:
        return is_sealed(stored)

    def open(self, stored: str) -> str:
        """The secret in a stored value (plain text from before opens as itself)."""
        if not is_sealed(stored):
            return stored
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            raise SecretKeyError(self._no_key_message()) from None

    def reseal(self, stored: str) -> str:
        """The value sealed with the first key (rotation; plain text gets sealed)."""
        if not is_sealed(stored):
            return self.seal(stored)
        try:
            return self._fernet.rotate(stored.encode()).decode()
        except InvalidToken:
            raise SecretKeyError(self._no_key_message()) from None

    def _no_key_message(self) -> str:
        return (
            f"a stored secret was sealed with a key that is not in {self.source}: every node "
            "needs the same KODEORD_SECRET_KEY (keep the old key after the new one until "
            "`kodeord secrets rotate` has run)"
        )


def new_key() -> str:
    return Fernet.generate_key().decode()


def load_box(
    setting: str | None, key_file: Path = SECRET_KEY_FILE, *, create: bool = True
) -> tuple[SecretBox, bool]:
    """The box from KODEORD_SECRET_KEY, else from the key file (made 0600 when missing
    and `create`). Returns the box and whether the key file was created just now."""
    if setting is not None and setting.strip():
        return SecretBox(parse_keys(setting, "KODEORD_SECRET_KEY")), False
    if not create and not key_file.exists():
        raise SecretKeyError(f"no key: set KODEORD_SECRET_KEY or keep the key in {key_file}")
    created = _create_key_file(key_file)
    key_file.chmod(0o600)
    try:
        text = key_file.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretKeyError(f"cannot read the key file {key_file}: {exc}") from None
    source = f"the key file {key_file}"
    return SecretBox(parse_keys(text, source), source), created


def _create_key_file(path: Path) -> bool:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as file:
        file.write(new_key() + "\n")
    return True
