"""Benchmark: a national-size PostgreSQL database, and each role's main page timed on it
against the same pages on a demo-sized one built the same way in the same run.

    python bench/scale.py build  [--scale 1] [--keep]
    python bench/scale.py pages  [--scale 1] [--small-scale 0.005] [--samples 30] [--reuse DB]
    python bench/scale.py stats  [--scale 1] [--tier practitioner] [--reuse DB]
    python bench/scale.py all    (build both, stats, then pages; the run docs/performance.md reports)

The national database (at --scale 1: 30,000 candidates in 150 organisations, 60,000 submitted
sittings with their responses, 20,000 released results, 12,000 certificates, a few hundred
thousand audit records) is built by bulk COPY into the schema the migrations make
(bench/scale_build.py). Databases get a unique name on 127.0.0.1:5432 (user postgres) and are
dropped at the end unless --keep; --keep writes bench/results/<name>.json (the signing key and
the logins), which --reuse <name> reads to skip the rebuild. The small database is always
built afresh (seconds).

Pages are requested through the app's own test client, signed in as a real user of each role:
a number of timed requests after two untimed ones, with a time budget per page so that a very
slow page still finishes. Statistics run in a subprocess each, for their peak memory.
Figures go to docs/performance.md; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench.scale_build import PASSWORD, app_for, build, drop_database  # noqa: E402
from naas.certificates.signing import new_key_text  # noqa: E402
from naas.migrate import upgrade  # noqa: E402

SERVER = os.environ.get(
    "NAAS_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
RESULTS = ROOT / "bench" / "results"

# role, method, path (filled from the database), what it is
PAGES = (
    ("candidate", "GET", "/dashboard", "candidate dashboard"),
    ("candidate", "GET", "/sittings/{sitting}/result", "candidate result"),
    ("employer", "GET", "/employer/staff", "employer staff list"),
    ("assessor", "GET", "/marking/", "assessor queue"),
    ("assessor", "POST", "/marking/next", "assessor take next"),
    ("assessor", "GET", "/marking/reliability", "assessor own figures"),
    ("moderator", "GET", "/marking/", "moderator queue"),
    ("admin", "GET", "/admin/marking/", "admin marking overview"),
    ("admin", "POST", "/admin/marking/{tier}/release", "admin release (refused)"),
    ("admin", "GET", "/admin/certificates/", "admin certificates"),
    ("admin", "GET", "/admin/statistics/{tier}", "admin item statistics"),
    ("admin", "GET", "/admin/fairness/{tier}", "admin fairness report"),
    ("public", "GET", "/verify/{certificate}", "public verify"),
)


# -- databases ---------------------------------------------------------------------------------
class Database:
    """A built database and what is needed to use it: its URL, signing key and logins."""

    def __init__(self, name: str, url: str, key: str, logins: dict, built: dict | None = None):
        self.name, self.url, self.key, self.logins, self.built = name, url, key, logins, built

    @classmethod
    def build(cls, scale: float, label: str) -> Database:
        name = f"naas_scale_{label}_{uuid.uuid4().hex[:8]}"
        key = new_key_text()
        print(f"building {name} at scale {scale}", flush=True)
        report = build(SERVER, name, scale, key, progress=lambda m: print(m, flush=True))
        built = {
            "scale": scale,
            "counts": report.counts.__dict__,
            "rows": report.rows,
            "seconds": {k: round(v, 1) for k, v in report.seconds.items()},
            "size_mib": round(report.size_bytes / 2**20),
        }
        print(
            f"  built in {built['seconds']['total']} s, {built['size_mib']} MiB: "
            + ", ".join(f"{t} {report.rows[t]}" for t in sorted(report.rows) if report.rows[t]),
            flush=True,
        )
        return cls(name, report.url, key, report.logins, built)

    @classmethod
    def reuse(cls, name: str) -> Database:
        path = RESULTS / f"{name}.json"
        if not path.exists():
            sys.exit(f"Error: {path} not found: --reuse takes a database built with --keep")
        saved = json.loads(path.read_text())
        engine = create_engine(saved["url"])
        upgrade(engine)  # migrations added since the build (new indexes) apply to it too
        engine.dispose()
        return cls(name, saved["url"], saved["key"], saved["logins"], saved.get("built"))

    def keep(self) -> None:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{self.name}.json"
        path.write_text(
            json.dumps(
                {"url": self.url, "key": self.key, "logins": self.logins, "built": self.built},
                indent=1,
            )
        )
        path.chmod(0o600)
        print(f"kept {self.name}: reuse it with --reuse {self.name}")

    def drop(self) -> None:
        drop_database(SERVER, self.name)


# -- pages -------------------------------------------------------------------------------------
def targets(database: Database, tier: str) -> dict[str, str]:
    """The ids the page paths need: the candidate's released result, a certificate."""
    engine = create_engine(database.url)
    with engine.connect() as connection:
        sitting = connection.execute(
            text(
                "SELECT s.id FROM sittings s JOIN results r ON r.sitting_id = s.id "
                "JOIN users u ON u.id = s.candidate_id "
                "WHERE u.email = :email AND r.released_at IS NOT NULL ORDER BY s.id LIMIT 1"
            ),
            {"email": database.logins["candidate"]},
        ).scalar()
    engine.dispose()
    return {"sitting": str(sitting), "certificate": database.logins["certificate"], "tier": tier}


def undo_take(database_engine, email: str) -> None:
    """Put back the script a timed "take next" allocated, so each take finds the same queue.
    (Its audit record stays: the chain is append-only.)"""
    with database_engine.begin() as connection:
        assessor = connection.execute(
            text("SELECT id FROM users WHERE email = :e"), {"e": email}
        ).scalar()
        connection.execute(
            text("DELETE FROM marks WHERE assessor_id = :a AND status = 'allocated'"),
            {"a": assessor},
        )
        connection.execute(
            text("UPDATE scripts SET held_by = NULL, held_since = NULL WHERE held_by = :a"),
            {"a": assessor},
        )


def time_pages(
    database: Database, tier: str, samples: int, budget: float
) -> dict[str, dict[str, float | int]]:
    app = app_for(database.url, database.key)
    logging.getLogger("naas.request").setLevel(logging.WARNING)  # a line per request otherwise
    app.config["WTF_CSRF_ENABLED"] = False  # the forms' tokens are not what is measured
    paths = targets(database, tier)
    engine = create_engine(database.url)
    clients = {}
    figures = {}
    try:
        for role, method, path, label in PAGES:
            if role not in clients:
                client = app.test_client()
                if role != "public":
                    signed_in = client.post(
                        "/login", data={"email": database.logins[role], "password": PASSWORD}
                    )
                    if signed_in.status_code != 302:
                        raise RuntimeError(f"{role} could not sign in ({signed_in.status_code})")
                clients[role] = client
            client = clients[role]
            url = path.format(**paths)
            times, statuses = [], set()
            spent = time.perf_counter()
            for n in range(samples + 2):
                began = time.perf_counter()
                response = client.open(url, method=method)
                took = time.perf_counter() - began
                statuses.add(response.status_code)
                if label == "assessor take next":
                    undo_take(engine, database.logins[role])
                if n >= 2:
                    times.append(took * 1000)
                if time.perf_counter() - spent > budget and len(times) >= 3:
                    break
            times.sort()
            figures[label] = {
                "path": url,
                "status": sorted(statuses),
                "n": len(times),
                "p50": round(statistics.median(times), 1),
                "p95": round(times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], 1),
            }
            print(f"  {label:28} {figures[label]}", flush=True)
    finally:
        engine.dispose()
        app.extensions["naas.engine"].dispose()
        app.extensions["naas.read_engine"].dispose()
    return figures


# -- statistics ---------------------------------------------------------------------------------
MEASURE = r"""
import json, sys, time
from datetime import UTC, datetime

def peak():
    # VmHWM, in KiB: unlike getrusage's maxrss, it starts afresh at exec, so the size of the
    # process that started this one does not count
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

sys.path.insert(0, {root!r})
from bench.scale_build import app_for
from naas import db
app = app_for({url!r}, {key!r})
with app.app_context():
    base = peak()
    started = time.perf_counter()
    what = {what!r}
    if what == "load":
        from naas.statistics.data import load_tier
        data = load_tier(db.session, {tier!r}, {scope!r})
        out = {{"sittings": data.sittings}}
    elif what == "items":
        from naas.statistics import services
        run = services.compute(db.session, {tier!r}, {scope!r}, actor_id=None, now=datetime.now(UTC))
        out = {{"sittings": run.sittings, "responses": run.responses}}
    else:
        from naas.equality import services
        run = services.compute(db.session, {tier!r}, {scope!r}, actor_id=None, now=datetime.now(UTC))
        out = {{"sittings": run.sittings}}
    db.session.commit()
    out["seconds"] = round(time.perf_counter() - started, 2)
    out["app_rss_mib"] = round(base / 1024)
    out["peak_rss_mib"] = round(peak() / 1024)
print("RESULT " + json.dumps(out))
"""


def time_statistics(database: Database, tier: str, scopes: tuple[str, ...]) -> list[dict]:
    """Each computation in a fresh interpreter: its peak resident memory is its own."""
    rows = []
    for scope in scopes:
        for what in ("load", "items", "fairness"):
            code = MEASURE.format(
                root=str(ROOT),
                url=database.url,
                key=database.key,
                what=what,
                tier=tier,
                scope=scope,
            )
            done = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT
            )
            line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
            if done.returncode or line is None:
                raise RuntimeError(f"statistics ({what}, {scope}) failed:\n{done.stderr[-3000:]}")
            row = {"what": what, "tier": tier, "scope": scope, **json.loads(line[7:])}
            rows.append(row)
            print(f"  {row}", flush=True)
    return rows


# -- the command ------------------------------------------------------------------------------
def machine() -> dict:
    started = time.perf_counter()
    for _ in range(10_000_000):
        pass
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "empty_loop_s": round(time.perf_counter() - started, 2),
        "load_average": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("build", "pages", "stats", "all"))
    parser.add_argument("--scale", type=float, default=1.0, help="1 is national size")
    parser.add_argument("--small-scale", type=float, default=0.005, help="the demo-sized one")
    parser.add_argument("--reuse", metavar="DB", help="a national database kept by --keep")
    parser.add_argument("--keep", action="store_true", help="keep the national database")
    parser.add_argument("--samples", type=int, default=30, help="timed requests per page")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per page at most")
    parser.add_argument("--tier", default="practitioner")
    parser.add_argument("--json", metavar="FILE", help="also write the figures here")
    args = parser.parse_args(argv)
    if args.scale <= 0 or args.small_scale <= 0 or args.samples < 1:
        parser.error("--scale, --small-scale and --samples must be above 0")
    report: dict = {"run": datetime.now(UTC).isoformat(timespec="seconds"), "mode": args.mode}
    report["machine"] = machine()
    made: list[Database] = []
    try:
        national = Database.reuse(args.reuse) if args.reuse else Database.build(args.scale, "nat")
        if not args.reuse:
            made.append(national)
        report["national"] = {"name": national.name, "built": national.built}
        small = None
        if args.mode in ("pages", "all"):
            small = Database.build(args.small_scale, "small")
            made.append(small)
            report["small"] = {"name": small.name, "built": small.built}
        if args.mode in ("stats", "all"):
            print("statistics, national:", flush=True)
            report["stats"] = time_statistics(national, args.tier, ("released", "submitted"))
        if small is not None:
            for database in (national, small):
                if args.mode == "pages" or database is small:  # so their pages show a report
                    time_statistics(database, args.tier, ("released",))
            print("pages, national:", flush=True)
            big_pages = time_pages(national, args.tier, args.samples, args.budget)
            print("pages, small:", flush=True)
            small_pages = time_pages(small, args.tier, args.samples, args.budget)
            report["pages"] = {
                label: {
                    "national": big_pages[label],
                    "small": small_pages[label],
                    "p95_ratio": round(
                        big_pages[label]["p95"] / max(small_pages[label]["p95"], 0.1), 2
                    ),
                }
                for label in big_pages
            }
            for label, row in report["pages"].items():
                print(
                    f"  {label:28} national p50/p95 {row['national']['p50']}/{row['national']['p95']} ms"
                    f"  small {row['small']['p50']}/{row['small']['p95']} ms  ratio {row['p95_ratio']}"
                )
    finally:
        for database in made:
            if database is made[0] and args.keep and not args.reuse:
                database.keep()
            else:
                database.drop()
    report["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=str))
    return report


if __name__ == "__main__":
    main()
