"""The admin's outbox: delivery state, attempts and errors, a filter, and resending a failure."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from naas.models import AuditEvent, OutboxMessage

from ..helpers import csrf_token, login, make_user

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def admin_client(client, session):
    login(client, make_user(session, "admin").email)
    return client


def a_message(session, state: str, subject: str, **values) -> OutboxMessage:
    message = OutboxMessage(
        to_email="someone@example.org", subject=subject, body="Hello", state=state, **values
    )
    session.add(message)
    session.commit()
    return message


def test_the_outbox_shows_state_attempts_and_the_last_error(admin_client, session):
    a_message(
        session,
        "failed",
        "Refused one",
        attempts=1,
        last_error="the mail server answered 550 5.1.1 no such mailbox",
    )
    page = admin_client.get("/admin/outbox").get_data(as_text=True)
    assert "Failed" in page and "550 5.1.1 no such mailbox" in page and "Resend" in page


def test_the_filter_shows_one_state(admin_client, session):
    a_message(session, "failed", "Failed one")
    a_message(session, "sent", "Sent one", sent_at=NOW)
    a_message(session, "pending", "Waiting one")
    failed = admin_client.get("/admin/outbox?state=failed").get_data(as_text=True)
    assert "Failed one" in failed and "Sent one" not in failed and "Waiting one" not in failed
    pending = admin_client.get("/admin/outbox?state=pending").get_data(as_text=True)
    assert "Waiting one" in pending and "Failed one" not in pending
    everything = admin_client.get("/admin/outbox?state=nonsense").get_data(as_text=True)
    assert all(s in everything for s in ("Failed one", "Sent one", "Waiting one"))


def test_an_admin_resends_a_failed_message_and_it_is_audited(admin_client, session):
    message = a_message(session, "failed", "Refused one", attempts=5, last_error="down")
    response = admin_client.post(
        f"/admin/outbox/{message.id}/resend",
        data={"csrf_token": csrf_token(admin_client, "/admin/outbox")},
    )
    assert response.status_code == 302
    session.expire_all()
    message = session.get(OutboxMessage, message.id)
    assert (message.state, message.attempts, message.next_attempt_at) == ("pending", 0, None)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "outbox.resend"))
    assert event.subject_id == str(message.id)


def test_only_a_failed_message_can_be_resent(admin_client, session):
    message = a_message(session, "sent", "Sent one", sent_at=NOW, attempts=1)
    response = admin_client.post(
        f"/admin/outbox/{message.id}/resend",
        data={"csrf_token": csrf_token(admin_client, "/admin/outbox")},
        follow_redirects=True,
    )
    assert "Only a message that failed can be sent again" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(OutboxMessage, message.id).attempts == 1
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "outbox.resend")) is None


def test_resending_needs_a_csrf_token_and_an_existing_message(admin_client, session):
    message = a_message(session, "failed", "Refused one")
    assert admin_client.post(f"/admin/outbox/{message.id}/resend").status_code == 400
    token = csrf_token(admin_client, "/admin/outbox")
    assert (
        admin_client.post("/admin/outbox/999/resend", data={"csrf_token": token}).status_code == 404
    )
    session.expire_all()
    assert session.get(OutboxMessage, message.id).state == "failed"


@pytest.mark.parametrize("role", ["candidate", "employer", "assessor"])
def test_only_admins_resend(client, session, role):
    message = a_message(session, "failed", "Refused one")
    login(client, make_user(session, role).email)
    token = csrf_token(client, "/dashboard")
    response = client.post(f"/admin/outbox/{message.id}/resend", data={"csrf_token": token})
    assert response.status_code == 403
    session.expire_all()
    assert session.get(OutboxMessage, message.id).state == "failed"
