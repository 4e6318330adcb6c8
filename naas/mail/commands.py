"""`naas mail`: deliver what is due (a cron-able fallback to the job queue), queue the expiry
reminders, and send a test message to check the settings."""

from __future__ import annotations

from collections import Counter

import click
from flask import current_app

from naas import db
from naas.cli import add_command, fail, with_app
from naas.db import utcnow

from .delivery import Outcome, deliver, due_messages, queue_message
from .reminders import queue_expiry_reminders
from .transports import transport_from_config


@click.group("mail", help="Email: delivery, reminders and a test message.")
def mail_group() -> None:
    pass


@mail_group.command(
    "deliver", help="Try every message that is due once, and print how each attempt went."
)
@with_app()
def mail_deliver() -> None:
    transport = transport_from_config(current_app.config)
    outcomes: Counter[Outcome] = Counter()
    for message_id in due_messages(db.session, utcnow()):
        outcomes[deliver(db.session, message_id, transport, utcnow()).outcome] += 1
    click.echo(
        f"Through {transport.name}: "
        + ", ".join(f"{outcomes[outcome]} {outcome.value}" for outcome in Outcome)
        + "."
    )


@mail_group.command(
    "remind-expiring",
    help="Queue the reminders to holders whose accreditation expires in 90 or 30 days "
    "(each is written once, however often this runs).",
)
@with_app()
def mail_remind_expiring() -> None:
    written = queue_expiry_reminders(db.session, utcnow())
    db.session.commit()
    click.echo(f"{written} reminder(s) queued.")


@mail_group.command("test", help="Send a test message to ADDRESS now, through the configured way.")
@click.argument("address")
@with_app()
def mail_test(address: str) -> None:
    address = address.strip()
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain or any(c.isspace() for c in address):
        fail(f"{address!r} is not an email address")
    transport = transport_from_config(current_app.config)
    message = queue_message(
        db.session,
        "test",
        to_email=address,
        context={"base_url": current_app.config["NAAS_BASE_URL"]},
        now=utcnow(),
    )
    db.session.commit()
    delivery = deliver(db.session, message.id, transport, utcnow())
    if delivery.outcome is Outcome.SENT:
        click.echo(f"Sent a test message to {address} through {transport.name}.")
        return
    fail(
        f"the test message to {address} was not sent ({delivery.outcome.value}): {delivery.reason}"
    )


add_command(mail_group)
