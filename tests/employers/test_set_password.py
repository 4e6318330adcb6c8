"""The set-password page: a link works once, until it expires; a used, an expired and an
unknown link get the same message and change nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from naas.employers.invitations import INVALID_LINK, LINK_LIFETIME
from naas.models import AuditEvent, PasswordToken, User

from ..helpers import csrf_token, login
from .test_endorse import nothing_changed, post_endorse, snapshot

NEW_PASSWORD = "a long and new pass phrase"
MESSAGE = INVALID_LINK.split(".")[0]


@pytest.fixture
def link(signed_in):
    """A new member of staff's link, as the employer saw it; then the employer signs out."""
    page = post_endorse(signed_in).get_data(as_text=True)
    path = re.search(r'value="http://localhost(/set-password/[^"]+)"', page).group(1)
    signed_in.post("/logout", data={"csrf_token": csrf_token(signed_in, "/dashboard")})
    return path


def set_password(client, path, password=NEW_PASSWORD, confirm=None):
    token = csrf_token(client, path)
    return client.post(
        path, data={"password": password, "confirm": confirm or password, "csrf_token": token}
    )


def candidate(session):
    session.expire_all()
    return session.scalar(select(User).where(User.email == "amara.okafor@westbrook.gov.uk"))


def test_the_link_sets_the_password_once_and_the_owner_can_sign_in(client, session, link):
    assert "Set your password" in client.get(link).get_data(as_text=True)
    response = set_password(client, link)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert candidate(session).password_hash.startswith("scrypt:")
    assert session.scalar(select(PasswordToken.used_at)) is not None
    assert (
        session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1))
        == "account.password_set"
    )
    assert login(client, "amara.okafor@westbrook.gov.uk", NEW_PASSWORD).status_code == 302


def test_a_used_link_is_refused_with_the_clear_message_and_changes_nothing(client, session, link):
    set_password(client, link)
    before_hash = candidate(session).password_hash
    before = snapshot(session)
    response = client.get(link)
    assert response.status_code == 404 and MESSAGE in response.get_data(as_text=True)
    response = client.post(
        link,
        data={
            "password": "another password here",
            "confirm": "another password here",
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert response.status_code == 404 and MESSAGE in response.get_data(as_text=True)
    assert candidate(session).password_hash == before_hash
    assert nothing_changed(session, before)


def test_an_expired_link_is_refused_with_the_same_message(client, session, clock, link):
    clock.advance(seconds=LINK_LIFETIME.total_seconds())
    before = snapshot(session)
    response = client.get(link)
    assert response.status_code == 404 and MESSAGE in response.get_data(as_text=True)
    assert set_password_without_form(client, link).status_code == 404
    assert candidate(session).password_hash is None
    assert nothing_changed(session, before)


def test_a_link_works_until_just_before_its_expiry(client, session, clock, link):
    clock.advance(seconds=LINK_LIFETIME.total_seconds() - 1)
    assert set_password(client, link).status_code == 302


def test_an_unknown_link_is_refused_with_the_same_message(client, session, link):
    before = snapshot(session)
    for path in ("/set-password/nonsense", link[:-1], link + "x"):
        response = client.get(path)
        assert response.status_code == 404 and MESSAGE in response.get_data(as_text=True)
    assert nothing_changed(session, before)


def set_password_without_form(client, path):
    return client.post(
        path,
        data={
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf_token(client, "/login"),
        },
    )


@pytest.mark.parametrize(
    "password, confirm, message",
    [
        ("short", "short", "Use at least 12 characters."),
        (
            "a long and new pass phrase",
            "a different phrase here",
            "The two passwords are not the same.",
        ),
        ("", "", "Enter a password."),
        (
            " leading space pass phrase",
            " leading space pass phrase",
            "Do not start or end the password with a space.",
        ),
    ],
)
def test_a_password_that_breaks_the_rules_is_refused_and_the_link_still_works(
    client, session, link, password, confirm, message
):
    before = snapshot(session)
    response = set_password(client, link, password, confirm)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert candidate(session).password_hash is None and nothing_changed(session, before)
    assert set_password(client, link).status_code == 302


def test_setting_the_password_needs_a_csrf_token(client, session, link):
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400 and candidate(session).password_hash is None


def test_a_deactivated_accounts_link_is_refused(client, session, link):
    user = candidate(session)
    user.active = False
    session.commit()
    assert client.get(link).status_code == 404


def test_the_page_is_rate_limited(app, client, link):
    app.config["NAAS_SET_PASSWORD_LIMIT"] = "3 per minute"
    statuses = [client.get("/set-password/guess-" + str(n)).status_code for n in range(4)]
    assert statuses == [404, 404, 404, 429]


def test_setting_the_password_signs_out_other_sessions_of_the_account(
    app, client, session, clock, link
):
    set_password(client, link)
    other = app.test_client()
    assert login(other, "amara.okafor@westbrook.gov.uk", NEW_PASSWORD).status_code == 302
    user = candidate(session)
    version = user.session_version
    # a second link, made by the command line, and used: the earlier session ends
    from naas.employers.invitations import issue_link

    invitation = issue_link(
        session,
        user,
        opening="x",
        actor_id=None,
        now=clock(),
        link_for=lambda token: "/set-password/" + token,
    )
    session.commit()
    assert set_password(client, invitation.link, "yet another long phrase").status_code == 302
    assert candidate(session).session_version == version + 1
    assert other.get("/dashboard").status_code == 302  # signed out
