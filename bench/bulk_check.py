"""Benchmark: an employer's bulk check of a 10,000-row CSV, and the staff list of a large employer.

Builds a fresh database with STAFF endorsed members of staff of one organisation (half of them
accredited, with a certificate) and as many certificates of another organisation's staff, then
times, in-process with Flask's test client (no network, one thread):

- the check alone (`naas.employers.bulk.check`, parsing and lookups, no HTTP);
- POST /employer/check with the file, answered as a CSV and as an HTML table;
- GET /employer/staff and /employer/staff.csv for the STAFF endorsements;
- GET /healthz (one SELECT 1) as the baseline, in the same run.

The file: ROWS rows, 40% certificate numbers (own staff's, another organisation's, unknown),
40% registration numbers (own staff, another's staff), 10% mistyped certificate numbers and
10% rows that are no number at all.

    python bench/bulk_check.py [--rows 10000] [--staff 5000] [--repeat 5] [--postgres]

SQLite in a temporary folder by default; --postgres uses a fresh database on 127.0.0.1:5432
(user postgres, trust). Run by hand; figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from naas import create_app, db  # noqa: E402
from naas.auth.services import hash_password  # noqa: E402
from naas.certificates.numbers import new_number  # noqa: E402
from naas.employers import bulk  # noqa: E402
from naas.migrate import upgrade  # noqa: E402
from naas.models import (  # noqa: E402
    CandidateProfile,
    Certificate,
    Endorsement,
    Organisation,
    Result,
    Sitting,
    TestForm,
    TierVersion,
    User,
    UserRole,
)

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench pass phrase long enough"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TIER = {
    "id": "practitioner",
    "title": "Approved child and family practitioner",
    "time_limit_minutes": 120,
    "validity_years": 3,
    "resit_wait_days": 90,
    "pass_mark_percent": 60,
    "domain_floor_percent": 40,
    "areas": [{"code": "P1", "title": "Relationships and effective direct work"}],
    "blueprint": {"scenarios": 4, "min_items_per_area": 2, "total_marks": 80},
}


def populate(session, staff: int) -> dict:
    """One employer's STAFF endorsed staff (every other one accredited) and as many certificates
    held by another organisation's staff. Bulk inserts: minutes of ORM work in seconds."""
    ours, theirs = Organisation(name="Benchmark Council"), Organisation(name="Elsewhere Trust")
    session.add_all([ours, theirs])
    session.flush()
    employer = User(
        email="employer@bench.test",
        name="Bench Employer",
        organisation_id=ours.id,
        password_hash=hash_password(PASSWORD),
    )
    session.add(employer)
    session.flush()
    session.add(UserRole(user_id=employer.id, role="employer"))
    version = TierVersion(tier="practitioner", content_hash="b" * 64, spec=TIER, created_at=NOW)
    session.add(version)
    session.flush()
    numbers = {"ours": [], "theirs": []}
    registrations = {"ours": [], "theirs": []}
    next_id = {"user": employer.id + 1}
    for side, org in (("ours", ours), ("theirs", theirs)):
        first = next_id["user"]
        ids = list(range(first, first + staff))
        next_id["user"] += staff
        session.execute(
            insert(User),
            [
                {
                    "id": i,
                    "email": f"{side}{i}@bench.test",
                    "name": f"Person {side} {i}",
                    "organisation_id": org.id,
                    "active": True,
                    "session_version": 1,
                    "created_at": NOW,
                }
                for i in ids
            ],
        )
        session.execute(insert(UserRole), [{"user_id": i, "role": "candidate"} for i in ids])
        regs = [f"SW{i:07d}" for i in ids]
        registrations[side] = regs
        session.execute(
            insert(CandidateProfile),
            [
                {
                    "user_id": i,
                    "registration_number": r,
                    "extra_time_percent": 0,
                    "share_profile_with_employer": False,
                }
                for i, r in zip(ids, regs, strict=True)
            ],
        )
        session.execute(
            insert(Endorsement),
            [
                {
                    "id": i,
                    "candidate_id": i,
                    "organisation_id": org.id,
                    "tier": "practitioner",
                    "endorsed_by": employer.id,
                    "created_at": NOW - timedelta(days=200),
                }
                for i in ids
            ],
        )
        sat = ids if side == "theirs" else ids[::2]
        session.execute(
            insert(TestForm),
            [
                {
                    "id": i,
                    "tier": "practitioner",
                    "tier_version_id": version.id,
                    "seed": i,
                    "total_marks": 80,
                    "stage_count": 8,
                    "created_at": NOW - timedelta(days=150),
                }
                for i in sat
            ],
        )
        session.execute(
            insert(Sitting),
            [
                {
                    "id": i,
                    "candidate_id": i,
                    "endorsement_id": i,
                    "tier": "practitioner",
                    "form_id": i,
                    "status": "submitted",
                    "started_at": NOW - timedelta(days=150),
                    "deadline": NOW - timedelta(days=149),
                    "extra_time_percent": 0,
                    "current_stage": 7,
                    "submitted_at": NOW - timedelta(days=149, hours=23),
                    "submitted_by": "candidate",
                    "revision": 1,
                }
                for i in sat
            ],
        )
        session.execute(
            insert(Result),
            [
                {
                    "id": i,
                    "sitting_id": i,
                    "status": "final",
                    "total": "60/1",
                    "max_marks": 80,
                    "area_scores": {},
                    "passed": True,
                    "computed_at": NOW - timedelta(days=140),
                    "released_at": NOW - timedelta(days=140),
                }
                for i in sat
            ],
        )
        made = [new_number() for _ in sat]
        numbers[side] = made
        session.execute(
            insert(Certificate),
            [
                {
                    "number": n,
                    "candidate_id": i,
                    "result_id": i,
                    "tier": "practitioner",
                    "holder_name": f"Person {i}",
                    "registration_number": f"SW{i:07d}",
                    "issued_on": date(2025, 10, 1),
                    "expires_on": date(2028, 10, 1),
                    "signed_record": "{}",
                    "signature": "bench",
                    "created_at": NOW,
                }
                for i, n in zip(sat, made, strict=True)
            ],
        )
    session.commit()
    return {"numbers": numbers, "registrations": registrations}


def mistype(number: str) -> str:
    body = number[5:9]
    return number[:5] + ("1" if body[0] != "1" else "2") + body[1:] + number[9:]


def the_file(data: dict, rows: int, rng: random.Random) -> str:
    lines = ["certificate or registration number"]
    for n in range(rows):
        kind = n % 10
        if kind < 2:
            lines.append(rng.choice(data["numbers"]["ours"]))
        elif kind == 2:
            lines.append(rng.choice(data["numbers"]["theirs"]))
        elif kind == 3:
            lines.append(new_number())  # unknown
        elif kind < 7:
            lines.append(rng.choice(data["registrations"]["ours"]))
        elif kind == 7:
            lines.append(rng.choice(data["registrations"]["theirs"]))
        elif kind == 8:
            lines.append(mistype(rng.choice(data["numbers"]["theirs"])))
        else:
            lines.append(f"not a number {n}")
    return "\n".join(lines) + "\n"


def timed(repeat: int, action) -> dict:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return {
        "median_ms": round(statistics.median(times), 1),
        "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1),
        "runs": repeat,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--staff", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="naas-bulk-"))
    pg_name = None
    if args.postgres:
        pg_name = f"naas_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{pg_name}"'))
        url = ADMIN_URL.rsplit("/", 1)[0] + f"/{pg_name}"
    else:
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
    try:
        engine = create_engine(url)
        upgrade(engine)
        engine.dispose()
        app = create_app(
            {
                "NAAS_ENV": "testing",
                "SECRET_KEY": "bench-" + "k" * 40,
                "NAAS_DATABASE_URL": url,
                "NAAS_BASE_URL": "http://localhost",
                "NAAS_CLOCK": lambda: NOW,
                "NAAS_LOGIN_LIMIT": "1000 per minute",
                "WTF_CSRF_ENABLED": False,
            }
        )
        with app.app_context():
            started = time.perf_counter()
            data = populate(db.session, args.staff)
            setup_s = round(time.perf_counter() - started, 1)
            text_file = the_file(data, args.rows, random.Random(7))
            ours = db.session.scalar(
                select(Organisation.id).where(Organisation.name == "Benchmark Council")
            )
            report = bulk.check(db.session, ours, text_file, NOW.date())
            db.session.rollback()
            summary = {
                "rows": report.lines,
                "found": report.found,
                "problems": len(report.problems),
            }
            service = timed(
                args.repeat,
                lambda: (
                    list(bulk.csv_rows(bulk.check(db.session, ours, text_file, NOW.date()))),
                    db.session.rollback(),
                ),
            )
        client = app.test_client()
        assert (
            client.post(
                "/login", data={"email": "employer@bench.test", "password": PASSWORD}
            ).status_code
            == 302
        )

        def post(fmt):
            response = client.post(
                "/employer/check",
                data={"format": fmt, "file": (io.BytesIO(text_file.encode()), "numbers.csv")},
                content_type="multipart/form-data",
            )
            assert response.status_code == 200, response.status_code
            return response

        csv_bytes = len(post("csv").get_data())
        figures = {
            "healthz (baseline)": timed(args.repeat, lambda: client.get("/healthz")),
            "bulk.check alone": service,
            "POST /employer/check, CSV back": timed(args.repeat, lambda: post("csv")),
            "POST /employer/check, HTML table": timed(args.repeat, lambda: post("html")),
            f"GET /employer/staff ({args.staff} staff)": timed(
                args.repeat, lambda: client.get("/employer/staff")
            ),
            f"GET /employer/staff.csv ({args.staff} staff)": timed(
                args.repeat, lambda: client.get("/employer/staff.csv")
            ),
        }
        app.extensions["naas.engine"].dispose()
    finally:
        if pg_name:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
    result = {
        "date": datetime.now(UTC).isoformat(),
        "database": "postgresql" if args.postgres else "sqlite",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "rows": args.rows,
        "staff": args.staff,
        "setup_seconds": setup_s,
        "file_bytes": len(text_file.encode()),
        "csv_back_bytes": csv_bytes,
        "outcome": summary,
        "figures": figures,
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (
        out / f"bulk-check-{result['database']}-{result['date'][:19].replace(':', '')}.json"
    ).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
