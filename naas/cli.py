"""The `naas` command. Every failure a user can cause ends in one clear line and exit 1."""

from __future__ import annotations

import getpass
import os
import sys
import tempfile
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import Flask, current_app, has_app_context
from flask.cli import ScriptInfo
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from . import db
from .config import BUNDLED_BANK, ConfigError


def fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def require_tier(tier: str) -> None:
    """Stop with one line unless the database holds the tier (a command's --tier)."""
    from .bank_store import loaded_tiers

    known = loaded_tiers(db.session)
    if tier not in known:
        fail(
            f"unknown tier '{tier}'"
            + (f"; tiers: {', '.join(known)}" if known else "; load a bank first")
        )


def cli_origin() -> dict[str, str]:
    """What an audit record of a command says about who acted: a command has no signed-in
    user (the record's actor is None), so it names the command line and the OS account."""
    try:
        os_user = getpass.getuser()
    except Exception:  # no name for this uid (some containers): say so rather than fail
        os_user = "unknown"
    return {"via": "cli", "os_user": os_user}


def _database_name(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparseable URL is reported as given, less nothing secret
        return "(the configured database)"


def build_app(
    config: Any = None, *, serving: bool = True, load: Callable[[], Flask] | None = None
) -> Flask:
    """The app, or one clear line and exit 1 for a bad setting or a database URL that cannot work."""
    from . import create_app

    try:
        return load() if load is not None else create_app(config, serving=serving)
    except ConfigError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:  # an unparseable URL or an unknown database kind
        fail(f"cannot set up the database (NAAS_DATABASE_URL): {exc.__class__.__name__}: {exc}")
    except ImportError as exc:  # the URL names a database driver that is not installed
        fail(f"cannot set up the database (NAAS_DATABASE_URL): its driver is not installed ({exc})")


def with_app(serving: bool = False) -> Callable:
    """Run the command inside an app context, turning setup and database failures into
    one clear line rather than a traceback."""

    def decorate(command: Callable) -> Callable:
        @wraps(command)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if has_app_context():
                return _guarded(command, *args, **kwargs)
            info = click.get_current_context().find_object(ScriptInfo)
            # under `flask --app naas` (and Flask's test runner) the app is already chosen
            app = build_app(serving=serving, load=info.load_app if info is not None else None)
            with app.app_context():
                return _guarded(command, *args, **kwargs)

        return wrapped

    return decorate


def _reason(exc: SQLAlchemyError) -> str:
    """The database's own first line about what went wrong, without SQLAlchemy's decoration."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def _guarded(command: Callable, *args: Any, **kwargs: Any) -> Any:
    try:
        return command(*args, **kwargs)
    except ConfigError as exc:  # e.g. no NAAS_SIGNING_KEY where an audit record is written
        db.session.rollback()
        fail(str(exc))
    except (OperationalError, ProgrammingError) as exc:
        db.session.rollback()
        reason = _reason(exc)
        if "no such table" in reason or "does not exist" in reason and "relation" in reason:
            fail(
                f"the database {_database_name(current_app.config['NAAS_DATABASE_URL'])} has no NAAS tables "
                "yet: run `naas db upgrade` first"
            )
        fail(
            f"cannot reach the database {_database_name(current_app.config['NAAS_DATABASE_URL'])}: {reason}"
        )
    except (
        SQLAlchemyError
    ) as exc:  # a constraint or a value the database refused: nothing was changed
        db.session.rollback()
        fail(f"the database refused the change, and nothing was changed: {_reason(exc)}")


# -- db ------------------------------------------------------------------------------
@click.group("db", help="The database schema.")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Create or migrate the database to the latest schema.")
@with_app()
def db_upgrade() -> None:
    from .migrate import upgrade

    upgrade(db.engine())
    click.echo(f"Database {_database_name(current_app.config['NAAS_DATABASE_URL'])} is up to date.")


@db_group.command("revision", help="(Developers) write a migration for model changes.")
@click.option("-m", "--message", required=True)
@with_app()
def db_revision(message: str) -> None:
    from .migrate import revision

    revision(db.engine(), message)


# -- bank ----------------------------------------------------------------------------
@click.group("bank", help="The question bank.")
def bank_group() -> None:
    pass


def _checked_bank(path: str | None):
    root, result = _checked(path)
    return root, result.bank


def _checked(path: str | None):
    from .bank import check_bank

    root = Path(path) if path else BUNDLED_BANK
    result = check_bank(root)
    for problem in result.problems:
        click.echo(str(problem))
    for warning in result.warnings + result.cues:
        click.echo(f"{warning.file}:{warning.line}: warning: {warning.message}")
    if not result.ok:
        click.echo(f"{len(result.problems)} problem(s) found in {root}.", err=True)
        sys.exit(1)
    return root, result


@bank_group.command("check", help="Check a bank folder (default: the bundled bank).")
@click.argument("path", required=False, type=click.Path(file_okay=False))
def bank_check(path: str | None) -> None:
    from .bank.summary import summarise

    root, bank = _checked_bank(path)
    for line in summarise(bank):
        click.echo(line)
    click.echo(f"OK: {root} passes the checks.")


@bank_group.command(
    "audit", help="Audit a bank for cues that give keys away to a reader of the options alone."
)
@click.argument("path", required=False, type=click.Path(file_okay=False))
@click.option(
    "--tier", "tiers", multiple=True, help="Audit only this tier (repeatable); default: every tier."
)
def bank_audit(path: str | None, tiers: tuple[str, ...]) -> None:
    from .bank.audit import audit_tier, report

    root, result = _checked(path)
    bank = result.bank
    unknown = [t for t in tiers if t not in bank.tiers]
    if unknown:
        fail(f"no tier {unknown[0]!r} in this bank (tiers: {', '.join(bank.tiers)})")
    failed = []
    for tier in tiers or tuple(bank.tiers):
        audit = audit_tier(bank, tier)
        for problem in result.unreferenced:
            if problem.message.split(":")[0] in audit.item_ids:
                click.echo(f"{problem.file}:{problem.line}: warning: {problem.message}")
        for line in report(audit):
            click.echo(line)
        if not audit.passed:
            failed.append(tier)
    if failed:
        click.echo(f"Audit failed for {', '.join(failed)}: see FAIL above.", err=True)
        sys.exit(1)
    click.echo(f"OK: {root} passes the cue audit.")


@bank_group.command("load", help="Check a bank and store every new item version.")
@click.argument("path", required=False, type=click.Path(file_okay=False))
@with_app()
def bank_load(path: str | None) -> None:
    from .bank_store import BankConflict, store_bank

    root, bank = _checked_bank(path)
    try:
        report = store_bank(
            db.session,
            bank,
            source=str(root.resolve()),
            actor_id=None,
            now=db.utcnow(),
            detail=cli_origin(),
        )
        db.session.commit()
    except BankConflict as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(f"Error: {problem}", err=True)
        fail("nothing was loaded")
    except (OperationalError, ProgrammingError):
        raise  # an unreachable database or a missing table: _guarded says which
    except SQLAlchemyError as exc:
        db.session.rollback()
        fail(f"the database refused the bank, and nothing was loaded: {_reason(exc)}")
    click.echo(
        f"Loaded {root}: {len(report.scenarios_added)} new scenario version(s), "
        f"{report.items_added} new item version(s), {report.unchanged} unchanged."
    )
    for line in report.status_changes:
        click.echo(f"  status: {line}")
    for tier in report.tiers_updated:
        click.echo(f"  tier definition stored: {tier}")
    for tier in report.tiers_restored:
        click.echo(f"  tier definition back to one stored before: {tier}")


# -- org and user --------------------------------------------------------------------
@click.group("org", help="Organisations (employers).")
def org_group() -> None:
    pass


@org_group.command("create", help="Create an organisation.")
@click.argument("name")
@click.option(
    "--kind",
    type=click.Choice(["local_authority", "agency", "trust", "other"]),
    default="local_authority",
    show_default=True,
)
@with_app()
def org_create(name: str, kind: str) -> None:
    from .employers.services import Refused, create_organisation

    try:
        # the admin pages' service: the same tidying of the name, the same audit record
        org = create_organisation(
            db.session, name, kind, actor_id=None, now=db.utcnow(), detail=cli_origin()
        )
    except Refused as exc:
        db.session.rollback()
        fail(exc.message)
    db.session.commit()
    click.echo(f"Created organisation {org.id}: {org.name}")


@click.group("user", help="User accounts.")
def user_group() -> None:
    pass


@user_group.command(
    "create",
    help="Create a user. The password is asked for (or read from "
    "NAAS_NEW_PASSWORD); --no-password leaves it to be set later.",
)
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role",
    "roles",
    required=True,
    multiple=True,
    help="candidate, employer, assessor, moderator, admin or standard_setter; repeat for several",
)
@click.option("--org", help="the organisation's name (required for employers)")
@click.option("--registration", help="Social Work England registration number (candidates)")
@click.option("--no-password", is_flag=True, help="create without a password")
@with_app()
def user_create(
    email: str,
    name: str,
    roles: tuple[str, ...],
    org: str | None,
    registration: str | None,
    no_password: bool,
) -> None:
    from . import audit
    from .auth.services import AccountError, create_user
    from .models import Organisation

    organisation = None
    if org:
        # names are stored tidied (single spaces), as create_organisation keeps them
        organisation = db.session.scalar(
            select(Organisation).where(Organisation.name == " ".join(org.split()))
        )
        if organisation is None:
            fail(f"no organisation called '{org}' (create it with `naas org create`)")
    password = None
    if not no_password:
        password = os.environ.get("NAAS_NEW_PASSWORD") or click.prompt(
            "Password", hide_input=True, confirmation_prompt=True
        )
    try:
        user = create_user(
            db.session,
            email=email,
            name=name,
            roles=roles,
            password=password,
            organisation=organisation,
            registration_number=registration,
        )
        # as the admin pages record a new account, with where it came from
        audit.record(
            db.session,
            action="account.create",
            subject_type="user",
            subject_id=user.id,
            actor_id=None,
            now=db.utcnow(),
            data={
                "roles": sorted(user.roles),
                "organisation_id": user.organisation_id,
                **cli_origin(),
            },
        )
    except AccountError as exc:
        db.session.rollback()
        fail(str(exc))
    db.session.commit()
    click.echo(f"Created user {user.id}: {user.email} ({', '.join(sorted(user.roles))})")


# -- demo and serve ------------------------------------------------------------------
@click.command(
    "demo",
    help="Create a demo database with the bundled bank and one account per role, and serve it.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="set up and print the logins, but do not serve")
@click.option(
    "--cohort",
    default=0,
    show_default=True,
    type=click.IntRange(0, 5000),
    help="also sit this many simulated candidates per tier through the real services, mark and release "
    "them, and compute the statistics, so that the statistics pages show figures (about a minute for "
    "100 per tier)",
)
def demo(host: str, port: int, no_serve: bool, cohort: int) -> None:
    from .bank_store import BankConflict
    from .demo import DemoError, seed_demo_cohort, set_up_demo

    os.environ.setdefault("NAAS_ENV", "demo")
    app = build_app({"NAAS_ENV": "demo", "NAAS_BASE_URL": f"http://{host}:{port}"})
    with app.app_context():
        try:
            logins = _guarded(set_up_demo)
        except DemoError as exc:
            fail(str(exc))
        except BankConflict as exc:
            db.session.rollback()
            for problem in exc.problems:
                click.echo(f"Error: {problem}", err=True)
            fail(
                f"the demo database {_database_name(app.config['NAAS_DATABASE_URL'])} holds another copy of the "
                "bank with the same versions: bump the versions of the changed scenarios, or remove the demo "
                "database to start afresh"
            )
        if cohort:
            click.echo(
                f"Seeding a simulated cohort of {cohort} candidate(s) per tier (demo data, labelled as such)..."
            )
            for line in _guarded(seed_demo_cohort, cohort, click.echo):
                click.echo(f"  {line}")
    url = f"http://{host}:{port}/"
    click.echo("")
    click.echo("NAAS demo is ready.")
    click.echo(f"  Open {url}")
    click.echo(f"  Database: {_database_name(app.config['NAAS_DATABASE_URL'])}")
    click.echo("  Demo accounts (all with the password shown):")
    for role, email, password in logins:
        click.echo(f"    {role:<10} {email:<32} {password}")
    warn_if_certificates_render_slowly()
    if no_serve:
        return
    click.echo("Press Ctrl+C to stop.")
    app.run(host=host, port=port, debug=False, use_reloader=False)


def warn_if_certificates_render_slowly() -> None:
    """Everything works without HarfBuzz's subsetter, but a certificate takes ten times as long."""
    from .certificates.render import SLOW_SUBSETTER, font_subsetter

    if font_subsetter() != "harfbuzz":
        click.echo(f"Warning: {SLOW_SUBSETTER}", err=True)


@click.command("serve", help="Serve in production with gunicorn (needs NAAS_SECRET_KEY).")
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
# One more worker than cores: on 2 cores with PostgreSQL on the same machine, 3 workers served
# saves and certificate checks best, and 4 or more queued longer (docs/performance.md).
@click.option(
    "--workers",
    default=(os.cpu_count() or 1) + 1,
    show_default=True,
    type=int,
    help="gunicorn sync workers (more where the database runs on another machine)",
)
def serve(bind: str, workers: int) -> None:
    if workers < 1:
        fail(f"--workers is {workers}; it must be at least 1")
    os.environ["NAAS_WORKERS"] = str(workers)  # the settings check it, here and in each worker
    app = build_app()  # fail here, once, with a clear message, rather than in every worker

    @with_app()
    def reachable() -> (
        None
    ):  # and the database too, and migrated: not in each worker's first request
        from .models import User

        db.session.execute(select(User.id).limit(1))

    with app.app_context():
        reachable()
    app.extensions["naas.engine"].dispose()  # the workers make their own connections
    warn_if_certificates_render_slowly()
    config = app.config
    redis_url = config["NAAS_REDIS_URL"]
    limits = (
        f"Redis at {_database_name(redis_url)}"
        if redis_url
        else "each worker's memory (NAAS_ALLOW_LOCAL_LIMITS)"
        if workers > 1
        else "the worker's memory"
    )
    click.echo(
        f"Serving NAAS ({config['NAAS_ENV']}) on {bind} with {workers} worker(s); database "
        f"{_database_name(config['NAAS_DATABASE_URL'])}; rate limits in {limits}; "
        f"question bank {config['NAAS_BANK_PATH']}; background jobs "
        + (
            f"through RabbitMQ at {_database_name(config['NAAS_BROKER_URL'])} "
            f"(queue {config['NAAS_JOBS_QUEUE']})"
            if config.get("NAAS_BROKER_URL")
            else "in the web workers (no NAAS_BROKER_URL)"
        ),
        err=True,
    )
    # Each worker writes its metrics here and /metrics adds them up (naas/observability.py).
    # A fresh folder per start: figures left by an earlier run's workers would be counted again.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="naas-metrics-")
    os.execvp(
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "python:naas.gunicorn_conf",
            "--workers",
            str(workers),
            "--bind",
            bind,
            "naas.wsgi:app",
        ],
    )


COMMANDS = [db_group, bank_group, org_group, user_group, demo, serve]


@click.group(help="National Assessment and Accreditation System: administration commands.")
def main() -> None:
    pass


def add_command(command: click.Command) -> click.Command:
    """Feature areas add their commands here, so both `naas` and `flask --app naas` have them."""
    if command not in COMMANDS:
        COMMANDS.append(command)
        main.add_command(command)
    return command


for _command in COMMANDS:
    main.add_command(_command)


FEATURE_COMMANDS = (
    "naas.sitting.commands",
    "naas.employers.commands",
    "naas.certificates.commands",
    "naas.statistics.commands",
    "naas.equality.commands",
    "naas.jobs.commands",
    "naas.mail.commands",
    "naas.auditlog.commands",
)


def load_feature_commands() -> None:
    import importlib

    for name in FEATURE_COMMANDS:
        importlib.import_module(name)


def run() -> None:
    """The `naas` console script."""
    load_feature_commands()
    main()


def register_commands(app: Flask) -> None:
    load_feature_commands()
    for command in COMMANDS:
        if command.name not in app.cli.commands:
            app.cli.add_command(command)


if __name__ == "__main__":
    # `python -m naas.cli`: run the imported module's `run`, not this copy's, so that the
    # commands feature areas add to `naas.cli` are there
    from naas.cli import run as _run

    _run()
