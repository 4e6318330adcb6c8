"""Email through background jobs: a message written in a transaction is sent by a job once it
commits; the sweep sends what is due again; the outbox backend sends nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from naas.db import utcnow
from naas.jobs import scheduler
from naas.mail import queue_message
from naas.models import Job, OutboxMessage


def _smtp(app, port):
    app.config.update(
        NAAS_EMAIL_BACKEND="smtp",
        NAAS_SMTP_HOST="127.0.0.1",
        NAAS_SMTP_PORT=port,
        NAAS_SMTP_STARTTLS=False,
        NAAS_EMAIL_FROM="naas@example.org",
    )


def _write(app, session, to_email="someone@example.org", rollback=False):
    with app.app_context():
        message = queue_message(
            session,
            "test",
            to_email=to_email,
            context={"base_url": "http://localhost"},
            now=utcnow(),
        )
        if rollback:
            session.rollback()
        else:
            session.commit()
    return message


def test_a_message_is_sent_by_a_job_after_its_transaction_commits(app, session, smtp_server):
    _smtp(app, smtp_server.port)
    message = _write(app, session)
    assert [recipients for recipients, _, _ in smtp_server.messages] == [["someone@example.org"]]
    session.expire_all()
    assert session.get(OutboxMessage, message.id).state == "sent"
    job = session.scalar(select(Job).where(Job.kind == "deliver_email"))
    assert job.state == "done" and job.outcome == f"Message {message.id}: sent."
    _write(app, session, "never@example.org", rollback=True)
    assert len(smtp_server.messages) == 1  # a rolled-back message is never sent


def test_the_sweep_sends_a_message_whose_retry_is_due(app, session, smtp_server):
    _smtp(app, smtp_server.port + 1)  # nobody listens: the first attempt fails
    message = _write(app, session)
    session.expire_all()
    waiting = session.get(OutboxMessage, message.id)
    assert waiting.state == "pending" and waiting.attempts == 1 and waiting.next_attempt_at
    _smtp(app, smtp_server.port)  # the server is back
    scheduler.tick(app, now=waiting.next_attempt_at - timedelta(seconds=1))
    assert smtp_server.messages == []  # not due yet
    with app.app_context():
        app.config["NAAS_CLOCK"] = lambda: waiting.next_attempt_at + timedelta(seconds=1)
        scheduler.tick(app, now=waiting.next_attempt_at + timedelta(minutes=1))
    assert len(smtp_server.messages) == 1
    session.expire_all()
    assert session.get(OutboxMessage, message.id).state == "sent"


def test_with_the_outbox_backend_nothing_is_sent_and_no_job_is_written(app, session):
    message = _write(app, session)
    assert session.scalar(select(Job).where(Job.kind == "deliver_email")) is None
    session.expire_all()
    assert session.get(OutboxMessage, message.id).state == "pending"  # for an admin to read
