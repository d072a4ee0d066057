"""Request and response bodies of the HTTP API (they make the OpenAPI schema).

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


class CustomerIn(Body):
    name: str = Field(min_length=1, max_length=200)


class CustomerOut(BaseModel):
    id: int
    name: str
    created_at: datetime


class ApiKeyOut(BaseModel):
    id: int
    customer_id: int
    key: str = Field(description="shown once; only a hash is stored")


class NumberIn(Body):
    number: NumberText
    mode: Literal["shared", "dedicated"]
    owner_customer_id: Id | None = None
    premium: bool = False
    monthly_fee_ore: Ore = 0
    setup_fee_ore: Ore = 0
    keyword_fee_ore: Ore = 0
    segment_price_ore: Ore = 0


class NumberOut(BaseModel):
    number: str
    mode: Literal["shared", "dedicated"]
    owner_customer_id: int | None
    premium: bool
    monthly_fee_ore: int
    setup_fee_ore: int
    keyword_fee_ore: int
    segment_price_ore: int


class ReservedWordIn(Body):
    word: str = Field(min_length=1, max_length=64)


class ReservedWordOut(BaseModel):
    word: str
    builtin: bool
    created_at: datetime | None


class ReasonOut(BaseModel):
    code: str = Field(
        description="taken, reserved, invalid, dedicated_number, duplicate, quarantined,"
        " confusable, protected"
    )
    message: str
    keyword: str
    near: str | None = Field(None, description="the keyword or brand it clashes with")


class WarningOut(BaseModel):
    code: Literal["similar", "sounds_like"]
    message: str
    keyword: str
    near: str = Field(description="the keyword it is near (never who holds it)")
    distance: int | None = None


class AvailabilityOut(BaseModel):
    available: bool
    keyword: str = Field(description="the canonical keyword, e.g. PIZZA")
    reasons: list[ReasonOut]
    warnings: list[WarningOut] = []
    suggestions: list[str] = []
    monthly_fee_ore: int


class LeaseIn(Body):
    number: NumberText
    keyword: str = Field(min_length=1, max_length=64)
    aliases: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=10
    )
    customer_id: Id | None = Field(None, description="admin only: lease for this customer")


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


# --- responses that name no shared model above ----------------------------------------
# They allow extra fields, so a field a use case adds reaches the caller before its model
# is updated; what is declared here is what clients (and schemathesis) may rely on.


class Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class HistoryEventOut(Out):
    action: str
    actor: str | None = None
    detail: dict[str, Any] | None = None
    at: datetime


class BrandOut(Out):
    id: int
    name: str
    holder_customer_id: int | None
    created_at: datetime


class ClaimOut(Out):
    """The admin also sees `lease_id` and `claimant_customer_id` (extra fields: a customer's
    view has no such keys at all)."""

    id: int
    number: str
    keyword: str
    reason: str
    status: Literal["open", "transferred", "rejected"]
    note: str | None
    created_at: datetime
    decided_at: datetime | None


class LinkOut(Out):
    name: str
    host: str
    port: int
    system_id: str
    bind: Literal["transceiver", "receiver", "transmitter"]
    window: int
    max_rate: float | None
    state: str


class SigningSecretOut(Out):
    secret: str = Field(description="shown once")


class SettingsOut(Out):
    session_window_minutes: int | None
    default_route: dict[str, Any] | None


class NumberSettingsOut(Out):
    number: str
    help_text: str | None
    reply_unknown: bool


class AcceptedOut(Out):
    id: int
    status: str
    sender: str = Field(alias="from")
    to: str
    segments: int
    encoding: str
    price_ore: int
    send_at: datetime | None


class BatchOut(Out):
    messages: list[AcceptedOut]
    count: int
    price_ore: int


class MessageOut(Out):
    id: int
    direction: Literal["inbound", "outbound"]
    status: str
    customer_id: int | None
    number: str | None
    to: str | None
    sender: str | None = Field(alias="from")
    text: str | None
    body: str | None
    keyword: str | None
    lease_id: int | None
    route_step: str | None
    destination: Any
    encoding: str
    segments: int
    received_at: datetime
    routed_at: datetime | None
    delivered_at: datetime | None
    price_ore: int | None
    reference: str | None
    send_at: datetime | None
    expires_at: datetime | None
    origin: str | None
    error: str | None


class AttemptOut(Out):
    attempt: int
    destination: str
    target: str | None
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: float
    at: datetime


class MessageEventOut(Out):
    status: str
    detail: str | None
    at: datetime


class PartOut(Out):
    seq: int
    status: str
    operator_ref: str | None
    link: str | None


class MessageDetailOut(MessageOut):
    attempts: list[AttemptOut]
    history: list[MessageEventOut]
    parts: list[PartOut]


class DeadLetterOut(Out):
    id: int
    kind: str
    payload: Any
    attempts: int
    last_error: str | None
    created_at: datetime


class ReplayOut(Out):
    replayed: int


class HealthOut(Out):
    status: Literal["ok", "database_unavailable"]
    version: str
    database: str
