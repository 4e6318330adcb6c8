"""`naas sittings expire`, `naas results release` and `naas candidate extra-time`."""

from __future__ import annotations

import click
from sqlalchemy import select

from naas import db
from naas.auth.services import find_user
from naas.cli import add_command, fail, with_app
from naas.db import utcnow
from naas.models import TierVersion

from . import services
from .services import SittingRefused


@click.group("sittings", help="Test sittings.")
def sittings_group() -> None:
    pass


@sittings_group.command(
    "expire", help="Submit every sitting whose deadline has passed (safe to run from cron)."
)
@with_app()
def sittings_expire() -> None:
    now, expired = utcnow(), 0
    for sitting in services.overdue_sittings(db.session, now):
        expired += services.submit_if_overdue(db.session, sitting, now)
        # Each sitting in a transaction of its own: the row and the audit log are held for one
        # sitting at a time, and one submitted meanwhile by its candidate is simply skipped.
        db.session.commit()
    click.echo(f"Submitted {expired} sitting(s) whose time had run out.")


@click.group("results", help="Results.")
def results_group() -> None:
    pass


@results_group.command(
    "release", help="Release the results of a tier, once every script is finally marked."
)
@click.option("--tier", required=True)
@with_app()
def results_release(tier: str) -> None:
    from naas.marking.services import MarkingRefused, release

    known = set(db.session.scalars(select(TierVersion.tier)))
    if tier not in known:
        fail(
            f"unknown tier '{tier}'"
            + (f"; tiers: {', '.join(sorted(known))}" if known else "; load a bank first")
        )
    try:
        count = release(db.session, tier, actor_id=None, now=utcnow())
    except MarkingRefused as exc:
        fail(exc.message)
    db.session.commit()
    click.echo(f"Released {count} result(s) for {tier}.")


@click.group("candidate", help="Candidates.")
def candidate_group() -> None:
    pass


@candidate_group.command(
    "extra-time", help="Record a candidate's approved extra time, applied to every later sitting."
)
@click.option("--email", required=True)
@click.option(
    "--percent", required=True, type=int, help="e.g. 25 for 25% extra time (a step of 5, up to 100)"
)
@click.option("--reason", required=True, help="what the adjustment rests on")
@click.option(
    "--by",
    "by",
    required=True,
    metavar="EMAIL",
    help="the admin who approves it (for the audit log)",
)
@with_app()
def candidate_extra_time(email: str, percent: int, reason: str, by: str) -> None:
    user = find_user(db.session, email)
    if user is None:
        fail(f"no account with the email {email}")
    admin = find_user(db.session, by)
    if admin is None:
        fail(f"no account with the email {by}")
    try:
        services.set_extra_time(db.session, user, percent, reason, actor=admin, now=utcnow())
    except SittingRefused as exc:
        fail(exc.message)
    db.session.commit()
    click.echo(f"{user.email} now has {percent}% extra time on every sitting.")


for group in (sittings_group, results_group, candidate_group):
    add_command(group)
