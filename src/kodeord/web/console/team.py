"""The team page: a customer's console users, and the owner's invitations.

An owner invites a member (or another owner) by e-mail address; the invitee gets a
one-time link by e-mail when SMTP is set, and the page shows the link to the owner in
every case (so a gateway without SMTP can still add people; the owner passes it on).
Members see who is on the team but cannot invite.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from kodeord.app.errors import AppError
from kodeord.app.users.users import Invitation
from kodeord.domain.users import Action, Role
from kodeord.web.console.render import render
from kodeord.web.console.visit import ConsoleRefusal, Page, UserForm, UserPage

router = APIRouter(prefix="/console")

INVITE_ERRORS = {
    "email_taken": "That address has an account already.",
    "email_missing": "Type an e-mail address.",
    "email_not_an_address": "That is not an e-mail address.",
    "email_too_long": "That is not an e-mail address.",
}
ROLES = (Role.MEMBER, Role.OWNER)


def _customer(found: Page) -> int:
    if found.customer_id is None:
        raise ConsoleRefusal(404, found.t("The team page belongs to a customer."))
    return found.customer_id


async def _page(
    found: Page,
    status: int = 200,
    typed: dict[str, str] | None = None,
    error: str | None = None,
    invitation: Invitation | None = None,
) -> Response:
    users = await found.gateway.users.of_customer(found.user, _customer(found))
    return render(
        found,
        "team/team.html",
        status,
        users=users,
        roles=ROLES,
        typed=typed or {"email": "", "role": Role.MEMBER.value},
        error=error,
        invitation=invitation,
        can_invite=found.may(Action.MANAGE_TEAM),
    )


@router.get("/team")
async def team(found: UserPage) -> Response:
    found.require(Action.READ_ACCOUNT)
    return await _page(found)


@router.post("/team/invite")
async def invite(found: UserPage, form: UserForm) -> Response:
    found.require(Action.MANAGE_TEAM)
    customer_id = _customer(found)
    typed = {"email": form.get("email"), "role": form.get("role")}
    role = Role.OWNER if typed["role"] == Role.OWNER.value else Role.MEMBER
    try:
        invitation = await found.gateway.users.invite(
            found.user, typed["email"], role, customer_id, found.base_url
        )
    except AppError as refused:
        text = INVITE_ERRORS.get(refused.code, "That address cannot be invited.")
        return await _page(found, 422, typed, found.t(text))
    return await _page(found, 201, invitation=invitation)
