"""Background jobs (docs/jobs.md): written in the transaction that causes them, handed to a
Celery worker over RabbitMQ after it commits (or run in the same process where no broker is
configured, as in the demo), claimed once, retried with backoff, shown to admins."""

from __future__ import annotations

from flask import Flask

from naas.home.views import admin_link
from naas.metrics import JOBS_QUEUE_DEPTH
from naas.observability import METRICS_REFRESH

from . import kinds  # noqa: F401  (registers the service's job kinds)
from .core import JobRefused, NothingToDo, enqueue, kind
from .views import admin_bp

__all__ = ["JobRefused", "NothingToDo", "enqueue", "init_app", "kind"]


def init_app(app: Flask) -> None:
    from .core import install

    install(app)
    app.extensions.setdefault(METRICS_REFRESH, []).append(_queue_depth)
    app.register_blueprint(admin_bp)
    admin_link(app, "jobs_admin.index", "Background jobs")


def _queue_depth() -> None:
    """naas_jobs_queue_depth{state}: jobs waiting to be handed over, waiting in the queue, and
    running, read from the jobs table (the truth about jobs) when /metrics is read."""
    from sqlalchemy import func, select

    from naas import db
    from naas.models import Job

    counts = dict(
        db.session.execute(
            select(Job.state, func.count())
            .where(Job.state.in_(("pending", "queued", "running")))
            .group_by(Job.state)
        ).all()
    )
    for state in ("pending", "queued", "running"):
        JOBS_QUEUE_DEPTH.labels(state).set(counts.get(state, 0))
