"""The task queue: Celery over RabbitMQ (NAAS_BROKER_URL). The broker carries only a job's id;
the `jobs` table holds everything else, so a message lost with a broker is re-sent by the
scheduler's sweep, and a message delivered twice is harmless (naas/jobs/core.py).

Each task is acknowledged late (after it has run) and rejected back to the queue when its worker
dies, so a worker killed in the middle of a task leaves the message for another worker."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from celery import Celery
from flask import Flask
from sqlalchemy import update

from naas.clock import now as clock_now
from naas.models import Job

log = logging.getLogger("naas.jobs")

TASK = "naas.run_job"
# After the broker fails to answer, requests stop trying it for this long: the jobs they write
# stay pending and the scheduler's sweep hands them over (a request is never held up waiting).
PAUSE_AFTER_FAILURE = 30.0
_UNREACHABLE_SINCE = "naas.broker_unreachable_since"


def configured(app: Flask) -> bool:
    return bool(app.config.get("NAAS_BROKER_URL"))


def celery_for(app: Flask) -> Celery:
    """The Celery application for this Flask app (made once)."""
    existing = app.extensions.get("naas.celery")
    if existing is not None:
        return existing
    celery = Celery("naas", broker=app.config["NAAS_BROKER_URL"], set_as_current=False)
    celery.conf.update(
        task_default_queue=app.config["NAAS_JOBS_QUEUE"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a long job does not sit on messages others could run
        task_ignore_result=True,  # the jobs table is the result
        broker_connection_timeout=2,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        # "handed over" means RabbitMQ has the message, not that it left this process
        broker_transport_options={"confirm_publish": True},
    )
    app.extensions["naas.celery"] = celery
    return celery


def publish(app: Flask, ids: Iterable[int]) -> int:
    """Hand jobs to the broker and mark them queued. Returns how many were handed over; those
    that were not stay pending for the sweep."""
    ids = list(ids)
    since = app.extensions.get(_UNREACHABLE_SINCE)
    if since is not None and time.monotonic() - since < PAUSE_AFTER_FAILURE:
        return 0
    celery = celery_for(app)
    sent: list[int] = []
    try:
        with celery.connection_for_write() as connection:
            producer = celery.amqp.Producer(connection)
            for job_id in ids:
                celery.send_task(
                    TASK,
                    args=[job_id],
                    queue=app.config["NAAS_JOBS_QUEUE"],
                    producer=producer,
                    retry=False,
                )
                sent.append(job_id)
    except Exception as exc:  # the broker is down or refusing: the sweep will try again
        app.extensions[_UNREACHABLE_SINCE] = time.monotonic()
        log.warning(
            "the task queue did not answer (%s: %s); %d job(s) stay pending",
            exc.__class__.__name__,
            exc,
            len(ids) - len(sent),
        )
    else:
        app.extensions.pop(_UNREACHABLE_SINCE, None)
    if sent:
        sessions = app.extensions["naas.db"]
        with app.app_context(), sessions() as session:
            session.execute(
                update(Job)
                .where(Job.id.in_(sent), Job.state.in_(("pending", "queued")))
                .values(state="queued", queued_at=clock_now())
                .execution_options(synchronize_session=False)
            )
            session.commit()
    return len(sent)


def reachable(app: Flask) -> str | None:
    """None if the broker answers, else why not (for the admin's jobs page)."""
    if not configured(app):
        return None
    try:
        with celery_for(app).connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return f"{exc.__class__.__name__}: {exc}"
    return None
