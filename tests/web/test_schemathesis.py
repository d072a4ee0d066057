"""schemathesis against the running gateway, with every response check on.

Cases are generated from the OpenAPI document for every route, sent over real HTTP to
the world of two tenants (tests/web/world.py), once with the admin token and once with
tenant A's key. A case passes when the gateway never answers 5xx, answers only statuses
and bodies the document declares, with the declared content type and headers. Bounded:
a few examples per route and caller, derandomised so a run is repeatable.

`POST /v1/operator-links` is left out: a link it adds starts binding to the host it
names at once, and generated hosts would send DNS look-ups and connections off this
machine (its input checks are tested in tests/web/test_input_bounds.py).

`positive_data_acceptance` is left out: a request that fits the schema is still refused
by the gateway's own rules (a keyword already taken, a number that does not exist, a
time in the past), and those refusals are declared 4xx answers, not faults.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from tests.web.world import World

SETTINGS = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _check_operation(operation: Any, world: World, token: str) -> int:
    """Run the operation's cases; how many were sent."""
    sent = []

    @given(case=operation.as_strategy())
    @SETTINGS
    def run(case: Any) -> None:
        case.call_and_validate(
            base_url=world.api.base_url,
            headers={"Authorization": token},
            excluded_checks=[positive_data_acceptance],
        )
        sent.append(1)

    run()
    return len(sent)


@pytest.mark.parametrize("caller", ["admin", "customer"])
def test_no_server_error_and_answers_as_documented(world: World, caller: str) -> None:
    client = world.admin if caller == "admin" else world.a.client
    token = client.headers["Authorization"]
    schema = schemathesis.openapi.from_url(f"{world.api.base_url}/openapi.json")
    failures: list[str] = []
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().label != "POST /v1/operator-links"
    ]
    assert len(operations) > 40
    sent = 0
    for operation in operations:
        try:
            sent += _check_operation(operation, world, token)
        except Exception as exc:  # every operation's failure is reported, not only the first
            failures.append(f"{operation.label}: {str(exc)[:2000]}")
    assert not failures, "\n\n".join(failures)
    assert sent >= 2 * len(operations)  # cases really went out, for every operation
