"""Webhook signing secrets in the Standard Webhooks shape: `whsec_<base64 key>`.

The key is random bytes in standard base64 (the alphabet the `standardwebhooks`
package decodes), padded. The spec asks for keys of 24 to 64 bytes; we generate 32
(the caller passes the random bytes, e.g. `secrets.token_bytes(SECRET_BYTES)`).
Validation accepts padded or unpadded base64 and rejects anything else, so a secret
that passes here is one the signer can use.
"""

from __future__ import annotations

import base64
import binascii

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64


def new_signing_secret(random_bytes: bytes) -> str:
    """`whsec_` + base64 of the given random bytes (24 to 64 of them)."""
    if not MIN_SECRET_BYTES <= len(random_bytes) <= MAX_SECRET_BYTES:
        raise ValueError(f"a signing key is {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes")
    return SECRET_PREFIX + base64.b64encode(random_bytes).decode()


def signing_key(secret: str) -> bytes | None:
    """The key bytes of a well-formed secret, or None when the secret has not our shape."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        return None
    return key if MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES else None


def is_valid_signing_secret(secret: str) -> bool:
    return signing_key(secret) is not None
