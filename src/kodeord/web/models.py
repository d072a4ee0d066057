"""What the HTTP API's bodies share (they make the OpenAPI schema): ids, times, amounts,
the route union, the error shape, the lease (keywords and lifecycle both answer with it)
and the two bases, `Body` (requests: unknown fields refused) and `Out` (responses). Each
resource's own bodies live in its web/api/ module.

Field limits here are the first line of defence (lengths, ranges, types); the domain
checks the meaning (is this a short number, a registrable keyword, a valid URL).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

Ore = Annotated[int, Field(ge=0, le=10**12, description="an amount in øre (1/100 NOK)")]
MAX_ID = 2**63 - 1  # every id is a 64-bit integer in storage; larger ones name nothing
Id = Annotated[int, Field(ge=1, le=MAX_ID, description="a 64-bit id")]
Offset = Annotated[int, Field(ge=0, le=10**9)]
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def _in_range(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range") from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError("the time must be between 1970 and 9999")
    return utc


# A point in time: with a zone (naive times are ambiguous), within years storage can hold.
Instant = Annotated[
    AwareDatetime,
    AfterValidator(_in_range),
    Field(description="ISO 8601 with a zone, e.g. 2026-12-24T18:00:00+01:00"),
]
NumberText = Annotated[str, Field(min_length=1, max_length=16, examples=["2077"])]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class WebhookRoute(Body):
    type: Literal["webhook"]
    url: str = Field(max_length=2000)


class EmailRoute(Body):
    type: Literal["email"]
    to: str = Field(max_length=254)


class SmsRoute(Body):
    type: Literal["sms"]
    to: str = Field(max_length=32)


class SmppRoute(Body):
    type: Literal["smpp"]


class InboxRoute(Body):
    type: Literal["inbox"]


Route = Annotated[
    WebhookRoute | EmailRoute | SmsRoute | SmppRoute | InboxRoute, Field(discriminator="type")
]


class LeaseOut(BaseModel):
    id: int
    number: str
    customer_id: int
    keyword: str
    aliases: list[str]
    status: Literal["active", "suspended", "released"]
    route: dict[str, Any]
    monthly_fee_ore: int
    created_at: datetime
    released_at: datetime | None
    term_ends_at: datetime | None = None
    cancel_at_term_end: bool = False
    billed_months: int = 1


# The base of most responses: it allows extra fields, so a field a use case adds reaches
# the caller before its model is updated; what a model declares is what clients (and
# schemathesis) may rely on.


class Out(BaseModel):
    model_config = ConfigDict(extra="allow")
