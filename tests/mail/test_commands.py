"""`naas mail test` and `naas mail deliver`."""

from __future__ import annotations

from sqlalchemy import select

from naas.models import OutboxMessage


def test_mail_test_sends_through_smtp(app, runner, smtp_server):
    app.config.update(
        NAAS_EMAIL_BACKEND="smtp",
        NAAS_SMTP_HOST="127.0.0.1",
        NAAS_SMTP_PORT=smtp_server.port,
        NAAS_EMAIL_FROM="naas@example.org",
    )
    result = runner.invoke(args=["mail", "test", "ops@example.org"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Sent a test message to ops@example.org through smtp."
    assert smtp_server.messages[0][0] == ["ops@example.org"]


def test_mail_test_refused_says_why_in_one_line(app, runner, smtp_server):
    app.config.update(
        NAAS_EMAIL_BACKEND="smtp",
        NAAS_SMTP_HOST="127.0.0.1",
        NAAS_SMTP_PORT=smtp_server.port,
        NAAS_EMAIL_FROM="naas@example.org",
    )
    result = runner.invoke(args=["mail", "test", "refuse@example.org"])
    assert result.exit_code == 1 and "550 5.1.1" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_mail_test_refuses_what_is_not_an_address(runner, session):
    result = runner.invoke(args=["mail", "test", "not an address"])
    assert result.exit_code == 1 and "is not an email address" in result.output
    assert session.scalar(select(OutboxMessage)) is None


def test_mail_deliver_sends_what_is_due_and_counts(app, runner, session, smtp_server):
    app.config.update(
        NAAS_EMAIL_BACKEND="smtp",
        NAAS_SMTP_HOST="127.0.0.1",
        NAAS_SMTP_PORT=smtp_server.port,
        NAAS_EMAIL_FROM="naas@example.org",
    )
    for address in ("a@example.org", "refuse@example.org"):
        session.add(OutboxMessage(to_email=address, subject="Hello", body="Hello"))
    session.commit()
    result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "Through smtp: 1 sent, 0 already sent, 0 nothing to do, 0 retry later, 1 failed."
    )
    again = runner.invoke(args=["mail", "deliver"])
    assert "0 sent" in again.output and len(smtp_server.messages) == 1
