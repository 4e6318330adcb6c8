"""Benchmark: writing audit records from many transactions at once, on PostgreSQL, with the
old global lock and without it; then the sealer's and the verifier's pace.

Each of THREADS threads runs transactions as a request that changes something does: a small
write of its own (one row per thread, so that threads never contend on it), one audit record,
then HOLD milliseconds more inside the transaction (the rest of the request's work), then
commit. "locked" writes the record as naas/audit.py did before sealing (an advisory lock
held until commit, the previous record's hash read under it); "free" calls today's
`audit.record`. The locked way is kept here only, for comparison.

    python bench/audit_concurrency.py [--threads 8] [--seconds 10] [--hold-ms 20]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust). Makes a database of its own and
drops it after. Run by hand; figures go to docs/performance.md and docs/audit.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from naas import audit, create_app  # noqa: E402
from naas.auditlog.sealing import seal_pending  # noqa: E402
from naas.auditlog.services import run_verification  # noqa: E402
from naas.certificates.signing import new_key_text  # noqa: E402
from naas.db import utcnow  # noqa: E402
from naas.migrate import upgrade  # noqa: E402
from naas.models import AuditEvent  # noqa: E402

ADMIN_URL = os.environ.get(
    "NAAS_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
OLD_LOCK_KEY = 0x6E616173  # the lock record() took before sealing


def record_locked(session, *, action, subject_type, subject_id, actor_id, now, data=None):
    """The record() of before: one cluster-wide lock, held until the caller commits."""
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": OLD_LOCK_KEY})
    last = session.scalar(
        select(AuditEvent.hash)
        .where(AuditEvent.hash.is_not(None))
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    event = AuditEvent(
        at=now,
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        data=json.loads(json.dumps(data or {}, default=str)),
        prev_hash=last or audit.GENESIS,
    )
    event.hash = audit.legacy_hash(event)
    session.add(event)
    session.flush()
    return event


def run(app, writer, threads: int, seconds: float, hold: float) -> dict:
    sessions = app.extensions["naas.db"]
    latencies: list[list[float]] = [[] for _ in range(threads)]
    stop = time.monotonic() + seconds
    failures: list[BaseException] = []

    def work(n: int) -> None:
        session = sessions()
        try:
            while time.monotonic() < stop:
                began = time.perf_counter()
                session.execute(
                    text("UPDATE bench_scratch SET n = n + 1 WHERE id = :id"), {"id": n}
                )
                writer(
                    session,
                    action="bench.event",
                    subject_type="thread",
                    subject_id=n,
                    actor_id=None,
                    now=utcnow(),
                    data={"n": n},
                )
                time.sleep(hold)
                session.commit()
                latencies[n].append(time.perf_counter() - began)
        except BaseException as exc:  # noqa: BLE001  (reported below)
            failures.append(exc)
        finally:
            session.close()

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise failures[0]
    every = sorted(x for each in latencies for x in each)
    return {
        "transactions": len(every),
        "per_second": round(len(every) / elapsed, 1),
        "median_ms": round(statistics.median(every) * 1000, 1),
        "p95_ms": round(every[int(0.95 * (len(every) - 1))] * 1000, 1),
        "max_ms": round(every[-1] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--hold-ms", type=float, default=20.0)
    args = parser.parse_args()

    name = f"naas_bench_audit_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    workdir = Path(tempfile.mkdtemp(prefix="naas-bench-audit-"))
    try:
        engine = create_engine(url)
        upgrade(engine)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE bench_scratch (id int PRIMARY KEY, n int)"))
            connection.execute(
                text("INSERT INTO bench_scratch SELECT g, 0 FROM generate_series(0, :n) g"),
                {"n": args.threads},
            )
        engine.dispose()
        app = create_app(
            {
                "NAAS_ENV": "testing",
                "SECRET_KEY": "bench-" + "x" * 40,
                "NAAS_DATABASE_URL": url,
                "NAAS_SIGNING_KEY": new_key_text(),
                "NAAS_AUDIT_CHECKPOINT_FILE": str(workdir / "checkpoints.jsonl"),
            }
        )
        figures = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "threads": args.threads,
            "hold_ms": args.hold_ms,
        }
        hold = args.hold_ms / 1000
        # the same transactions writing no audit record: the floor both are measured against
        figures["no_record"] = run(app, lambda session, **_: None, args.threads, args.seconds, hold)
        print("none:  ", figures["no_record"], flush=True)
        figures["locked"] = run(app, record_locked, args.threads, args.seconds, hold)
        print("locked:", figures["locked"], flush=True)
        with app.app_context():
            session = app.extensions["naas.db"]()
            session.execute(text("DELETE FROM audit_events"))
            session.commit()
        figures["free"] = run(app, audit.record, args.threads, args.seconds, hold)
        print("free:  ", figures["free"], flush=True)
        # one writer alone, for the cost of the record itself
        figures["free_one_thread_no_hold"] = run(app, audit.record, 1, args.seconds / 2, 0)
        figures["locked_one_thread_no_hold"] = run(app, record_locked, 1, args.seconds / 2, 0)
        with app.app_context():
            session = app.extensions["naas.db"]()
            session.execute(text("DELETE FROM audit_events WHERE hash IS NOT NULL"))
            session.commit()
            waiting = session.scalar(text("SELECT count(*) FROM audit_events"))
            began = time.perf_counter()
            outcome = seal_pending(
                session,
                utcnow(),
                checkpoint_file=app.config["NAAS_AUDIT_CHECKPOINT_FILE"],
                limit=10**9,
            )
            sealing = time.perf_counter() - began
            began = time.perf_counter()
            report = run_verification(session, app.config)
            verifying = time.perf_counter() - began
            assert report.ok, report.problems
            session.close()
        figures["sealing"] = {
            "records": waiting,
            "sealed": outcome.sealed,
            "seconds": round(sealing, 2),
            "per_second": round(outcome.sealed / sealing),
        }
        figures["verifying"] = {
            "records": report.rows,
            "seconds": round(verifying, 2),
            "per_second": round(report.rows / verifying),
        }
        print(json.dumps(figures, indent=2))
        digest = hashlib.sha256(json.dumps(figures, sort_keys=True).encode()).hexdigest()[:8]
        out = ROOT / "bench" / "results" / f"audit_concurrency_{digest}.json"
        out.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"written to {out.relative_to(ROOT)}")
        app.extensions["naas.engine"].dispose()
        app.extensions["naas.read_engine"].dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


if __name__ == "__main__":
    main()
