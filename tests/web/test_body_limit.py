"""The body size limit holds while the body is read: a huge body from a stranger is
refused with 413 before it is parsed (or authenticated), and the server's memory stays
flat. Bodies are streamed by the test over a raw socket from a generator."""

from __future__ import annotations

import json
import resource
import select
import socket
import time
from collections.abc import Iterator

import pytest

from kodeord.config import SettingsError
from kodeord.web.limits import DEFAULT_MAX_BATCH_BODY, DEFAULT_MAX_BODY, BodyLimits
from tests.support import ApiServer

HUGE = 192 * 1024 * 1024
CHUNK = 64 * 1024


def _json(total: int) -> Iterator[bytes]:
    """A valid JSON body of `total` bytes (padded with spaces), so only its size is wrong."""
    head, tail = b'{"name": "x"', b"}"
    padding = total - len(head) - len(tail)
    yield head
    for _ in range(padding // CHUNK):
        yield b" " * CHUNK
    yield b" " * (padding % CHUNK) + tail


def _pieces(total: int, chunked: bool) -> Iterator[bytes]:
    for piece in _json(total):
        yield b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
    if chunked:
        yield b"0\r\n\r\n"


def _post(
    api: ApiServer, path: str, total: int, *, chunked: bool, token: str | None = None
) -> tuple[int, dict[str, str], bytes, int]:
    """POST `total` bytes; stop sending once the server answers. Returns the status, the
    headers, the body and how many body bytes were sent."""
    host, port = api.base_url.removeprefix("http://").split(":")
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
    sent = 0
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(f"{head}{auth}{length}\r\n\r\n".encode())
        for piece in _pieces(total, chunked):
            if select.select([sock], [], [], 0)[0]:
                break  # the answer came before the body was all sent
            try:
                sock.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        raw = _read_all(sock)
    head_text, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head_text.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body, sent


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass  # closed with our unread body in its buffer; the answer came first
    return data


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1])


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_192_mb_body_without_authorization_is_refused_before_parsing(
    api: ApiServer, chunked: bool
) -> None:
    rss_before, peak_before = _rss_kib(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    status, headers, body, sent = _post(api, "/v1/customers", HUGE, chunked=chunked)
    elapsed = time.monotonic() - started
    assert status == 413, body
    assert json.loads(body)["error"]["code"] == "too_large"
    assert headers["connection"] == "close"
    assert sent < 32 * 1024 * 1024  # the server stopped reading long before the end
    assert elapsed < 10
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert peak_after - peak_before < 64 * 1024, (peak_before, peak_after)  # KiB
    assert _rss_kib() - rss_before < 64 * 1024


@pytest.mark.parametrize(
    ("path", "size", "status"),
    [
        ("/v1/customers", DEFAULT_MAX_BODY - CHUNK, 401),  # under the limit: read, then 401
        ("/v1/customers", DEFAULT_MAX_BODY + CHUNK, 413),
        ("/v1/messages/batch", DEFAULT_MAX_BODY + CHUNK, 401),  # a batch may be larger
        ("/v1/messages/batch", DEFAULT_MAX_BATCH_BODY + CHUNK, 413),
    ],
)
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_the_limit_depends_on_the_route(
    api: ApiServer, path: str, size: int, status: int, chunked: bool
) -> None:
    got, _, body, _ = _post(api, path, size, chunked=chunked)
    assert got == status, body
    assert "code" in json.loads(body)["error"]


def test_an_admin_is_limited_too(api: ApiServer) -> None:
    status, _, body, _ = _post(
        api, "/v1/customers", DEFAULT_MAX_BODY + CHUNK, chunked=True, token=api.admin_token
    )
    assert status == 413 and json.loads(body)["error"]["code"] == "too_large"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, BodyLimits(DEFAULT_MAX_BODY, DEFAULT_MAX_BATCH_BODY)),
        ({"KODEORD_MAX_BODY_BYTES": "65536"}, BodyLimits(65536, DEFAULT_MAX_BATCH_BODY)),
        ({"KODEORD_MAX_BATCH_BODY_BYTES": " 4194304 "}, BodyLimits(DEFAULT_MAX_BODY, 4194304)),
        ({"KODEORD_MAX_BODY_BYTES": "1k"}, "KODEORD_MAX_BODY_BYTES"),
        ({"KODEORD_MAX_BODY_BYTES": "100"}, "KODEORD_MAX_BODY_BYTES"),
        ({"KODEORD_MAX_BATCH_BODY_BYTES": "-1"}, "KODEORD_MAX_BATCH_BODY_BYTES"),
    ],
)
def test_limits_from_the_environment(env: dict[str, str], expected: BodyLimits | str) -> None:
    if isinstance(expected, str):
        with pytest.raises(SettingsError, match=expected):
            BodyLimits.from_env(env)
    else:
        assert BodyLimits.from_env(env) == expected
