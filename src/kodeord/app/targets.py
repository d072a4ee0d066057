"""Webhook and callback URLs checked when they are configured, not first at delivery.

A keyword's route, a customer's default route and an MT's `callback_url` go through
`check_url` before anything is stored (and outside any transaction: a lookup may take up
to 2 s). The check is `ctx.targets` (the `TargetCheck` port: adapters/webhooks.TargetCheck);
its `TargetRefused` refusals become 422 errors that name the field, by their kind:

- not http(s), no host, control characters (NUL, CR, LF …), malformed: the caller's
  `shape_code` (`invalid_route`, `invalid_callback_url`);
- a loopback, private, link-local, CGNAT, metadata … address, literal or resolved:
  `refused_target`;
- a host that does not resolve, or not within the time: `unresolvable_target`.

An unresolvable host is refused: a URL that points nowhere today cannot be judged, and
accepting it would let its owner point it at an internal address later unchecked until
delivery. Delivery checks every address again (DNS may change).
"""

from __future__ import annotations

from typing import Any

from kodeord.app.context import Context
from kodeord.app.errors import Invalid
from kodeord.app.ports import TargetProblem, TargetRefused


async def check_url(
    ctx: Context[object], url: str, *, field: str, shape_code: str, **details: Any
) -> None:
    """Invalid (naming `field`) unless the gateway would deliver to `url`."""
    try:
        await ctx.targets.check(url)
    except TargetRefused as exc:
        raise refusal(exc, field=field, shape_code=shape_code, **details) from None


def refusal(exc: TargetRefused, *, field: str, shape_code: str, **details: Any) -> Invalid:
    """The API's error for a refused URL (see the module docstring)."""
    if exc.kind is TargetProblem.ADDRESS:
        message = f"{field}: {exc}; webhooks go only to public internet addresses"
        return Invalid("refused_target", message, field=field, **details)
    if exc.kind is TargetProblem.UNRESOLVED:
        message = f"{field}: {exc}; use a host name with a public address"
        return Invalid("unresolvable_target", message, field=field, **details)
    return Invalid(shape_code, f"{field}: {exc}", field=field, **details)
