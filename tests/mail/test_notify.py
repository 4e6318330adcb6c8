"""Delivery through GOV.UK Notify's Python client, against a local stand-in of its API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from naas.config import ConfigError, from_environment
from naas.mail import Outcome, deliver, queue_message, transport_from_config
from naas.mail.transports import NotifyTransport

from .conftest import API_KEY, SERVICE_ID, TEMPLATE_ID

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def queued(session, to_email="someone@example.org"):
    message = queue_message(
        session, "test", to_email=to_email, context={"base_url": "http://localhost"}, now=NOW
    )
    session.commit()
    return message


def notify(url: str, key: str = API_KEY) -> NotifyTransport:
    return NotifyTransport(key, TEMPLATE_ID, base_url=url, timeout=5)


def test_a_message_goes_through_notify_with_subject_and_body_as_personalisation(
    session, notify_server
):
    message = queued(session)
    assert deliver(session, message.id, notify(notify_server.url), NOW).outcome is Outcome.SENT
    (sent,) = notify_server.received
    assert sent["email_address"] == "someone@example.org" and sent["template_id"] == TEMPLATE_ID
    assert sent["personalisation"] == {"subject": message.subject, "body": message.body}
    assert sent["reference"] == f"naas-outbox-{message.id}"
    session.refresh(message)
    assert message.state == "sent" and message.provider_reference == "notify-1"


def test_an_address_notify_refuses_is_failed_with_its_reason(session, notify_server):
    message = queued(session, "someone@invalid.example")
    delivery = deliver(session, message.id, notify(notify_server.url), NOW)
    assert delivery.outcome is Outcome.FAILED
    assert delivery.reason == "GOV.UK Notify answered 400: email_address Not a valid email address"


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_busy_or_failing_notify_is_retried(session, notify_server, status):
    notify_server.fail_with = status
    message = queued(session)
    delivery = deliver(session, message.id, notify(notify_server.url), NOW)
    assert delivery.outcome is Outcome.RETRY_LATER and f"answered {status}" in delivery.reason
    notify_server.fail_with = None
    assert deliver(session, message.id, notify(notify_server.url), delivery.retry_at).outcome is (
        Outcome.SENT
    )


def test_a_wrong_api_key_is_refused_by_the_token_check(session, notify_server):
    wrong = f"naas_test-{SERVICE_ID}-00000000-0000-0000-0000-000000000000"
    message = queued(session)
    delivery = deliver(session, message.id, notify(notify_server.url, wrong), NOW)
    assert delivery.outcome is Outcome.FAILED and "403" in delivery.reason
    assert notify_server.received == []


def test_notify_unreachable_is_temporary(session):
    message = queued(session)
    delivery = deliver(session, message.id, notify("http://127.0.0.1:9"), NOW)
    assert delivery.outcome is Outcome.RETRY_LATER


def test_the_settings_choose_notify(notify_server):
    config = from_environment(
        {
            "NAAS_EMAIL_BACKEND": "notify",
            "NAAS_NOTIFY_API_KEY": API_KEY,
            "NAAS_NOTIFY_TEMPLATE_ID": TEMPLATE_ID,
            "NAAS_NOTIFY_BASE_URL": notify_server.url,
        },
        "/tmp/h4mail-instance",
    )
    transport = transport_from_config(config)
    assert isinstance(transport, NotifyTransport) and transport.client.base_url == notify_server.url


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"NAAS_EMAIL_BACKEND": "pigeon"}, "NAAS_EMAIL_BACKEND is 'pigeon'"),
        ({"NAAS_EMAIL_BACKEND": "smtp"}, "NAAS_SMTP_HOST is not set"),
        (
            {"NAAS_EMAIL_BACKEND": "smtp", "NAAS_SMTP_HOST": "mail.example.org"},
            "NAAS_EMAIL_FROM",
        ),
        ({"NAAS_EMAIL_BACKEND": "notify"}, "NAAS_NOTIFY_API_KEY is not set"),
        (
            {"NAAS_EMAIL_BACKEND": "notify", "NAAS_NOTIFY_API_KEY": API_KEY},
            "NAAS_NOTIFY_TEMPLATE_ID is not set",
        ),
        ({"NAAS_SMTP_PORT": "smtp"}, "NAAS_SMTP_PORT is 'smtp'"),
        ({"NAAS_SMTP_STARTTLS": "yes"}, "NAAS_SMTP_STARTTLS is 'yes'"),
    ],
)
def test_bad_email_settings_stop_with_one_line(environ, message):
    with pytest.raises(ConfigError, match=message) as raised:
        from_environment(environ, "/tmp/h4mail-instance")
    assert "\n" not in str(raised.value)
