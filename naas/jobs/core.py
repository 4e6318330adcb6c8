"""Background jobs: written in the caller's transaction, handed to the queue after it commits,
claimed by one worker at a time, retried with backoff, and recorded in the `jobs` table.

How a job's effect happens once although a task may be delivered twice (a worker killed in the
middle, a message redelivered, the sweep queueing a job whose message was lost):
- a worker claims the job with one conditional UPDATE (pending or queued, or running with an
  expired lease); a second delivery finds it claimed and waits for the lease, or finds it
  finished and does nothing;
- a handler commits its work in steps that are each idempotent (release the results not yet
  released, send the messages not yet sent), so a job taken up again after a crash carries on
  where the last committed step left off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast, overload

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from naas.clock import now as clock_now
from naas.metrics import JOBS_FAILED
from naas.models import Job

log = logging.getLogger("naas.jobs")

NEW_JOBS = "naas.jobs.new"  # in a session's info: jobs written in its current transaction
TO_DISPATCH = "_naas_jobs_to_dispatch"  # on flask.g: committed jobs, handed over at teardown


class NothingToDo(Exception):
    """The job's input is gone (deleted, already done by other means): the job ends as done,
    saying so, and is not retried."""


class JobRefused(Exception):
    """The job cannot do its work as things stand (e.g. scripts not yet finally marked): it
    fails at once with this message for the admin, without retries."""


@dataclass(frozen=True)
class Kind:
    name: str
    title: str  # for people: "Release results"
    handler: Callable[[Context], str | None]
    max_attempts: int = 5


KINDS: dict[str, Kind] = {}


def kind(name: str, *, title: str, max_attempts: int = 5) -> Callable:
    """Register a job kind's handler. It receives a Context and returns what it did, in words."""

    def register(handler: Callable[[Context], str | None]) -> Callable[[Context], str | None]:
        KINDS[name] = Kind(name, title, handler, max_attempts)
        return handler

    return register


@dataclass
class Context:
    """What a handler works with: its own session (commit as often as the work allows),
    the job's payload, who asked for it, and a way to report progress."""

    session: Session
    job_id: int
    payload: dict[str, Any]
    actor_id: int | None
    lease: timedelta
    _progress_session: Session = field(repr=False)

    def now(self) -> datetime:
        return clock_now()

    def progress(self, done: int, total: int | None = None) -> None:
        """Record progress (and keep the lease) in a transaction of its own, so the admin's page
        shows it at once whatever the handler's own transaction holds."""
        values: dict[str, Any] = {
            "progress_done": done,
            "lease_until": clock_now() + self.lease,
        }
        if total is not None:
            values["progress_total"] = total
        self._progress_session.execute(update(Job).where(Job.id == self.job_id).values(**values))
        self._progress_session.commit()


# -- writing jobs --------------------------------------------------------------------------------


# Without a dedupe key a job is always written; with one, None says it was written before.
@overload
def enqueue(
    session: Session,
    kind_name: str,
    payload: dict[str, Any] | None = None,
    *,
    actor_id: int | None = None,
    dedupe_key: None = None,
    run_after: datetime | None = None,
    now: datetime | None = None,
) -> Job: ...


@overload
def enqueue(
    session: Session,
    kind_name: str,
    payload: dict[str, Any] | None = None,
    *,
    actor_id: int | None = None,
    dedupe_key: str | None,
    run_after: datetime | None = None,
    now: datetime | None = None,
) -> Job | None: ...


def enqueue(
    session: Session,
    kind_name: str,
    payload: dict[str, Any] | None = None,
    *,
    actor_id: int | None = None,
    dedupe_key: str | None = None,
    run_after: datetime | None = None,
    now: datetime | None = None,
) -> Job | None:
    """Write a job in the caller's transaction (flushed, not committed). It is handed to the
    queue once that transaction commits; if it rolls back, the job never existed. With a
    `dedupe_key` already used, nothing is written and None is returned."""
    if kind_name not in KINDS:
        raise ValueError(f"unknown job kind {kind_name!r}")
    job = Job(
        kind=kind_name,
        payload=payload or {},
        state="pending",
        dedupe_key=dedupe_key,
        attempts=0,
        max_attempts=KINDS[kind_name].max_attempts,
        progress_done=0,
        run_after=run_after,
        created_at=now or clock_now(),
        created_by=actor_id,
    )
    if dedupe_key is not None:
        if session.scalar(select(Job.id).where(Job.dedupe_key == dedupe_key)) is not None:
            return None
        try:
            with session.begin_nested():
                session.add(job)
        except IntegrityError:  # another node wrote it a moment ago
            return None
    else:
        session.add(job)
        session.flush()
    session.info.setdefault(NEW_JOBS, []).append(job.id)
    return job


def install(app: Flask) -> None:
    """Hand jobs to the queue when the transaction that wrote them commits."""
    from sqlalchemy import event

    sessions = app.extensions["naas.db"]

    @event.listens_for(sessions, "after_commit")
    def _committed(session: Session) -> None:
        ids = session.info.pop(NEW_JOBS, None)
        if not ids:
            return
        if has_app_context() and current_app._get_current_object() is app:  # type: ignore[attr-defined]
            # in a request or a command: after the session is closed, at the context's end
            g.setdefault(TO_DISPATCH, []).extend(ids)
        else:
            dispatch(app, ids)

    @event.listens_for(sessions, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop(NEW_JOBS, None)

    @event.listens_for(sessions, "after_soft_rollback")
    def _soft_rolled_back(session: Session, previous: Any) -> None:
        if previous.parent is None:  # the outermost transaction, not a savepoint
            session.info.pop(NEW_JOBS, None)

    @app.teardown_appcontext
    def _hand_over(_exc: BaseException | None) -> None:
        while g.get(TO_DISPATCH):
            ids, g._naas_jobs_to_dispatch = g._naas_jobs_to_dispatch, []
            dispatch(app, ids)


def dispatch(app: Flask, ids: Iterable[int]) -> None:
    """Hand committed jobs over: to the broker where there is one, else run them here and now
    (the demo and a one-box pilot need no broker). A broker that does not answer leaves them
    pending, and the scheduler's sweep hands them over once it does."""
    from . import queue

    ids = list(ids)
    if not ids:
        return
    if queue.configured(app):
        queue.publish(app, ids)
        return
    for job_id in ids:
        run(app, job_id)


# -- running jobs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunOutcome:
    state: str  # what the job is now, or "absent"
    retry_in: float | None = None  # seconds: deliver the task again then


def _lease(app: Flask) -> timedelta:
    return timedelta(seconds=app.config.get("NAAS_JOB_LEASE_SECONDS", 120))


def claim(session: Session, job_id: int, now: datetime, lease: timedelta) -> bool:
    # an UPDATE's result is a CursorResult (it has a rowcount); Session.execute's types say Result
    claimed = cast(
        CursorResult[Any],
        session.execute(
            update(Job)
            .where(
                Job.id == job_id,
                or_(
                    Job.state.in_(("pending", "queued")),
                    (Job.state == "running") & (Job.lease_until < now),
                ),
                or_(Job.run_after.is_(None), Job.run_after <= now),
            )
            .values(
                state="running",
                attempts=Job.attempts + 1,
                started_at=now,
                lease_until=now + lease,
            )
            .execution_options(synchronize_session=False)
        ),
    )
    session.commit()
    return bool(claimed.rowcount)


def run(app: Flask, job_id: int) -> RunOutcome:
    """Run one job if it is this caller's to run. Safe to call for any id, any number of times,
    from any number of processes at once."""
    sessions = app.extensions["naas.db"]
    lease = _lease(app)
    with app.app_context():
        session: Session = sessions()
        progress_session: Session = sessions()
        try:
            now = clock_now()
            if not claim(session, job_id, now, lease):
                return _not_claimed(session, job_id, now)
            job = session.get(Job, job_id)
            assert job is not None
            kind_ = KINDS.get(job.kind)
            context = Context(
                session, job.id, dict(job.payload or {}), job.created_by, lease, progress_session
            )
            try:
                if kind_ is None:
                    raise JobRefused(f"this version of the service has no job kind {job.kind!r}")
                outcome = kind_.handler(context)
            except NothingToDo as exc:
                session.rollback()
                return _finish(session, job_id, "done", outcome=f"Nothing to do: {exc}")
            except JobRefused as exc:
                session.rollback()
                JOBS_FAILED.labels(job.kind).inc()
                return _finish(session, job_id, "failed", error=str(exc))
            except Exception as exc:  # any failure: retried with backoff, then failed for good
                session.rollback()
                log.exception("job %s (%s) failed", job_id, job.kind)
                return _failed_attempt(session, job_id, exc)
            return _finish(session, job_id, "done", outcome=outcome or "Done.")
        finally:
            progress_session.close()
            session.close()


def _not_claimed(session: Session, job_id: int, now: datetime) -> RunOutcome:
    job = session.get(Job, job_id)
    if job is None:
        return RunOutcome("absent")  # deleted meanwhile: nothing to do, and no retry loop
    if job.state == "running" and job.lease_until is not None:
        # another worker has it; if that worker died, the lease ends and this delivery takes over
        return RunOutcome("running", retry_in=max(1.0, (job.lease_until - now).total_seconds()))
    if job.state in ("pending", "queued") and job.run_after is not None and job.run_after > now:
        return RunOutcome(job.state, retry_in=(job.run_after - now).total_seconds())
    return RunOutcome(job.state)


def _finish(
    session: Session,
    job_id: int,
    state: str,
    *,
    outcome: str | None = None,
    error: str | None = None,
) -> RunOutcome:
    job = session.get(Job, job_id)
    if job is None:
        return RunOutcome("absent")
    job.state, job.finished_at, job.lease_until = state, clock_now(), None
    if outcome is not None:
        job.outcome = outcome
    if error is not None:
        job.error = error
    if state == "done" and job.progress_total is not None:
        job.progress_done = job.progress_total
    session.commit()
    return RunOutcome(state)


def backoff(attempt: int) -> timedelta:
    """Wait before attempt `attempt + 1`: 30 s, 1, 2, 4 minutes ... at most an hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempt - 1)))


def _failed_attempt(session: Session, job_id: int, exc: Exception) -> RunOutcome:
    job = session.get(Job, job_id)
    if job is None:
        return RunOutcome("absent")
    job.error = f"{exc.__class__.__name__}: {exc}"[:2000]
    job.lease_until = None
    if job.attempts >= job.max_attempts:
        job.state, job.finished_at = "failed", clock_now()
        session.commit()
        JOBS_FAILED.labels(job.kind).inc()
        return RunOutcome("failed")
    wait = backoff(job.attempts)
    job.state, job.run_after = "queued", clock_now() + wait
    session.commit()
    return RunOutcome("queued", retry_in=wait.total_seconds())


# -- people's actions ----------------------------------------------------------------------------


def cancel(session: Session, job_id: int, now: datetime) -> bool:
    """Cancel a job that has not started. A job already running or finished is left alone."""
    cancelled = cast(
        CursorResult[Any],  # as in `claim`: an UPDATE's result has a rowcount
        session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state.in_(("pending", "queued")))
            .values(state="cancelled", finished_at=now, outcome="Cancelled before it started.")
            .execution_options(synchronize_session=False)
        ),
    )
    return bool(cancelled.rowcount)


def retry(session: Session, job_id: int, actor_id: int | None) -> Job | None:
    """Try a failed job again, with its attempts counted afresh."""
    job = session.get(Job, job_id)
    if job is None or job.state != "failed":
        return None
    job.state, job.attempts, job.run_after, job.finished_at = "pending", 0, None, None
    session.flush()
    session.info.setdefault(NEW_JOBS, []).append(job.id)
    return job
