"""`naas worker`, `naas scheduler` and `naas jobs ...`."""

from __future__ import annotations

import os
import sys

import click
from flask import current_app
from sqlalchemy import func, select

from naas import db
from naas.cli import add_command, fail, with_app
from naas.models import Job
from naas.observability import configure_logging

from . import queue, scheduler


@click.command("worker", help="Run background jobs from the task queue (Celery over RabbitMQ).")
@click.option("--concurrency", default=2, show_default=True, type=click.IntRange(1, 64))
@with_app(serving=True)
def worker(concurrency: int) -> None:
    if not queue.configured(current_app):
        fail("NAAS_BROKER_URL is not set: without a broker, jobs run inside the web process")
    problem = queue.reachable(current_app)
    if problem:
        fail(f"the task queue at NAAS_BROKER_URL does not answer ({problem})")
    click.echo(
        f"Running jobs from queue {current_app.config['NAAS_JOBS_QUEUE']} with "
        f"{concurrency} process(es)",
        err=True,
    )
    args = [
        sys.executable,
        "-m",
        "celery",
        "--app",
        "naas.jobs.worker:celery",
        "worker",
        "--queues",
        current_app.config["NAAS_JOBS_QUEUE"],
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
    ]
    os.execvp(sys.executable, args)


@click.command(
    "scheduler",
    help="Run periodic work once per cluster and hand over waiting jobs (safe on every node).",
)
@click.option("--tick", default=scheduler.TICK_SECONDS, show_default=True, type=float)
@with_app(serving=True)
def scheduler_command(tick: float) -> None:
    click.echo("Scheduler started; it is active while it holds the cluster's lock", err=True)
    configure_logging(current_app)
    scheduler.run_forever(current_app._get_current_object(), tick_seconds=tick)  # type: ignore[attr-defined]


@click.group("jobs", help="Background jobs.")
def jobs_group() -> None:
    pass


@jobs_group.command("status", help="Count jobs by state and say whether the queue answers.")
@with_app()
def jobs_status() -> None:
    counts = dict(db.session.execute(select(Job.state, func.count()).group_by(Job.state)).all())
    for state in ("pending", "queued", "running", "done", "failed", "cancelled"):
        click.echo(f"{state}: {counts.get(state, 0)}")
    if not queue.configured(current_app):
        click.echo("queue: none (jobs run inside the process that writes them)")
    else:
        problem = queue.reachable(current_app)
        click.echo("queue: answering" if problem is None else f"queue: unreachable ({problem})")


@jobs_group.command("tick", help="Run one round of the scheduler now (e.g. from cron).")
@with_app()
def jobs_tick() -> None:
    counts = scheduler.tick(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"{counts['periodic']} periodic job(s) written, {counts['handed_over']} handed over")


for _command in (worker, scheduler_command, jobs_group):
    add_command(_command)
