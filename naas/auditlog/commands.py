"""`naas audit seal` and `naas audit verify`."""

from __future__ import annotations

import click
from flask import current_app

from naas import db
from naas.cli import add_command, fail, with_app
from naas.clock import now as clock_now
from naas.config import ConfigError

from .services import run_verification, seal


@click.group("audit", help="The audit log: seal new records into the chain, verify it.")
def audit_group() -> None:
    pass


@audit_group.command(
    "seal",
    help="Seal the records waiting into the chain now (the scheduler does it every few seconds).",
)
@with_app()
def audit_seal() -> None:
    try:
        outcome = seal(db.session, clock_now())
    except ConfigError as exc:
        fail(str(exc))
    signed = f"; signed the head at seal {outcome.head}" if outcome.checkpoint else ""
    click.echo(f"Sealed {outcome.sealed} record(s); the chain ends at seal {outcome.head}{signed}.")


@audit_group.command(
    "verify",
    help="Check every record's MAC, the chain, and the signed checkpoints in the database and "
    "in NAAS_AUDIT_CHECKPOINT_FILE. One line per problem and exit 1 if any.",
)
@click.option(
    "--since",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="check the chain from this seal number on (records not yet sealed are always checked)",
)
@with_app()
def audit_verify(since: int) -> None:
    try:
        report = run_verification(db.session, current_app.config, since=since)
    except ConfigError as exc:
        fail(str(exc))
    finally:
        db.session.rollback()  # it only read
    if not report.ok:
        for problem in report.problems:
            click.echo(f"Error: {problem}", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {report.summary()}.")


add_command(audit_group)
