"""`naas scheduler`: periodic work once per cluster, and the sweep that hands over jobs whose
hand-over failed (a broker that was down, a process that died between commit and publish).

Run one on every node if you like: each takes a cluster-wide lock before doing anything (a
PostgreSQL advisory lock held on a connection of its own, released by the server the moment the
holder dies; on SQLite, a file lock beside the database), so exactly one is active and another
takes over within a tick when it stops. Periodic jobs are also named by their time slot
(`expire_sittings@<slot>`), so even two schedulers at once could not run one slot twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import func, or_, select, text
from sqlalchemy.engine import Connection, make_url

from naas.clock import now as clock_now
from naas.models import Job

from . import core, queue

log = logging.getLogger("naas.jobs")

LOCK_KEY = 0x6E616173_7363  # "naas" "sc": the scheduler's advisory lock
TICK_SECONDS = 5.0
# A job written this recently is left to the request that wrote it to hand over.
GRACE = timedelta(seconds=10)
# A queued job not started after this long is handed over again (its message may be lost).
REQUEUE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class Periodic:
    kind: str
    every: timedelta

    def slot(self, now: datetime) -> int:
        return int(now.timestamp() // self.every.total_seconds())


PERIODIC: list[Periodic] = [Periodic("expire_sittings", timedelta(minutes=1))]


def every(kind: str, period: timedelta) -> None:
    """Run jobs of `kind` once per `period`, across the cluster (feature areas add theirs)."""
    if all(p.kind != kind for p in PERIODIC):
        PERIODIC.append(Periodic(kind, period))


def tick(app: Flask, now: datetime | None = None) -> dict[str, int]:
    """One round of the active scheduler: write the periodic jobs that are due, and hand over
    what is waiting. Returns counts, for the log and for tests."""
    sessions = app.extensions["naas.db"]
    written = 0
    with app.app_context(), sessions() as session:
        now = now or clock_now()
        for periodic in PERIODIC:
            job = core.enqueue(
                session,
                periodic.kind,
                dedupe_key=f"{periodic.kind}@{periodic.slot(now)}",
                now=now,
            )
            written += job is not None
        session.commit()
        due = [(Job.state == "pending") & (Job.created_at <= now - GRACE)]
        if queue.configured(app):
            # a message that may have been lost with the broker: hand the job over again
            due.append(
                (Job.state == "queued")
                & (func.coalesce(Job.run_after, Job.queued_at) <= now - REQUEUE_AFTER)
            )
        else:
            due.append((Job.state == "queued") & (Job.run_after <= now))  # a retry's wait is over
        waiting = list(session.scalars(select(Job.id).where(or_(*due)).order_by(Job.id).limit(500)))
        # the periodic jobs just written are handed over at once
        fresh = session.info.pop(core.NEW_JOBS, [])
    handed = list(dict.fromkeys([*fresh, *waiting]))
    if queue.configured(app):
        queue.publish(app, handed)
    else:
        for job_id in handed:
            core.run(app, job_id)
    return {"periodic": written, "handed_over": len(handed)}


@contextlib.contextmanager
def leadership(app: Flask) -> Iterator[bool]:
    """Yield True while this process holds the cluster's scheduler lock, False if another does."""
    url = make_url(app.config["NAAS_DATABASE_URL"])
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "naas.sqlite3").with_suffix(".scheduler-lock")
        with path.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    engine = app.extensions["naas.engine"]
    connection: Connection = engine.connect()
    try:
        held = bool(
            connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar()
        )
        connection.commit()
        yield held
    finally:
        with contextlib.suppress(Exception):  # a lost connection has let go already
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            connection.commit()
        connection.close()


def run_forever(app: Flask, tick_seconds: float = TICK_SECONDS, ticks: int | None = None) -> None:
    """The scheduler's loop; `ticks` stops it after that many rounds (for tests)."""
    done = 0
    while ticks is None or done < ticks:
        try:
            with leadership(app) as leader:
                if not leader:
                    log.info("another scheduler is active; standing by")
                    done += 1
                    time.sleep(tick_seconds)
                    continue
                log.info("this scheduler is now the active one")
                while ticks is None or done < ticks:
                    counts = tick(app)
                    done += 1
                    if counts["periodic"] or counts["handed_over"]:
                        log.info(
                            "%(periodic)d periodic job(s) written, %(handed_over)d handed over",
                            counts,
                        )
                    time.sleep(tick_seconds)
        except Exception:  # e.g. the database went away: let go, wait, try again
            log.exception("scheduler round failed; trying again")
            done += 1
            time.sleep(tick_seconds)
