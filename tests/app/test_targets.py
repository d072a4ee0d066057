"""A refused webhook URL becomes the API's error by the kind of refusal (app/targets.py);
the webhook adapter's refusals carry their kind."""

from __future__ import annotations

import pytest

from kodeord.adapters.webhooks import RefusedAddress, RefusedTarget, UnresolvedHost
from kodeord.app.ports import TargetProblem, TargetRefused
from kodeord.app.targets import refusal

REFUSALS = [
    (
        TargetRefused("refused: invalid URL"),
        "invalid_route",
        "route.url: refused: invalid URL",
    ),
    (
        TargetRefused("refused: loopback address", TargetProblem.ADDRESS),
        "refused_target",
        "route.url: refused: loopback address; webhooks go only to public internet addresses",
    ),
    (
        TargetRefused("the host name does not resolve", TargetProblem.UNRESOLVED),
        "unresolvable_target",
        "route.url: the host name does not resolve; use a host name with a public address",
    ),
]


@pytest.mark.parametrize(("exc", "code", "message"), REFUSALS)
def test_a_refusal_becomes_an_invalid_error_naming_the_field(
    exc: TargetRefused, code: str, message: str
) -> None:
    error = refusal(exc, field="route.url", shape_code="invalid_route", lease_id=7)
    assert (error.status, error.code, error.message) == (422, code, message)
    assert error.details == {"field": "route.url", "lease_id": 7}


ADAPTER_KINDS = [
    (RefusedTarget("refused: not an http(s) URL"), TargetProblem.SHAPE),
    (RefusedAddress("refused: private address"), TargetProblem.ADDRESS),
    (UnresolvedHost("the host name does not resolve"), TargetProblem.UNRESOLVED),
]


@pytest.mark.parametrize(("exc", "kind"), ADAPTER_KINDS)
def test_the_webhook_adapter_refuses_with_the_apps_kinds(
    exc: TargetRefused, kind: TargetProblem
) -> None:
    assert isinstance(exc, TargetRefused) and exc.kind is kind
