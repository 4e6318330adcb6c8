"""The message catalogue, and the messages that features queue as things happen."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select, text

from naas.employers.invitations import issue_link
from naas.mail import Outcome, deliver, queue_expiry_reminders, queue_message
from naas.mail.catalogue import CATALOGUE, render
from naas.mail.transports import OutboxOnlyTransport, SmtpTransport
from naas.models import OutboxMessage

from ..certificates.conftest import certificate_of, sit_and_release
from ..helpers import make_user

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
SAMPLES = {
    "set_password": {
        "name": "Amara Okafor",
        "opening": "Northfield Council has endorsed you.",
        "link": "http://localhost/set-password/abc",
        "expires_at": NOW,
    },
    "endorsement_received": {
        "name": "Amara Okafor",
        "organisation": "Northfield Council",
        "tier_title": "Practitioner",
        "sign_in_link": "http://localhost/login",
    },
    "result_released": {
        "name": "Amara Okafor",
        "tier_title": "Practitioner",
        "sign_in_link": "http://localhost/login",
    },
    "certificate_issued": {
        "name": "Amara Okafor",
        "tier_title": "Practitioner",
        "number": "NAAS-1234",
        "expires_on": date(2030, 3, 1),
        "verify_link": "http://localhost/verify/NAAS-1234",
        "sign_in_link": "http://localhost/login",
    },
    "review_outcome": {
        "name": "Amara Okafor",
        "tier_title": "Practitioner",
        "sign_in_link": "http://localhost/login",
    },
    "accreditation_expiring": {
        "name": "Amara Okafor",
        "tier_title": "Practitioner",
        "number": "NAAS-1234",
        "expires_on": date(2030, 3, 1),
        "days": 90,
        "sign_in_link": "http://localhost/login",
    },
    "test": {"base_url": "http://localhost"},
}
# Nothing a subject line may give away: a link, a password, an outcome or a mark.
SECRET_IN_SUBJECT = re.compile(r"http|/|password:|\bpass(ed)?\b|\bfail|score|mark|\d+%", re.I)


def test_every_kind_has_a_sample_here():
    assert set(SAMPLES) == set(CATALOGUE)


@pytest.mark.parametrize("kind", sorted(CATALOGUE))
def test_every_kind_renders_text_and_html_with_nothing_secret_in_its_subject(kind):
    message = render(kind, SAMPLES[kind])
    assert message.text.strip() and "<" not in message.text
    assert message.html.startswith("<!doctype html>") and '<html lang="en-GB">' in message.html
    assert "<main" in message.html and f"<title>{message.subject}</title>" in message.html
    assert not SECRET_IN_SUBJECT.search(message.subject), message.subject
    for value in SAMPLES[kind].values():
        if isinstance(value, str) and value.startswith("http"):
            assert value in message.text and f'href="{value}"' in message.html


def test_a_missing_value_or_an_unknown_kind_is_an_error_not_a_blank():
    with pytest.raises(TypeError):
        render("result_released", {"name": "Amara Okafor"})
    with pytest.raises(ValueError, match="no email of the kind 'postcard'"):
        render("postcard", {})


def test_html_bodies_escape_what_people_typed():
    message = render("result_released", {**SAMPLES["result_released"], "name": "<b>Amara</b>"})
    assert "&lt;b&gt;Amara&lt;/b&gt;" in message.html


def test_a_dedupe_key_writes_a_message_once(session):
    user = make_user(session, "candidate")
    args = dict(user=user, context=SAMPLES["result_released"], now=NOW, dedupe_key="once:1")
    assert queue_message(session, "result_released", **args) is not None
    assert queue_message(session, "result_released", **args) is None
    session.commit()
    assert session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == "once:1"))


# -- from the features -------------------------------------------------------------------------
def messages_to(session, user) -> dict[str, OutboxMessage]:
    session.expire_all()
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user.id)).all()
    return {row.kind: row for row in rows}


def test_a_release_tells_of_a_result_never_what_it_is(session, candidate, org, employer):
    result = sit_and_release(session, candidate, org, employer, passed=True)
    messages = messages_to(session, candidate)
    assert {"result_released", "certificate_issued"} <= set(messages)
    released = messages["result_released"]
    words = (released.subject + released.body + released.html_body).lower()
    assert "is ready" in words and "http://localhost/login" in released.body
    for secret in ("passed", "failed", "score", "marks", "out of", "certificate"):
        assert secret not in words, secret
    certificate = certificate_of(session, result)
    issued = messages["certificate_issued"]
    assert f"http://localhost/verify/{certificate.number}" in issued.body
    assert f'href="http://localhost/verify/{certificate.number}"' in issued.html_body


def test_a_result_released_reads_the_same_for_a_pass_and_a_fail(session, org, employer, loaded):
    passed = make_user(session, "candidate", org=org, name="Amara Okafor")
    failed = make_user(session, "candidate", org=org, name="Amara Okafor")
    sit_and_release(session, passed, org, employer, passed=True)
    sit_and_release(session, failed, org, employer, passed=False)
    a, b = messages_to(session, passed), messages_to(session, failed)
    assert "certificate_issued" not in b
    assert (a["result_released"].subject, a["result_released"].body) == (
        b["result_released"].subject,
        b["result_released"].body,
    )


def test_a_set_password_link_is_sealed_at_rest_and_opened_as_it_is_sent(session, smtp_server):
    user = make_user(session, "employer", name="Gareth Hughes")
    invitation = issue_link(
        session,
        user,
        opening="An account has been made for you.",
        actor_id=None,
        now=NOW,
        link_for=lambda token: f"http://localhost/set-password/{token}",
    )
    session.commit()
    token = invitation.link.rsplit("/", 1)[1]
    stored = repr([tuple(r) for r in session.execute(text("SELECT * FROM outbox_messages"))])
    assert token not in stored
    message = messages_to(session, user)["set_password"]
    assert "password" not in message.subject.lower().replace("set your password", "")
    transport = SmtpTransport("127.0.0.1", smtp_server.port, sender="naas@example.org")
    assert deliver(session, message.id, transport, NOW).outcome is Outcome.SENT
    email = smtp_server.messages[0][1]
    assert invitation.link in email.get_body(("plain",)).get_content()
    assert f'href="{invitation.link}"' in email.get_body(("html",)).get_content()
    assert token not in email["Subject"]


def test_a_link_sealed_under_another_key_fails_rather_than_sending_a_broken_link(
    session, smtp_server
):
    user = make_user(session, "employer")
    issue_link(
        session, user, opening="Hello.", actor_id=None, now=NOW, link_for=lambda t: f"http://x/{t}"
    )
    session.commit()
    message = messages_to(session, user)["set_password"]
    session.info = {**session.info, "naas.outbox_key": b"k" * 32, "naas.outbox_fallback_keys": []}
    transport = SmtpTransport("127.0.0.1", smtp_server.port, sender="naas@example.org")
    delivery = deliver(session, message.id, transport, NOW)
    assert delivery.outcome is Outcome.FAILED and "another secret key" in delivery.reason
    assert smtp_server.messages == []


def test_the_outbox_only_transport_records_without_sending(session):
    message = queue_message(
        session, "test", to_email="a@example.org", context=SAMPLES["test"], now=NOW
    )
    session.commit()
    assert deliver(session, message.id, OutboxOnlyTransport(), NOW).outcome is Outcome.SENT
    session.refresh(message)
    assert message.provider_reference == "outbox-only"


def test_two_deliveries_at_once_send_one_email(app, session, smtp_server):
    message = queue_message(
        session, "test", to_email="a@example.org", context=SAMPLES["test"], now=NOW
    )
    session.commit()
    transport = SmtpTransport("127.0.0.1", smtp_server.port, sender="naas@example.org")
    outcomes, start = [], threading.Barrier(2)

    def one():
        own = app.extensions["naas.db"]()
        try:
            start.wait()
            outcomes.append(deliver(own, message.id, transport, NOW).outcome)
        finally:
            own.close()

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(smtp_server.messages) == 1
    assert outcomes.count(Outcome.SENT) == 1 and len(outcomes) == 2


def test_expiry_reminders_go_once_at_90_and_at_30_days(session, candidate, org, employer):
    certificate = certificate_of(session, sit_and_release(session, candidate, org, employer))
    expires = datetime.combine(certificate.expires_on, time(12), tzinfo=UTC)
    assert queue_expiry_reminders(session, expires - timedelta(days=91)) == 0
    assert queue_expiry_reminders(session, expires - timedelta(days=80)) == 1
    assert queue_expiry_reminders(session, expires - timedelta(days=79)) == 0  # written already
    assert queue_expiry_reminders(session, expires - timedelta(days=25)) == 1
    assert queue_expiry_reminders(session, expires - timedelta(days=24)) == 0
    session.commit()
    reminders = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "accreditation_expiring")
    ).all()
    assert sorted(m.dedupe_key for m in reminders) == [
        f"accreditation_expiring:{certificate.id}:30",
        f"accreditation_expiring:{certificate.id}:90",
    ]
    assert all(m.user_id == candidate.id for m in reminders)


def test_a_revoked_accreditation_gets_no_reminder(session, candidate, org, employer):
    certificate = certificate_of(session, sit_and_release(session, candidate, org, employer))
    certificate.revoked_at = NOW
    session.commit()
    expires = datetime.combine(certificate.expires_on, time(12), tzinfo=UTC)
    assert queue_expiry_reminders(session, expires - timedelta(days=20)) == 0
