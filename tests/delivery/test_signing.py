"""Signing secrets: our shape is exactly what the `standardwebhooks` library signs with."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks import Webhook

from kodeord.domain.signing import is_valid_signing_secret, new_signing_secret, signing_key

KEY = bytes(range(32))


def test_a_new_secret_is_whsec_and_padded_base64() -> None:
    secret = new_signing_secret(KEY)
    assert secret == "whsec_" + base64.b64encode(KEY).decode()
    assert secret.endswith("=") and signing_key(secret) == KEY


@given(st.binary(min_size=24, max_size=64))
def test_the_library_signs_with_our_key(key: bytes) -> None:
    secret = new_signing_secret(key)
    at = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    expected = hmac.new(key, b"msg_1.1740830400.{}", hashlib.sha256).digest()
    assert Webhook(secret).sign("msg_1", at, "{}") == "v1," + base64.b64encode(expected).decode()
    assert signing_key(secret) == key


@pytest.mark.parametrize("size", [0, 16, 23, 65, 128])
def test_keys_outside_24_to_64_bytes_are_refused(size: int) -> None:
    with pytest.raises(ValueError):
        new_signing_secret(b"k" * size)


GOOD = new_signing_secret(KEY)


@pytest.mark.parametrize(
    ("secret", "valid"),
    [
        (GOOD, True),
        (GOOD.rstrip("="), True),  # unpadded, as some providers hand them out
        (new_signing_secret(b"k" * 24), True),
        (new_signing_secret(b"k" * 64), True),
        ("whsec_" + base64.b64encode(b"k" * 23).decode(), False),
        ("whsec_" + base64.b64encode(b"k" * 65).decode(), False),
        (GOOD.removeprefix("whsec_"), False),
        ("whsec" + GOOD.removeprefix("whsec_"), False),
        ("WHSEC_" + GOOD.removeprefix("whsec_"), False),
        ("whsec_", False),
        ("", False),
        ("whsec_" + base64.urlsafe_b64encode(b"\xfb\xff" * 16).decode(), False),  # - and _
        (GOOD[:20] + " " + GOOD[20:], False),
        (GOOD + "\n", False),
        (GOOD + "==", False),
        ("whsec_!!!!" + GOOD[10:], False),
    ],
)
def test_secret_shape(secret: str, valid: bool) -> None:
    assert is_valid_signing_secret(secret) is valid
