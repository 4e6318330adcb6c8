"""The admin side: organisations and their employer users, from the admin pages and the
command line, and the outbox the admin reads."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from naas.employers.sealing import NOT_KEPT, OUTBOX_KEY, UNREADABLE, opened, outbox_key, seal
from naas.models import AuditEvent, Organisation, OutboxMessage, PasswordToken, User

from ..helpers import csrf_token, login, make_org, make_user


@pytest.fixture
def admin_client(client, session):
    admin = make_user(session, "admin")
    login(client, admin.email)
    return client


def test_the_admin_dashboard_links_to_organisations_and_the_outbox(admin_client):
    page = admin_client.get("/dashboard").get_data(as_text=True)
    assert 'href="/admin/organisations"' in page and 'href="/admin/outbox"' in page


def test_an_admin_creates_an_organisation(admin_client, session):
    response = admin_client.post(
        "/admin/organisations",
        data={
            "name": "  Northfield   Borough Council ",
            "kind": "local_authority",
            "csrf_token": csrf_token(admin_client, "/admin/organisations"),
        },
    )
    organisation = session.scalar(select(Organisation))
    assert organisation.name == "Northfield Borough Council"
    assert response.headers["Location"].endswith(f"/admin/organisations/{organisation.id}")
    assert "Northfield Borough Council" in admin_client.get("/admin/organisations").get_data(
        as_text=True
    )
    assert session.scalar(select(AuditEvent.action)) == "organisation.create"


@pytest.mark.parametrize(
    "name, kind, message",
    [
        (
            "Westbrook Council",
            "local_authority",
            "There is already an organisation called Westbrook Council",
        ),
        ("", "local_authority", "Enter the organisation"),
        ("New Place", "castle", "Not a valid choice"),
    ],
)
def test_a_bad_organisation_is_refused_and_changes_nothing(
    admin_client, session, name, kind, message
):
    make_org(session, "Westbrook Council")
    response = admin_client.post(
        "/admin/organisations",
        data={
            "name": name,
            "kind": kind,
            "csrf_token": csrf_token(admin_client, "/admin/organisations"),
        },
    )
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalars(select(Organisation.name)).all() == ["Westbrook Council"]


def test_an_admin_adds_an_employer_user_who_gets_a_one_time_link(admin_client, client, session):
    org = make_org(session, "Westbrook Council")
    path = f"/admin/organisations/{org.id}"
    page = admin_client.post(
        f"{path}/employers",
        data={
            "name": "Gareth Hughes",
            "email": "Gareth@Westbrook.gov.uk",
            "csrf_token": csrf_token(admin_client, path),
        },
    ).get_data(as_text=True)
    link = re.search(r'value="http://localhost(/set-password/[^"]+)"', page).group(1)
    user = session.scalar(select(User).where(User.email == "gareth@westbrook.gov.uk"))
    assert (
        user.roles == {"employer"} and user.organisation_id == org.id and user.password_hash is None
    )
    assert "Password not set yet" in admin_client.get(path).get_data(as_text=True)
    outbox = admin_client.get("/admin/outbox").get_data(as_text=True)
    assert "gareth@westbrook.gov.uk" in outbox and link in outbox


def test_an_employer_user_with_a_taken_email_is_refused(admin_client, session):
    org = make_org(session, "Westbrook Council")
    taken = make_user(session, "assessor")
    path = f"/admin/organisations/{org.id}"
    response = admin_client.post(
        f"{path}/employers",
        data={
            "name": "Someone",
            "email": taken.email,
            "csrf_token": csrf_token(admin_client, path),
        },
    )
    assert response.status_code == 422 and "already an account" in response.get_data(as_text=True)
    assert session.scalar(select(PasswordToken)) is None


def test_an_unknown_organisation_is_404(admin_client):
    assert admin_client.get("/admin/organisations/999").status_code == 404
    token = csrf_token(admin_client, "/admin/organisations")
    assert (
        admin_client.post(
            "/admin/organisations/999/employers",
            data={"name": "X", "email": "x@example.org", "csrf_token": token},
        ).status_code
        == 404
    )


def test_the_outbox_pages_through_messages_newest_first(admin_client, session):
    session.add_all(
        OutboxMessage(to_email=f"person{n}@example.org", subject=f"Message {n}", body="Hello")
        for n in range(60)
    )
    session.commit()
    first = admin_client.get("/admin/outbox").get_data(as_text=True)
    assert "Message 59" in first and "Message 9<" not in first and "page 1 of 2" in first
    second = admin_client.get("/admin/outbox?page=2").get_data(as_text=True)
    assert "Message 9<" in second and "Message 59" not in second


@pytest.mark.parametrize("role", ["candidate", "employer", "assessor", "moderator"])
def test_admin_pages_are_for_admins_only(client, session, role):
    org = make_org(session, "Westbrook Council")
    user = make_user(session, role)
    login(client, user.email)
    for path in ("/admin/organisations", f"/admin/organisations/{org.id}", "/admin/outbox"):
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, "/dashboard")
    assert (
        client.post(
            "/admin/organisations", data={"name": "X", "kind": "other", "csrf_token": token}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/admin/organisations/{org.id}/employers",
            data={"name": "X", "email": "x@example.org", "csrf_token": token},
        ).status_code
        == 403
    )


def test_admin_forms_need_a_csrf_token(admin_client, session):
    assert (
        admin_client.post("/admin/organisations", data={"name": "X", "kind": "other"}).status_code
        == 400
    )
    assert session.scalar(select(Organisation)) is None


# -- the command line ------------------------------------------------------------------------
def test_org_and_employer_user_from_the_command_line_then_a_password_link(
    runner, session, monkeypatch
):
    assert (
        runner.invoke(args=["org", "create", "Westbrook Council", "--kind", "trust"]).exit_code == 0
    )
    result = runner.invoke(
        args=[
            "user",
            "create",
            "--email",
            "gh@westbrook.gov.uk",
            "--name",
            "Gareth Hughes",
            "--role",
            "employer",
            "--org",
            "Westbrook Council",
            "--no-password",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["user", "password-link", "--email", "GH@westbrook.gov.uk"])
    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1]
    assert link.startswith("http://localhost/set-password/")
    body = session.scalar(select(OutboxMessage.body))
    assert link not in body and opened(session.info[OUTBOX_KEY], body).count(link) == 1


def test_a_password_link_for_an_unknown_email_fails_with_one_line(runner):
    result = runner.invoke(args=["user", "password-link", "--email", "nobody@example.org"])
    assert (
        result.exit_code == 1
        and result.output.strip() == "Error: no account with the email nobody@example.org"
    )


# -- the outbox at rest ------------------------------------------------------------------------
def everything_stored(session) -> str:
    """Every row of every table that could hold a link, as a copy of the database would show it."""
    return repr(
        [
            tuple(row)
            for table in ("outbox_messages", "password_tokens", "audit_events")
            for row in session.execute(text(f"SELECT * FROM {table}"))
        ]
    )


def test_a_copy_of_the_database_holds_no_live_link_yet_the_admin_reads_one_that_works(
    admin_client, client, session
):
    org = make_org(session, "Westbrook Council")
    path = f"/admin/organisations/{org.id}"
    page = admin_client.post(
        f"{path}/employers",
        data={
            "name": "Gareth Hughes",
            "email": "gareth@westbrook.gov.uk",
            "csrf_token": csrf_token(admin_client, path),
        },
    ).get_data(as_text=True)
    token = re.search(r'value="http://localhost/set-password/([^"]+)"', page).group(1)
    stored = everything_stored(session)
    assert "gareth@westbrook.gov.uk" in stored and token not in stored and token[:12] not in stored
    outbox = admin_client.get("/admin/outbox").get_data(as_text=True)
    assert f"http://localhost/set-password/{token}" in outbox and "[sealed:" not in outbox
    assert client.get(f"/set-password/{token}").status_code == 200  # the link the admin read works


def test_a_link_sealed_under_another_secret_key_is_shown_as_unreadable_not_an_error(
    admin_client, session
):
    sealed = seal(
        outbox_key("an earlier secret key " + "y" * 40), "http://localhost/set-password/abc"
    )
    session.add(
        OutboxMessage(to_email="someone@example.org", subject="Old", body=f"Link:\n\n{sealed}\n")
    )
    session.commit()
    response = admin_client.get("/admin/outbox")
    assert response.status_code == 200 and UNREADABLE in response.get_data(as_text=True)
    assert "/set-password/abc" not in response.get_data(as_text=True)


def test_the_outbox_key_is_its_own_and_nothing_is_sealed_without_a_secret_key():
    key = outbox_key("s" * 40)
    assert len(key) == 32 and key != outbox_key("t" * 40) and key not in ("s" * 40).encode()
    assert outbox_key(None) is None and outbox_key("not-serving") is None
    assert seal(None, "http://localhost/set-password/abc") == NOT_KEPT
    assert opened(key, seal(key, "secret text")) == "secret text"
    assert seal(key, "same") != seal(key, "same")  # a fresh nonce each time
    sealed = seal(key, "secret text")
    tampered = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    assert opened(key, tampered) == UNREADABLE
