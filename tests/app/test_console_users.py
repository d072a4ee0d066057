"""Console users on a real database (SQLite, and PostgreSQL when its URL is set), a real
SMTP relay (aiosmtpd) and a clock the test sets: sign-in, lockout, sessions, invitations,
resets and housekeeping."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes
from email.message import Message

import pytest

from kodeord.adapters.db.engine import Database
from kodeord.adapters.email import EmailSender
from kodeord.adapters.passwords import Argon2Passwords
from kodeord.app.errors import AppError, Conflict, Forbidden, Invalid, NotFound, Unauthorized
from kodeord.app.users.signin import Locked, SignIn
from kodeord.app.users.users import ConsoleUsers
from kodeord.domain.users import LinkPurpose, Role
from kodeord.wiring import make_context
from tests.delivery.peers import Mailbox, smtp_server
from tests.queue.support import FakeClock, run_with_database

PASSWORD = "riktig-passord-2077"
BASE = "http://127.0.0.1:8080"
PASSWORDS = Argon2Passwords.fast()


async def setup(
    db: Database, mail: EmailSender | None = None
) -> tuple[ConsoleUsers, SignIn, FakeClock, int]:
    clock = FakeClock()
    ctx = make_context(db, clock=clock)
    async with ctx.storage.transaction() as tx:
        customer = await tx.customers.add("Pizzeria Napoli", clock())
    return ConsoleUsers(ctx, PASSWORDS, mail), SignIn(ctx, PASSWORDS), clock, customer.id


def body_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_sign_in_and_out_and_the_session_lifetime(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        users, signin, clock, _ = await setup(db)
        await users.create("Kari@Drift.no", Role.PROVIDER, PASSWORD)
        visit = await signin.sign_in(" kari@drift.NO", PASSWORD, "10.0.0.1")
        assert visit.user.email == "kari@drift.no" and visit.user.role is Role.PROVIDER
        assert (await signin.current(visit.session_token)) == visit
        assert await signin.current("not-a-session") is None
        clock.advance(timedelta(hours=11).total_seconds())
        assert await signin.current(visit.session_token) is not None  # touched: idle again
        clock.advance(timedelta(hours=11).total_seconds())
        assert await signin.current(visit.session_token) is not None
        await signin.sign_out(visit, "10.0.0.1")
        assert await signin.current(visit.session_token) is None
        again = await signin.sign_in("kari@drift.no", PASSWORD, "10.0.0.1")
        clock.advance(timedelta(hours=12).total_seconds())
        assert await signin.current(again.session_token) is None  # idle too long

    run_with_database(database_url, scenario)


def test_wrong_password_and_unknown_address_answer_alike_then_lock(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        users, signin, clock, _ = await setup(db)
        await users.create("kari@drift.no", Role.PROVIDER, PASSWORD)
        for email in ("kari@drift.no", "nobody@drift.no"):
            with pytest.raises(Unauthorized) as refused:
                await signin.sign_in(email, "feil-passord-123", "10.0.0.1")
            assert refused.value.code == "wrong_credentials"
        for _ in range(3):
            with pytest.raises(Unauthorized):
                await signin.sign_in("kari@drift.no", "feil-passord-123", "10.0.0.1")
        with pytest.raises(Locked):  # the fifth failure locks at once
            await signin.sign_in("kari@drift.no", "feil-passord-123", "10.0.0.1")
        with pytest.raises(Locked):  # and the right password is refused while it lasts
            await signin.sign_in("kari@drift.no", PASSWORD, "10.0.0.2")
        clock.advance(timedelta(minutes=15).total_seconds())
        visit = await signin.sign_in("kari@drift.no", PASSWORD, "10.0.0.2")
        assert visit.user.email == "kari@drift.no"

    run_with_database(database_url, scenario)


def test_housekeeping_deletes_ended_sessions_and_old_failures(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        users, signin, clock, _ = await setup(db)
        await users.create("kari@drift.no", Role.PROVIDER, PASSWORD)
        with pytest.raises(Unauthorized):
            await signin.sign_in("ola@drift.no", "feil-passord-123", "10.0.0.9")
        visit = await signin.sign_in("kari@drift.no", PASSWORD, "10.0.0.1")
        assert await signin.forget_expired(clock()) == 0
        clock.advance(timedelta(days=2).total_seconds())
        # the session (idle) and both failure records (a day old, locking nothing)
        assert await signin.forget_expired(clock()) == 3
        assert await signin.current(visit.session_token) is None

    run_with_database(database_url, scenario)


def test_create_refuses_bad_input_with_a_code(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        users, _, _, customer_id = await setup(db)
        await users.create("kari@drift.no", Role.PROVIDER, PASSWORD)
        cases: list[tuple[dict[str, object], type[AppError], str]] = [
            ({"email": "kari"}, Invalid, "email_not_an_address"),
            ({"password": "kort"}, Invalid, "password_too_short"),
            ({"email": "KARI@drift.no"}, Conflict, "email_taken"),
            ({"role": Role.OWNER}, Invalid, "customer_needed"),
            ({"customer_id": customer_id}, Invalid, "provider_has_no_customer"),
            ({"role": Role.OWNER, "customer_id": 999}, NotFound, "customer_not_found"),
            ({"language": "sv"}, Invalid, "unknown_language"),
        ]
        for change, error, code in cases:
            args: dict[str, object] = {
                "email": "ny@drift.no",
                "role": Role.PROVIDER,
                "password": PASSWORD,
            }
            args.update(change)
            with pytest.raises(error) as refused:
                await users.create(**args)  # type: ignore[arg-type]
            assert refused.value.code == code, change

    run_with_database(database_url, scenario)


def test_an_owner_invites_a_member_who_chooses_a_password_once(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        box = Mailbox()
        async with smtp_server(box) as port:
            mail = EmailSender("127.0.0.1", port)
            users, signin, clock, customer_id = await setup(db, mail)
            owner = await users.create("eier@napoli.no", Role.OWNER, PASSWORD, customer_id)
            invitation = await users.invite(owner, "Ola@Napoli.no", Role.MEMBER, customer_id, BASE)
        assert invitation.mailed and invitation.user.password_hash is None
        (envelope,) = box.messages
        assert envelope.rcpt_tos == ["ola@napoli.no"]
        text = body_of(message_from_bytes(envelope.content))  # type: ignore[arg-type]
        assert invitation.link in text and "Pizzeria Napoli" in text and "Velg passord" in text
        token = re.sub(r".*/console/invite/", "", invitation.link)
        assert (await users.open_link(token, LinkPurpose.INVITE)).email == "ola@napoli.no"
        with pytest.raises(Invalid):
            await users.use_link(token, LinkPurpose.INVITE, "kort")
        await users.use_link(token, LinkPurpose.INVITE, "olas-eget-passord")
        with pytest.raises(NotFound):  # once only
            await users.use_link(token, LinkPurpose.INVITE, "olas-andre-passord")
        visit = await signin.sign_in("ola@napoli.no", "olas-eget-passord", "10.0.0.1")
        assert visit.user.role is Role.MEMBER and visit.user.customer_id == customer_id
        assert [u.email for u in await users.of_customer(owner, customer_id)] == [
            "eier@napoli.no",
            "ola@napoli.no",
        ]
        with pytest.raises(Forbidden):  # a member invites nobody
            await users.invite(visit.user, "x@napoli.no", Role.MEMBER, customer_id, BASE)
        unused = await users.invite(owner, "per@napoli.no", Role.MEMBER, customer_id, BASE)
        clock.advance(timedelta(days=7).total_seconds())
        with pytest.raises(NotFound):  # an invitation lives 7 days
            await users.open_link(unused.link.rsplit("/", 1)[1], LinkPurpose.INVITE)

    run_with_database(database_url, scenario)


def test_an_owner_cannot_invite_into_another_customer(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        users, _, clock, customer_id = await setup(db)
        async with users._ctx.storage.transaction() as tx:
            other = await tx.customers.add("Konkurrent", clock())
        owner = await users.create("eier@napoli.no", Role.OWNER, PASSWORD, customer_id)
        with pytest.raises(Forbidden):
            await users.invite(owner, "spion@napoli.no", Role.OWNER, other.id, BASE)
        with pytest.raises(NotFound):
            await users.of_customer(owner, other.id)
        invitation = await users.invite(owner, "ola@napoli.no", Role.MEMBER, customer_id, BASE)
        assert not invitation.mailed and "/console/invite/" in invitation.link

    run_with_database(database_url, scenario)


def test_a_reset_link_ends_every_session_and_expires(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        box = Mailbox()
        async with smtp_server(box) as port:
            users, signin, clock, _ = await setup(db, EmailSender("127.0.0.1", port))
            await users.create("kari@drift.no", Role.PROVIDER, PASSWORD)
            visit = await signin.sign_in("kari@drift.no", PASSWORD, "10.0.0.1")
            await users.request_reset("nobody@drift.no", BASE)  # nothing is sent, no error
            await users.request_reset("KARI@drift.no", BASE)
        (envelope,) = box.messages
        text = body_of(message_from_bytes(envelope.content))  # type: ignore[arg-type]
        token = re.search(r"/console/reset/(\S+)", text).group(1)  # type: ignore[union-attr]
        await users.use_link(token, LinkPurpose.RESET, "nytt-passord-2077")
        assert await signin.current(visit.session_token) is None
        await signin.sign_in("kari@drift.no", "nytt-passord-2077", "10.0.0.1")
        late = re.sub(r".*/console/reset/", "", await users.reset_link("kari@drift.no", BASE))
        clock.advance(timedelta(hours=1).total_seconds())
        with pytest.raises(NotFound):
            await users.open_link(late, LinkPurpose.RESET)
        with pytest.raises(NotFound):  # a reset token is not an invitation either
            await users.open_link(token, LinkPurpose.INVITE)

    run_with_database(database_url, scenario)
