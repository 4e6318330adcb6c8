"""Delivery through a real SMTP server on 127.0.0.1: plain, with STARTTLS, refused, down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from naas.mail import Outcome, deliver, due_messages, queue_message
from naas.mail.delivery import MAX_ATTEMPTS, retry_delay
from naas.mail.transports import SmtpTransport
from naas.models import OutboxMessage

from ..helpers import make_user
from .conftest import free_port

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def smtp(port: int, **options) -> SmtpTransport:
    return SmtpTransport("127.0.0.1", port, sender="naas@example.org", timeout=5, **options)


def a_test_message(session, to_email="someone@example.org") -> OutboxMessage:
    message = queue_message(
        session, "test", to_email=to_email, context={"base_url": "http://localhost"}, now=NOW
    )
    session.commit()
    return message


def test_a_message_is_delivered_with_text_and_html_bodies(session, smtp_server):
    message = a_test_message(session)
    delivery = deliver(session, message.id, smtp(smtp_server.port), NOW)
    assert delivery.outcome is Outcome.SENT
    (recipients, email, encrypted) = smtp_server.messages[0]
    assert recipients == ["someone@example.org"] and not encrypted
    assert email["From"] == "naas@example.org" and email["Subject"] == message.subject
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    assert "This is a test email" in text and "<p>This is a test email" in html
    session.refresh(message)
    assert (message.state, message.attempts, message.sent_at) == ("sent", 1, NOW)
    assert message.provider_reference == email["Message-ID"]


def test_delivering_twice_sends_once(session, smtp_server):
    message = a_test_message(session)
    transport = smtp(smtp_server.port)
    assert deliver(session, message.id, transport, NOW).outcome is Outcome.SENT
    assert deliver(session, message.id, transport, NOW).outcome is Outcome.ALREADY_SENT
    assert len(smtp_server.messages) == 1 and due_messages(session, NOW) == []


def test_starttls_with_the_servers_certificate_checked(session, starttls_server):
    message = a_test_message(session)
    transport = smtp(
        starttls_server.port, starttls=True, ssl_context=starttls_server.client_context
    )
    assert deliver(session, message.id, transport, NOW).outcome is Outcome.SENT
    assert starttls_server.messages[0][2] is True  # the message travelled encrypted


def test_a_server_certificate_that_is_not_trusted_is_not_sent_to(session, starttls_server):
    message = a_test_message(session)
    delivery = deliver(session, message.id, smtp(starttls_server.port, starttls=True), NOW)
    assert delivery.outcome is Outcome.RETRY_LATER and "CERTIFICATE_VERIFY_FAILED" in (
        delivery.reason
    )
    assert starttls_server.messages == []


def test_without_starttls_a_server_that_requires_it_refuses(session, starttls_server):
    message = a_test_message(session)
    delivery = deliver(session, message.id, smtp(starttls_server.port), NOW)
    assert delivery.outcome is Outcome.FAILED and "530" in delivery.reason
    assert starttls_server.messages == []


def test_a_refused_recipient_is_failed_with_the_servers_reason(session, smtp_server):
    message = a_test_message(session, "refuse-me@example.org")
    delivery = deliver(session, message.id, smtp(smtp_server.port), NOW)
    assert delivery.outcome is Outcome.FAILED
    session.refresh(message)
    assert message.state == "failed" and message.attempts == 1
    assert message.last_error == (
        "the mail server answered 550 5.1.1 <refuse-me@example.org>: Recipient address "
        "rejected: no such mailbox"
    )
    assert due_messages(session, NOW + timedelta(days=1)) == []  # never retried by itself


def test_a_server_that_is_down_is_retried_with_backoff_then_failed(session):
    message = a_test_message(session)
    transport = smtp(free_port())  # nothing listens there
    now = NOW
    for attempt in range(1, MAX_ATTEMPTS):
        delivery = deliver(session, message.id, transport, now)
        assert delivery.outcome is Outcome.RETRY_LATER
        assert delivery.retry_at == now + retry_delay(attempt)
        assert "Connection refused" in delivery.reason
        # not due before its time: a second call then neither sends nor counts an attempt
        early = deliver(session, message.id, transport, now + timedelta(seconds=1))
        assert early.outcome is Outcome.RETRY_LATER and due_messages(session, now) == []
        now = delivery.retry_at
        assert due_messages(session, now) == [message.id]
    delivery = deliver(session, message.id, transport, now)
    assert delivery.outcome is Outcome.FAILED
    session.refresh(message)
    assert message.state == "failed" and message.attempts == MAX_ATTEMPTS
    assert message.last_error.startswith(f"Gave up after {MAX_ATTEMPTS} attempts")
    assert retry_delay(1) < retry_delay(2) < retry_delay(3)


def test_a_change_of_address_before_sending_applies(session, smtp_server):
    user = make_user(session, "candidate", email="old@example.org")
    message = queue_message(
        session,
        "result_released",
        user=user,
        context={"name": user.name, "tier_title": "Practitioner", "sign_in_link": "http://x/"},
        now=NOW,
    )
    session.commit()
    user.email = "new@example.org"
    session.commit()
    assert deliver(session, message.id, smtp(smtp_server.port), NOW).outcome is Outcome.SENT
    assert smtp_server.messages[0][0] == ["new@example.org"]
    session.refresh(message)
    assert message.to_email == "new@example.org"  # where it went, for the admin


def test_a_deleted_message_is_nothing_to_do(session, smtp_server):
    message = a_test_message(session)
    session.delete(message)
    session.commit()
    delivery = deliver(session, message.id, smtp(smtp_server.port), NOW)
    assert delivery.outcome is Outcome.NOTHING_TO_DO and smtp_server.messages == []


def test_a_cancelled_message_is_nothing_to_do(session, smtp_server):
    message = a_test_message(session)
    message.state = "cancelled"
    session.commit()
    assert deliver(session, message.id, smtp(smtp_server.port), NOW).outcome is (
        Outcome.NOTHING_TO_DO
    )
    assert smtp_server.messages == []


def test_a_claim_held_by_another_delivery_is_left_alone_until_it_lapses(session, smtp_server):
    message = a_test_message(session)
    message.state, message.next_attempt_at, message.attempts = (
        "sending",
        NOW + timedelta(minutes=10),
        1,
    )
    session.commit()
    transport = smtp(smtp_server.port)
    assert deliver(session, message.id, transport, NOW).outcome is Outcome.NOTHING_TO_DO
    assert smtp_server.messages == []
    later = NOW + timedelta(minutes=11)  # its holder never finished (a worker killed mid-send)
    assert due_messages(session, later) == [message.id]
    assert deliver(session, message.id, transport, later).outcome is Outcome.SENT
