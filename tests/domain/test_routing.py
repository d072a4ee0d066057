"""The MO router as a table: one world of numbers, leases, dialogs and sessions, and one
row per incoming message with the decision it must get."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kodeord.domain.keywords import BUILTIN_RESERVED, fold_key, invalid_reason, normalise
from kodeord.domain.numbers import NumberMode, ShortNumber
from kodeord.domain.routing import (
    Decision,
    DecisionKind,
    DialogFacts,
    DialogOwner,
    IncomingMessage,
    InMemoryRegistry,
    LeaseFacts,
    SessionFacts,
    Step,
    default_help_text,
    number_candidates,
    opt_out_text,
    route,
    unknown_keyword_text,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _number(digits: str, owner: int | None = None) -> ShortNumber:
    mode = NumberMode.DEDICATED if owner is not None else NumberMode.SHARED
    return ShortNumber(digits, mode, owner, False, 0, 0, 1000)


def _lease(lease_id: int, customer: int, number: str, keyword: str, **flags: Any) -> LeaseFacts:
    return LeaseFacts(lease_id, customer, number, keyword, **flags)


P0 = "+4741234567"  # no session anywhere
P1 = "+4790000001"  # one open session on 2077 (customer 7) and on 26114 (customer 9)
P2 = "+4790000002"  # open sessions with customers 7 and 8 on 2077
P3 = "+4790000003"  # customer 7's session on 2077 has closed
P4 = "+4790000004"  # customer 8 has an open window but did not opt in
P5 = "+4790000005"  # two MTs from customer 7: still one candidate

HELP_2077 = "2077 drives av Eksempel AS. Kundeservice: 22 00 00 00."

WORLD = InMemoryRegistry(
    numbers=(
        _number("2077"),
        _number("20770"),  # shares a prefix with 2077: the longest prefix wins
        _number("2078"),  # shared, no leases, no help text
        _number("2079"),  # shared, holds a lease that leasing rules would refuse today
        _number("26114", owner=9),
    ),
    leases=(
        _lease(10, 1, "2077", "PIZZA", aliases=("Pizzeria",)),
        _lease(20, 2, "2077", "Blåbær"),
        _lease(30, 3, "2077", "VOTE", allow_digit_suffix=True),
        _lease(40, 4, "2077", "TACO", suspended=True),
        _lease(50, 5, "2077", "QUIZ"),
        _lease(70, 12, "2077", "STOPPE"),
        _lease(80, 13, "2077", "ØL"),
        _lease(14, 14, "2077", "KAKE"),
        _lease(15, 15, "2077", "KAKA"),
        _lease(17, 17, "2077", "INFOS"),  # one edit from the reserved word INFO
        _lease(60, 11, "2079", "STOPP"),  # legacy data: reserved words still win
        _lease(90, 9, "26114", "EGEN"),
        _lease(91, 9, "26114", "GAMMEL", suspended=True),
    ),
    dialogs=(
        DialogFacts("2077", "1234", DialogOwner(5, 50)),
        DialogFacts("2077", "99", DialogOwner(5, 50), expires_at=NOW - HOUR),
        DialogFacts("20770", "1234", DialogOwner(16)),
        DialogFacts("26114", "77", DialogOwner(9)),
    ),
    sessions=(
        SessionFacts("2077", P1, 7, NOW - HOUR / 2, HOUR),
        SessionFacts("26114", P1, 9, NOW - HOUR / 2, HOUR),
        SessionFacts("2077", P2, 7, NOW - HOUR / 2, HOUR),
        SessionFacts("2077", P2, 8, NOW - HOUR / 4, 2 * HOUR),
        SessionFacts("2077", P3, 7, NOW - 2 * HOUR, HOUR),
        SessionFacts("2077", P4, 8, NOW - HOUR / 2, HOUR, opted_in=False),
        SessionFacts("2077", P5, 7, NOW - HOUR / 2, HOUR),
        SessionFacts("2077", P5, 7, NOW - HOUR / 4, HOUR),
    ),
    help_texts={"2077": HELP_2077},
)

OPT_OUT, HELP = DecisionKind.OPT_OUT, DecisionKind.HELP
DELIVER, INBOX = DecisionKind.DELIVER, DecisionKind.OPERATOR_INBOX
UNKNOWN = DecisionKind.UNKNOWN_NUMBER
WHOLE = "<the whole text>"
BYE, BYE_26114 = opt_out_text("2077"), opt_out_text("26114")
# STOP and HELP are English words: the answer is in English whatever the number's language
BYE_EN = (
    "You are now unsubscribed from all services on 2077. You will get no more messages from here."
)
BYE_26114_EN = BYE_EN.replace("2077", "26114")
HELP_2078_EN = (
    "Short number 2078: send the keyword of the service you want to use to 2078. "
    "Send STOP to 2078 to unsubscribe from all services."
)


class Case(NamedTuple):
    text: str
    to: str
    sender: str
    kind: DecisionKind
    step: str
    customer: int | None
    keyword: str | None
    body: str  # WHOLE: the message text unchanged
    more: dict[str, Any] = {}  # noqa: RUF012 (read only) other fields; unnamed ones are None


CASES = [
    # 1. reserved words, compared by fold, before everything else
    Case("STOPP", "2077", P0, OPT_OUT, "reserved", None, "STOPP", "", {"reply": BYE}),
    Case("stopp!", "2077", P0, OPT_OUT, "reserved", None, "STOPP", "!", {"reply": BYE}),
    Case(" STOP", "2077", P0, OPT_OUT, "reserved", None, "STOP", "", {"reply": BYE_EN}),
    Case("STØPP", "2077", P0, OPT_OUT, "reserved", None, "STOPP", "",
         {"matched": "STØPP", "reply": BYE}),
    Case("STOPP PIZZA", "2077", P0, OPT_OUT, "reserved", None, "STOPP", "PIZZA",
         {"mentioned": "PIZZA", "reply": BYE}),
    Case("Stopp", "20771234", P0, OPT_OUT, "reserved", None, "STOPP", "", {"reply": BYE}),
    Case("stopp", "2077", P1, OPT_OUT, "reserved", None, "STOPP", "", {"reply": BYE}),
    Case("STOPP", "2079", P0, OPT_OUT, "reserved", None, "STOPP", "",
         {"number": "2079", "reply": opt_out_text("2079")}),
    Case("Stop.", "26114", P0, OPT_OUT, "reserved", None, "STOP", ".",
         {"number": "26114", "reply": BYE_26114_EN}),
    Case("stoppe", "2077", P0, DELIVER, "keyword", 12, "STOPPE", "", {"lease_id": 70}),
    Case("HJELP", "2077", P0, HELP, "reserved", None, "HJELP", "", {"reply": HELP_2077}),
    Case("help me", "2078", P0, HELP, "reserved", None, "HELP", "me",
         {"number": "2078", "mentioned": "ME", "reply": HELP_2078_EN}),
    Case("hjelp", "2078", P0, HELP, "reserved", None, "HJELP", "",
         {"number": "2078", "reply": default_help_text("2078")}),
    Case("INFO", "2077", P0, INBOX, "no_match", None, None, WHOLE),  # INFOS is not suggested
    Case("INFOS", "2077", P0, DELIVER, "keyword", 17, "INFOS", "", {"lease_id": 17}),
    Case("START", "26114", P0, DELIVER, "dedicated", 9, None, WHOLE, {"number": "26114"}),
    Case("ja", "2077", P1, DELIVER, "session", 7, None, WHOLE),
    # 2. dialog subnumbers
    Case("hei der", "20771234", P0, DELIVER, "dialog", 5, None, WHOLE, {"lease_id": 50}),
    Case("PIZZA 2", "20771234", P1, DELIVER, "dialog", 5, None, WHOLE, {"lease_id": 50}),
    Case("PIZZA 2", "20779999", P0, DELIVER, "keyword", 1, "PIZZA", "2", {"lease_id": 10}),
    Case("hei", "207799", P0, INBOX, "no_match", None, None, WHOLE),  # expired dialog
    Case("hei", "207701234", P0, DELIVER, "dialog", 16, None, WHOLE, {"number": "20770"}),
    Case("hei", "2611477", P0, DELIVER, "dialog", 9, None, WHOLE, {"number": "26114"}),
    Case("hei", "2611400", P0, DELIVER, "dedicated", 9, None, WHOLE, {"number": "26114"}),
    # 3. keywords: exact, alias, fold, digits, suspended
    Case("PIZZA", "2077", P0, DELIVER, "keyword", 1, "PIZZA", "",
         {"lease_id": 10, "matched": "PIZZA"}),
    Case("pizza 2 margherita", "2077", P0, DELIVER, "keyword", 1, "PIZZA", "2 margherita",
         {"lease_id": 10, "matched": "PIZZA"}),
    Case("Pizzeria!", "2077", P0, DELIVER, "keyword", 1, "PIZZA", "!",
         {"lease_id": 10, "matched": "PIZZERIA"}),
    Case("Blåbær syltetøy", "2077", P0, DELIVER, "keyword", 2, "BLÅBÆR", "syltetøy",
         {"lease_id": 20, "matched": "BLÅBÆR"}),
    Case("BLAABAER", "2077", P0, DELIVER, "keyword_fold", 2, "BLÅBÆR", "",
         {"lease_id": 20, "matched": "BLÅBÆR"}),
    Case("blabaer 3", "2077", P0, DELIVER, "keyword_fold", 2, "BLÅBÆR", "3",
         {"lease_id": 20, "matched": "BLÅBÆR"}),
    Case("OEL", "2077", P0, DELIVER, "keyword_fold", 13, "ØL", "", {"lease_id": 80}),
    Case("ＰＩＺＺＡ", "2077", P0, DELIVER, "keyword", 1, "PIZZA", "", {"lease_id": 10}),
    Case("\u200bpi\u200dzza\ufeff", "2077", P0, DELIVER, "keyword", 1, "PIZZA", "",
         {"lease_id": 10}),
    Case("🍕 pizza 🍕", "2077", P0, DELIVER, "keyword", 1, "PIZZA", "🍕", {"lease_id": 10}),
    Case("VOTE2", "2077", P0, DELIVER, "keyword_digits", 3, "VOTE", "",
         {"argument": "2", "lease_id": 30, "matched": "VOTE"}),
    Case("vote 2", "2077", P0, DELIVER, "keyword", 3, "VOTE", "2", {"lease_id": 30}),
    Case("VOTE12 ja takk", "2077", P0, DELIVER, "keyword_digits", 3, "VOTE", "ja takk",
         {"argument": "12", "lease_id": 30}),
    Case("ＶＯＴＥ２", "2077", P0, DELIVER, "keyword_digits", 3, "VOTE", "",
         {"argument": "2", "lease_id": 30}),
    Case("pizza2", "2077", P0, INBOX, "no_match", None, None, WHOLE,
         {"suggestion": "PIZZA", "reply": unknown_keyword_text("PIZZA")}),
    Case("pizza2", "2077", P1, DELIVER, "session", 7, None, WHOLE),
    Case("TACO", "2077", P0, INBOX, "suspended", 4, "TACO", WHOLE,
         {"lease_id": 40, "matched": "TACO"}),
    Case("taco i kveld", "2077", P1, INBOX, "suspended", 4, "TACO", WHOLE, {"lease_id": 40}),
    Case("gammel", "26114", P0, INBOX, "suspended", 9, "GAMMEL", WHOLE,
         {"number": "26114", "lease_id": 91}),
    Case("PIZZA", "2077", P1, DELIVER, "keyword", 1, "PIZZA", "", {"lease_id": 10}),
    Case("PIZZA", "2077", P2, DELIVER, "keyword", 1, "PIZZA", "", {"lease_id": 10}),
    Case("EGEN tekst", "26114", P1, DELIVER, "keyword", 9, "EGEN", "tekst",
         {"number": "26114", "lease_id": 90}),
    Case("PIZZA", "26114", P0, DELIVER, "dedicated", 9, None, WHOLE, {"number": "26114"}),
    Case("PIZZA", "2078", P0, INBOX, "no_match", None, None, WHOLE, {"number": "2078"}),
    # 4. sessions: exactly one opted-in customer within its window
    Case("takk!", "2077", P1, DELIVER, "session", 7, None, WHOLE),
    Case("takk", "2077", P2, INBOX, "no_match", None, None, WHOLE),
    Case("takk", "2077", P3, INBOX, "no_match", None, None, WHOLE),
    Case("takk", "2077", P4, INBOX, "no_match", None, None, WHOLE),
    Case("takk", "2077", P5, DELIVER, "session", 7, None, WHOLE),
    Case("takk", "26114", P1, DELIVER, "session", 9, None, WHOLE, {"number": "26114"}),
    # 5. dedicated numbers: the owner's catch-all
    Case("takk", "26114", P0, DELIVER, "dedicated", 9, None, WHOLE, {"number": "26114"}),
    Case("", "26114", P0, DELIVER, "dedicated", 9, None, WHOLE, {"number": "26114"}),
    # 6. no match: the operator inbox, with a suggestion when a keyword is close
    Case("", "2077", P0, INBOX, "no_match", None, None, WHOLE),
    Case("!!!", "2077", P0, INBOX, "no_match", None, None, WHOLE),
    Case("😀😀", "2077", P0, INBOX, "no_match", None, None, WHOLE),
    Case("PIZA", "2077", P0, INBOX, "no_match", None, None, WHOLE,
         {"suggestion": "PIZZA", "reply": unknown_keyword_text("PIZZA")}),
    Case("pzizA", "2077", P0, INBOX, "no_match", None, None, WHOLE,
         {"suggestion": "PIZZA", "reply": unknown_keyword_text("PIZZA")}),
    Case("pizzerias", "2077", P0, INBOX, "no_match", None, None, WHOLE,
         {"suggestion": "PIZZERIA", "reply": unknown_keyword_text("PIZZERIA")}),
    Case("BLÅBÆRR", "2077", P0, INBOX, "no_match", None, None, WHOLE,
         {"suggestion": "BLÅBÆR", "reply": unknown_keyword_text("BLÅBÆR")}),
    Case("kaki", "2077", P0, INBOX, "no_match", None, None, WHOLE,
         {"suggestion": "KAKA", "reply": unknown_keyword_text("KAKA")}),  # tie
    Case("TACOS", "2077", P0, INBOX, "no_match", None, None, WHOLE),  # suspended: not offered
    Case("hei", "2077", P0, INBOX, "no_match", None, None, WHOLE),
    # the recipient is no registered number, nor starts with one
    Case("PIZZA", "2099", P0, UNKNOWN, "unknown_number", None, None, WHOLE,
         {"number": "2099"}),
    Case("PIZZA", "209912345", P0, UNKNOWN, "unknown_number", None, None, WHOLE,
         {"number": "209912345"}),
    Case("STOPP", "207", P0, UNKNOWN, "unknown_number", None, None, WHOLE, {"number": "207"}),
    Case("PIZZA", "+2077", P0, UNKNOWN, "unknown_number", None, None, WHOLE,
         {"number": "+2077"}),
    Case("PIZZA", "", P0, UNKNOWN, "unknown_number", None, None, WHOLE, {"number": ""}),
]  # fmt: skip

OPTIONAL_FIELDS = ("lease_id", "matched", "argument", "mentioned", "reply", "suggestion")


def _case_id(case: Case) -> str:
    return f"{case.text!r}->{case.to or 'nothing'}/{case.sender[-1]}"


def test_the_table_is_big_and_covers_every_step() -> None:
    assert len(CASES) >= 40
    assert {case.step for case in CASES} == {step.value for step in Step}
    assert {case.kind for case in CASES} == set(DecisionKind)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_route(case: Case) -> None:
    decision = route(IncomingMessage(case.to, case.sender, case.text, NOW), WORLD)
    expected_body = case.text if case.body == WHOLE else case.body
    assert (decision.kind, decision.step, decision.customer_id) == (
        case.kind,
        case.step,
        case.customer,
    )
    assert (decision.keyword, decision.body) == (case.keyword, expected_body)
    assert decision.number == case.more.get("number", "2077")
    for name in OPTIONAL_FIELDS:
        if name not in case.more and name == "matched" and case.keyword is not None:
            continue  # the matched word is checked where the row names it
        assert getattr(decision, name) == case.more.get(name), name


# recipient, the addresses tried as its short number, longest first
CANDIDATE_CASES = [
    ("20771234", ("20771", "2077")),
    ("207701234", ("20770", "2077")),
    ("20771", ("20771", "2077")),
    ("2077", ("2077",)),
    ("207", ()),
    ("2077123456789", ("20771", "2077")),
    ("", ()),
    ("+2077", ()),
    ("2077 ", ()),
    ("２０７７", ()),  # fullwidth digits are not an address
]


@pytest.mark.parametrize(("recipient", "candidates"), CANDIDATE_CASES)
def test_number_candidates(recipient: str, candidates: tuple[str, ...]) -> None:
    assert number_candidates(recipient) == candidates


def test_received_at_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        IncomingMessage("2077", P0, "PIZZA", datetime(2025, 3, 1, 12, 0))


def test_the_registry_refuses_two_words_with_one_fold_on_a_number() -> None:
    with pytest.raises(ValueError, match="BLAABAER"):
        InMemoryRegistry(leases=(_lease(1, 1, "2077", "Blåbær"), _lease(2, 2, "2077", "blaabaer")))
    InMemoryRegistry(leases=(_lease(1, 1, "2077", "Blåbær"), _lease(2, 2, "2078", "blaabaer")))


def test_a_dialog_is_open_until_it_expires() -> None:
    registry = InMemoryRegistry(
        numbers=(_number("2077"),),
        dialogs=(DialogFacts("2077", "5", DialogOwner(3), expires_at=NOW + HOUR),),
    )
    before = route(IncomingMessage("20775", P0, "hei", NOW + HOUR / 2), registry)
    after = route(IncomingMessage("20775", P0, "hei", NOW + HOUR), registry)
    assert (before.step, before.customer_id) == ("dialog", 3)
    assert (after.step, after.customer_id) == ("no_match", None)


# --- properties -----------------------------------------------------------------------

_NUMBERS = ("2077", "26114")
_KEYWORD_WORDS = st.text(alphabet="ABCDEFGHIJKLMNOPRSTUVYZÆØÅ0123456789", min_size=2, max_size=8)
_LEASABLE = _KEYWORD_WORDS.filter(
    lambda word: (
        invalid_reason(normalise(word)) is None
        and fold_key(word) not in {fold_key(reserved) for reserved in BUILTIN_RESERVED}
    )
)


@st.composite
def _registries(draw: st.DrawFn) -> tuple[InMemoryRegistry, InMemoryRegistry]:
    """A world built from a few random leases, and the same world given in reverse order."""
    words = draw(st.lists(_LEASABLE, max_size=8, unique_by=fold_key))
    leases = [
        _lease(
            index,
            draw(st.integers(1, 4)),
            draw(st.sampled_from(_NUMBERS)),
            word,
            allow_digit_suffix=draw(st.booleans()),
            suspended=draw(st.booleans()),
        )
        for index, word in enumerate(words)
    ]
    sessions = [
        SessionFacts("2077", P1, customer, NOW - HOUR / 2, HOUR)
        for customer in draw(st.lists(st.integers(1, 4), max_size=3))
    ]
    numbers = (_number("2077"), _number("26114", owner=draw(st.integers(1, 4))))
    dialogs = (DialogFacts("2077", "12", DialogOwner(draw(st.integers(1, 4)))),)
    forward = InMemoryRegistry(numbers, leases, dialogs, sessions)
    backward = InMemoryRegistry(numbers[::-1], leases[::-1], dialogs, sessions[::-1])
    return forward, backward


_TEXTS = st.one_of(
    st.text(),
    st.builds(
        lambda word, tail: word + tail,
        st.sampled_from(["stopp", "HJELP", "Blåbær", "vote", "ＰＩＺＺＡ", "\u200b"]),
        st.text(max_size=10),
    ),
)
_RECIPIENTS = st.one_of(
    st.sampled_from(["2077", "26114", "207712", "20779", "2611400", "2099", "", "2077 "]),
    st.text(alphabet="0123456789", max_size=10),
    st.text(max_size=6),
)


@given(_registries(), _TEXTS, _RECIPIENTS, st.sampled_from([P0, P1]))
def test_route_never_raises_and_is_deterministic(
    registries: tuple[InMemoryRegistry, InMemoryRegistry], text: str, to: str, sender: str
) -> None:
    forward, backward = registries
    message = IncomingMessage(to, sender, text, NOW)
    decision = route(message, forward)
    assert decision == route(message, forward) == route(message, backward)
    _assert_consistent(decision, message)


def _assert_consistent(decision: Decision, message: IncomingMessage) -> None:
    assert (decision.kind is DecisionKind.DELIVER) <= (decision.customer_id is not None)
    assert (decision.reply is not None) == (
        decision.kind in (DecisionKind.OPT_OUT, DecisionKind.HELP)
        or decision.suggestion is not None
    )
    if decision.argument is not None:
        assert decision.step is Step.KEYWORD_DIGITS and decision.argument.isdigit()
    if decision.keyword is None or decision.step is Step.SUSPENDED:
        assert decision.body == message.text


@given(_registries(), st.data())
def test_every_active_leased_word_reaches_its_holder(
    registries: tuple[InMemoryRegistry, InMemoryRegistry], data: st.DataObject
) -> None:
    registry, _ = registries
    active = [lease for lease in registry.leases if not lease.suspended]
    if not active:
        return
    lease = data.draw(st.sampled_from(active))
    spelling = data.draw(st.sampled_from([str.lower, str.title, lambda w: f" {w}! ok"]))
    decision = route(IncomingMessage(lease.number, P0, spelling(lease.keyword), NOW), registry)
    assert decision.kind is DecisionKind.DELIVER
    assert (decision.customer_id, decision.lease_id) == (lease.customer_id, lease.lease_id)
    assert decision.keyword == normalise(lease.keyword).canonical
