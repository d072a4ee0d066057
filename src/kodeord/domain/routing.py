"""The MO router: who gets an incoming SMS, decided as pure data.

`route(message, registry)` reads the facts it needs through `Registry`, a port that
app/ implements over the database (`InMemoryRegistry` holds the same facts in memory,
for tests and for callers that load everything), and answers with a `Decision`. app/
carries the decision out: records the opt-out, delivers, sends the reply. The router
does no I/O and reads no clock: the message's `received_at` is "now".

The recipient is resolved first: its longest 5- or 4-digit prefix that is a registered
short number (`number_candidates`), the rest being a dialog subnumber (2077 + 1234 →
20771234). With no registered number the message goes to the
operator inbox as UNKNOWN_NUMBER. Then these steps run in this order (DESIGN.md, "What
happens to an incoming SMS"), and the first that decides wins (`Decision.step` says which):

1. `reserved`: STOPP/STOP → OPT_OUT of every service on the number, even when a keyword
   follows (`STOPP PIZZA`: PIZZA is recorded in `mentioned`, the opt-out is still for
   the whole number); HJELP/HELP → HELP with the number's help text. Compared by fold,
   so `stopp!`, ` Stop` and `STØPP` count. The reply is the number's text in the
   language `texts.reply_language` picks (STOP/HELP English, STOPP/HJELP bokmål). The
   other reserved words (INFO, START, JA, NEI) flow on to the later steps; no lease can hold them.
2. `dialog`: a subnumber the registry knows → the conversation's owner, whole text, no
   keyword needed. An unknown subnumber flows on with the base number.
3. keyword: the first token (`keywords.normalise`, the one normalisation leasing uses
   too), looked up by its fold key, which covers the exact spelling as well:
   `keyword` when the canonical form is the leased keyword or alias itself,
   `keyword_fold` when only the folds agree (`BLAABAER` → BLÅBÆR), `keyword_digits` when
   trailing digits cut off leave a keyword that allows them (`VOTE2` → VOTE, argument
   "2"; `VOTE 2` is plain VOTE with body "2"). A keyword that ends in a digit cannot take
   a digit suffix. A suspended lease receives nothing: its messages go straight to the
   operator inbox (`suspended`), skipping the session and dedicated steps.
4. `session`: the customers with an open session to this phone on this number (an MT
   within the customer's own window, customer opted in); only when exactly one qualifies.
5. `dedicated`: a dedicated number's owner receives the keywordless text (catch-all).
6. `no_match`: the operator inbox, with the nearest active keyword on the number as
   `suggestion` and a reply ("Ukjent kodeord. Mente du PIZZA?") when one is close
   (`similarity.nearest`), in the number's reply language; never for a reserved word.
   app/ decides whether to send it.

Keywords are one token: multi-word keywords are not registrable today (docs/keywords.md),
so DESIGN.md's "longest multi-word keyword first" has nothing to choose between yet; it
belongs in step 3 once leasing allows them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from kodeord.domain.keywords import BUILTIN_RESERVED, NormalisedKeyword, fold_key, normalise
from kodeord.domain.numbers import NumberMode, ShortNumber
from kodeord.domain.similarity import nearest
from kodeord.domain.texts import (
    DEFAULT_LANGUAGE,
    NumberTexts,
    TextKey,
    default_text,
    reply_language,
)

_ASCII_DIGITS = "0123456789"
_SHORT_NUMBER_LENGTHS = (5, 4)


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """An MO as the router sees it: `recipient` may carry a dialog subnumber."""

    recipient: str
    sender: str
    text: str
    received_at: datetime

    def __post_init__(self) -> None:
        if self.received_at.utcoffset() is None:
            raise ValueError("received_at must be timezone-aware (UTC)")


@dataclass(frozen=True, slots=True)
class KeywordHolder:
    """The lease that holds a fold key on a number (`matched`: the word that has it)."""

    lease_id: int
    customer_id: int
    keyword: str  # the lease's canonical main keyword
    matched: str  # the canonical keyword or alias whose fold was looked up
    allow_digit_suffix: bool = False
    suspended: bool = False


@dataclass(frozen=True, slots=True)
class DialogOwner:
    customer_id: int
    lease_id: int | None = None


class Registry(Protocol):
    """The facts the router reads. app/ implements it over the database.

    `keywords_on` lists the canonical keywords and aliases of the active (not suspended)
    leases on a number. `session_candidates` lists every opted-in customer that sent an
    MT from `number` to `phone` within that customer's own session window before `now`;
    the router itself enforces "exactly one", so the registry need not.
    """

    def number(self, digits: str) -> ShortNumber | None: ...

    def lease_for(self, number: str, fold: str) -> KeywordHolder | None: ...

    def keywords_on(self, number: str) -> Sequence[str]: ...

    def dialog(self, number: str, subnumber: str, now: datetime) -> DialogOwner | None: ...

    def session_candidates(self, number: str, phone: str, now: datetime) -> Sequence[int]: ...

    def help_text(self, number: str) -> str | None: ...

    def texts(self, number: str) -> NumberTexts:
        """The number's reply language and overridden texts (NumberTexts() if none)."""
        ...


class DecisionKind(StrEnum):
    DELIVER = "deliver"
    OPT_OUT = "opt_out"
    HELP = "help"
    OPERATOR_INBOX = "operator_inbox"
    UNKNOWN_NUMBER = "unknown_number"


class Step(StrEnum):
    """The rule that decided (see the module docstring for the order)."""

    RESERVED = "reserved"
    DIALOG = "dialog"
    KEYWORD = "keyword"
    KEYWORD_FOLD = "keyword_fold"
    KEYWORD_DIGITS = "keyword_digits"
    SESSION = "session"
    DEDICATED = "dedicated"
    SUSPENDED = "suspended"
    NO_MATCH = "no_match"
    UNKNOWN_NUMBER = "unknown_number"


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """What to do with an MO. `kind` says what; the other fields are its facts.

    For DELIVER, `customer_id` is the receiver. For OPERATOR_INBOX by `suspended`,
    customer, lease and keyword name the suspended lease, for the operator's information.
    `body` is the text after the keyword when one decided (reserved or leased), else
    the whole text.
    """

    kind: DecisionKind
    step: Step
    number: str  # the base short number (the recipient as given for UNKNOWN_NUMBER)
    body: str
    customer_id: int | None = None
    lease_id: int | None = None
    keyword: str | None = None  # canonical main keyword (or the reserved word)
    matched: str | None = None  # the canonical word that matched: keyword, alias, STØPP…
    argument: str | None = None  # the digits of VOTE2
    mentioned: str | None = None  # the first word after STOPP/HJELP, for information
    reply: str | None = None  # text to send back to the phone
    suggestion: str | None = None


def opt_out_text(number: str) -> str:
    """The default STOPP confirmation in bokmål."""
    return default_text(TextKey.STOP_CONFIRMED, DEFAULT_LANGUAGE, number=number)


def default_help_text(number: str) -> str:
    """The default HJELP answer in bokmål."""
    return default_text(TextKey.HELP_DEFAULT, DEFAULT_LANGUAGE, number=number, keywords="")


def unknown_keyword_text(suggestion: str) -> str:
    """The default did-you-mean reply in bokmål."""
    return default_text(TextKey.DID_YOU_MEAN, DEFAULT_LANGUAGE, suggestion=suggestion, number="")


# The reserved words the router itself acts on, by fold key.
_RESERVED_ACTIONS: Mapping[str, tuple[DecisionKind, str]] = {
    fold_key(word): (kind, word)
    for kind, words in (
        (DecisionKind.OPT_OUT, ("STOPP", "STOP")),
        (DecisionKind.HELP, ("HJELP", "HELP")),
    )
    for word in words
}
_RESERVED_FOLDS = frozenset(fold_key(word) for word in BUILTIN_RESERVED)


def number_candidates(recipient: str) -> tuple[str, ...]:
    """The addresses that may be the short number of `recipient`, longest first.

    Its 5- and 4-digit prefixes (the whole address when it has 4 or 5 digits); nothing
    when it is not all ASCII digits. A registry that loads facts ahead of `route`
    loads these.
    """
    if not (recipient.isascii() and recipient.isdigit()):
        return ()
    return tuple(recipient[:n] for n in _SHORT_NUMBER_LENGTHS if n <= len(recipient))


def resolve_recipient(recipient: str, registry: Registry) -> tuple[ShortNumber, str] | None:
    """The short number a recipient address belongs to and its subnumber ("" if none)."""
    for digits in number_candidates(recipient):
        number = registry.number(digits)
        if number is not None:
            return number, recipient[len(digits) :]
    return None


@dataclass(frozen=True, slots=True)
class _Inbound:
    """An MO with its recipient resolved and its keyword normalised."""

    message: IncomingMessage
    number: ShortNumber
    subnumber: str
    keyword: NormalisedKeyword

    @property
    def digits(self) -> str:
        return self.number.number

    def deliver(self, step: Step, customer_id: int, lease_id: int | None = None) -> Decision:
        """A keywordless delivery of the whole text."""
        return Decision(
            kind=DecisionKind.DELIVER,
            step=step,
            number=self.digits,
            body=self.message.text,
            customer_id=customer_id,
            lease_id=lease_id,
        )


@dataclass(frozen=True, slots=True)
class _KeywordMatch:
    holder: KeywordHolder
    step: Step
    argument: str | None = None


def _mentioned(body: str) -> str | None:
    return normalise(body).canonical or None


def _reserved(inbound: _Inbound, registry: Registry) -> Decision | None:
    action = _RESERVED_ACTIONS.get(inbound.keyword.fold)
    if action is None:
        return None
    kind, word = action
    number = inbound.digits
    texts = registry.texts(number)
    language = reply_language(texts.language, word)
    if kind is DecisionKind.OPT_OUT:
        reply = texts.render(TextKey.STOP_CONFIRMED, language, {"number": number})
    else:
        values = {"number": number, "keywords": ", ".join(registry.keywords_on(number))}
        fallback = registry.help_text(number)
        reply = texts.render(TextKey.HELP_DEFAULT, language, values, fallback)
    return Decision(
        kind=kind,
        step=Step.RESERVED,
        number=number,
        body=inbound.keyword.body,
        keyword=word,
        matched=inbound.keyword.canonical,
        mentioned=_mentioned(inbound.keyword.body),
        reply=reply,
    )


def _dialog(inbound: _Inbound, registry: Registry) -> Decision | None:
    if not inbound.subnumber:
        return None
    owner = registry.dialog(inbound.digits, inbound.subnumber, inbound.message.received_at)
    if owner is None:
        return None
    return inbound.deliver(Step.DIALOG, owner.customer_id, owner.lease_id)


def _match_keyword(inbound: _Inbound, registry: Registry) -> _KeywordMatch | None:
    keyword = inbound.keyword
    if not keyword.canonical:
        return None
    holder = registry.lease_for(inbound.digits, keyword.fold)
    if holder is None:
        return _match_digit_suffix(inbound.digits, keyword.canonical, registry)
    step = Step.KEYWORD if holder.matched == keyword.canonical else Step.KEYWORD_FOLD
    return _KeywordMatch(holder, step)


def _match_digit_suffix(number: str, canonical: str, registry: Registry) -> _KeywordMatch | None:
    stem = canonical.rstrip(_ASCII_DIGITS)
    if not stem or stem == canonical:
        return None
    holder = registry.lease_for(number, fold_key(stem))
    if holder is None or not holder.allow_digit_suffix:
        return None
    return _KeywordMatch(holder, Step.KEYWORD_DIGITS, canonical[len(stem) :])


def _keyword(inbound: _Inbound, registry: Registry) -> Decision | None:
    match = _match_keyword(inbound, registry)
    if match is None:
        return None
    holder = match.holder
    suspended = holder.suspended
    return Decision(
        kind=DecisionKind.OPERATOR_INBOX if suspended else DecisionKind.DELIVER,
        step=Step.SUSPENDED if suspended else match.step,
        number=inbound.digits,
        body=inbound.message.text if suspended else inbound.keyword.body,
        customer_id=holder.customer_id,
        lease_id=holder.lease_id,
        keyword=holder.keyword,
        matched=holder.matched,
        argument=match.argument,
    )


def _session(inbound: _Inbound, registry: Registry) -> Decision | None:
    message = inbound.message
    found = registry.session_candidates(inbound.digits, message.sender, message.received_at)
    candidates = set(found)
    if len(candidates) != 1:
        return None
    (customer_id,) = candidates
    return inbound.deliver(Step.SESSION, customer_id)


def _dedicated(inbound: _Inbound, registry: Registry) -> Decision | None:
    number = inbound.number
    if number.mode is not NumberMode.DEDICATED or number.owner_customer_id is None:
        return None
    return inbound.deliver(Step.DEDICATED, number.owner_customer_id)


def _no_match(inbound: _Inbound, registry: Registry) -> Decision:
    suggestion = None
    number = inbound.digits
    if inbound.keyword.fold not in _RESERVED_FOLDS:
        suggestion = nearest(inbound.keyword.canonical, registry.keywords_on(number))
    reply = None
    if suggestion:
        texts = registry.texts(number)
        values = {"number": number, "suggestion": suggestion}
        reply = texts.render(TextKey.DID_YOU_MEAN, texts.language, values)
    return Decision(
        kind=DecisionKind.OPERATOR_INBOX,
        step=Step.NO_MATCH,
        number=inbound.digits,
        body=inbound.message.text,
        suggestion=suggestion,
        reply=reply,
    )


# The order of the rules is data: the first step that returns a decision wins.
_STEPS: tuple[Callable[[_Inbound, Registry], Decision | None], ...] = (
    _reserved,
    _dialog,
    _keyword,
    _session,
    _dedicated,
)


def route(message: IncomingMessage, registry: Registry) -> Decision:
    """Decide who gets `message` (see the module docstring for the rules and their order)."""
    resolved = resolve_recipient(message.recipient, registry)
    if resolved is None:
        return Decision(
            kind=DecisionKind.UNKNOWN_NUMBER,
            step=Step.UNKNOWN_NUMBER,
            number=message.recipient,
            body=message.text,
        )
    inbound = _Inbound(message, *resolved, normalise(message.text))
    for step in _STEPS:
        decision = step(inbound, registry)
        if decision is not None:
            return decision
    return _no_match(inbound, registry)


# --- An in-memory registry -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeaseFacts:
    """A keyword lease as the in-memory registry holds it (words in any spelling)."""

    lease_id: int
    customer_id: int
    number: str
    keyword: str
    aliases: tuple[str, ...] = ()
    allow_digit_suffix: bool = False
    suspended: bool = False


@dataclass(frozen=True, slots=True)
class DialogFacts:
    number: str
    subnumber: str
    owner: DialogOwner
    expires_at: datetime | None = None  # None: open until removed


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """An MT a customer sent from `number` to `phone`, opening its session window."""

    number: str
    phone: str
    customer_id: int
    sent_at: datetime
    window: timedelta
    opted_in: bool = True

    def open_at(self, now: datetime) -> bool:
        return self.opted_in and self.sent_at <= now <= self.sent_at + self.window


@dataclass(frozen=True, slots=True)
class InMemoryRegistry:
    """A `Registry` over facts held in memory. Two words with one fold key on a number,
    or two dialogs with one subnumber, are refused (ValueError), as the database refuses them.
    """

    numbers: Sequence[ShortNumber] = ()
    leases: Sequence[LeaseFacts] = ()
    dialogs: Sequence[DialogFacts] = ()
    sessions: Sequence[SessionFacts] = ()
    help_texts: Mapping[str, str] = field(default_factory=dict)
    number_texts: Mapping[str, NumberTexts] = field(default_factory=dict)
    _numbers: dict[str, ShortNumber] = field(init=False, repr=False, compare=False)
    _holders: dict[tuple[str, str], KeywordHolder] = field(init=False, repr=False, compare=False)
    _dialogs: dict[tuple[str, str], DialogFacts] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_numbers", {n.number: n for n in self.numbers})
        object.__setattr__(self, "_holders", _index_holders(self.leases))
        object.__setattr__(self, "_dialogs", _index_dialogs(self.dialogs))

    def number(self, digits: str) -> ShortNumber | None:
        return self._numbers.get(digits)

    def lease_for(self, number: str, fold: str) -> KeywordHolder | None:
        return self._holders.get((number, fold))

    def keywords_on(self, number: str) -> Sequence[str]:
        holders = (h for (n, _), h in self._holders.items() if n == number)
        return tuple(sorted(h.matched for h in holders if not h.suspended))

    def dialog(self, number: str, subnumber: str, now: datetime) -> DialogOwner | None:
        facts = self._dialogs.get((number, subnumber))
        if facts is None or (facts.expires_at is not None and now >= facts.expires_at):
            return None
        return facts.owner

    def session_candidates(self, number: str, phone: str, now: datetime) -> Sequence[int]:
        mine = (s for s in self.sessions if s.number == number and s.phone == phone)
        return tuple(sorted({s.customer_id for s in mine if s.open_at(now)}))

    def help_text(self, number: str) -> str | None:
        return self.help_texts.get(number)

    def texts(self, number: str) -> NumberTexts:
        return self.number_texts.get(number) or NumberTexts()


def _holders_of(lease: LeaseFacts) -> Iterable[tuple[tuple[str, str], KeywordHolder]]:
    keyword = normalise(lease.keyword).canonical
    for word in (lease.keyword, *lease.aliases):
        canonical = normalise(word).canonical
        holder = KeywordHolder(
            lease.lease_id,
            lease.customer_id,
            keyword,
            canonical,
            lease.allow_digit_suffix,
            lease.suspended,
        )
        yield (lease.number, fold_key(canonical)), holder


def _index_holders(leases: Iterable[LeaseFacts]) -> dict[tuple[str, str], KeywordHolder]:
    index: dict[tuple[str, str], KeywordHolder] = {}
    for lease in leases:
        for key, holder in _holders_of(lease):
            if key in index:
                raise ValueError(f"{holder.matched!r} on {key[0]} repeats the fold key {key[1]!r}")
            index[key] = holder
    return index


def _index_dialogs(dialogs: Iterable[DialogFacts]) -> dict[tuple[str, str], DialogFacts]:
    index: dict[tuple[str, str], DialogFacts] = {}
    for facts in dialogs:
        key = (facts.number, facts.subnumber)
        if key in index:
            raise ValueError(f"dialog {facts.number}+{facts.subnumber} is given twice")
        index[key] = facts
    return index
