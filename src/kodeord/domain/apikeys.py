"""API keys: `<prefix>_<id>_<secret>`, of which we store only a hash.

The id lets us find the key's row without a scan; it is a positive BIGINT (at most
2^63-1), and a presented key with a larger id is not one of ours (the database driver
would overflow before we could answer 401); the secret is 32 random bytes in
URL-safe base64, so one SHA-256 is enough (no password stretching needed for 256 bits
of entropy). Comparison is constant-time. Randomness comes in as an argument.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

KEY_PREFIX = "ko"
MAX_KEY_ID = 2**63 - 1  # a BIGINT column
_KEY = re.compile(r"(?P<prefix>[a-z]+)_(?P<id>[1-9][0-9]{0,18})_(?P<secret>[A-Za-z0-9_-]{20,100})")


@dataclass(frozen=True, slots=True)
class ParsedKey:
    prefix: str
    key_id: int
    secret: str


def new_secret(random_bytes: bytes) -> str:
    """Encode random bytes (32 or more) as the secret part of a key."""
    return base64.urlsafe_b64encode(random_bytes).decode().rstrip("=")


def format_key(key_id: int, secret: str, prefix: str = KEY_PREFIX) -> str:
    return f"{prefix}_{key_id}_{secret}"


def parse_key(token: str) -> ParsedKey | None:
    """Split a presented key into its parts, or None when it has not our shape."""
    match = _KEY.fullmatch(token)
    if match is None or int(match["id"]) > MAX_KEY_ID:
        return None
    return ParsedKey(match["prefix"], int(match["id"]), match["secret"])


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def display_prefix(key_id: int, prefix: str = KEY_PREFIX) -> str:
    """How a listing names a key: `ko_12_`, the start of the key its holder has."""
    return f"{prefix}_{key_id}_"
