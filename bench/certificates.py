"""Benchmark: rendering certificates, and the verification API under load.

Rendering (in this process): the first certificate (which parses the stylesheet and loads
the fonts), then warm renders, against a blank page rendered through the same WeasyPrint
setup (same fetcher, fonts and stylesheet) in the same run. The report names the font
subsetter WeasyPrint used: without Debian's libharfbuzz-subset0 (which .ci/test installs) it
falls back to fontTools, and a render costs several times as much. As in a gunicorn worker
(naas/wsgi.py), what start-up built is frozen out of the garbage collector's sight before
timing; --no-freeze renders without that.

Verification: a fresh PostgreSQL database with CERTIFICATES certificates issued through
the real release, the app under gunicorn (sync workers) on 127.0.0.1, and CLIENTS closed-loop
clients (spread over processes) asking GET /api/v1/certificates/<number> for random known
numbers for SECONDS; /healthz of the same app (one SELECT 1) is driven the same way in the
same run as the baseline. The load generator shares the machine's cores with the server.

    python bench/certificates.py [--renders 50] [--certificates 200] [--seconds 20] [--workers 3]
                                 [--clients 32] [--worker-class sync|gthread] [--threads 1]
                                 [--load python|wrk] [--render-only] [--no-freeze] [--redis URL]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) for the load part. Run by hand;
figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import multiprocessing
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autosave import ADMIN_URL, SECRET, free_port, percentile  # noqa: E402  (bench/, beside this file)

from naas import create_app, db  # noqa: E402
from naas.auth.services import hash_password  # noqa: E402
from naas.bank import check_bank  # noqa: E402
from naas.bank_store import store_bank  # noqa: E402
from naas.certificates.accreditation import Accreditation  # noqa: E402
from naas.certificates.signing import new_key_text  # noqa: E402
from naas.config import BUNDLED_BANK  # noqa: E402
from naas.marking.services import release  # noqa: E402
from naas.migrate import upgrade  # noqa: E402
from naas.models import CandidateProfile, Certificate, Endorsement, Organisation, User, UserRole  # noqa: E402
from naas.sitting.services import start_sitting, submit  # noqa: E402


def summary_ms(samples: list[float]) -> dict:
    return {
        "n": len(samples),
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "min_ms": round(min(samples), 1),
    }


# -- rendering -------------------------------------------------------------------------------
def bench_render(renders: int, no_freeze: bool = False) -> dict:
    from naas.certificates import render

    tier = check_bank(BUNDLED_BANK).bank.tiers["practitioner"]
    number = "NAAS-7K2M-Q9XD-4HT8B-E"
    accreditation = Accreditation(
        number=number,
        holder_name="Amara Okafor",
        registration_number="SW424242",
        tier=tier.id,
        tier_title=tier.title,
        areas=tuple((a.code, a.title) for a in tier.areas),
        issued_on=datetime(2026, 3, 12).date(),
        expires_on=datetime(2029, 3, 12).date(),
        verify_url=f"https://naas.example.org/verify/{number}",
        issuer_name="National Assessment and Accreditation System",
        issuer_url="https://naas.example.org",
    )
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "NAAS_ENV": "testing",
                "SECRET_KEY": SECRET,
                "NAAS_DATABASE_URL": f"sqlite:///{folder}/unused.sqlite3",
            }
        )
        if not no_freeze:  # as naas/wsgi.py does in each gunicorn worker
            gc.collect()
            gc.freeze()
        with app.test_request_context():

            def timed(make) -> tuple[float, int]:
                start = time.perf_counter()
                size = len(make())
                return (time.perf_counter() - start) * 1000, size

            first, size = timed(lambda: render.certificate_pdf(accreditation))
            warm = [timed(lambda: render.certificate_pdf(accreditation))[0] for _ in range(renders)]
            blank = [timed(render.blank_pdf)[0] for _ in range(renders)]
    gc.unfreeze()
    return {
        "font_subsetter": render.font_subsetter(),
        "gc_frozen_after_start_up": not no_freeze,
        "first_render_ms": round(first, 1),
        "pdf_bytes": size,
        "warm": summary_ms(warm),
        "blank_page": summary_ms(blank),
        "ratio_warm_to_blank_median": round(statistics.median(warm) / statistics.median(blank), 1),
    }


# -- verification under load ------------------------------------------------------------------
def set_up(url: str, count: int, signing_key: str) -> list[str]:
    """Certificates issued the way a release issues them; returns their numbers."""
    upgrade(create_engine(url))
    app = create_app(
        {
            "NAAS_ENV": "testing",
            "SECRET_KEY": SECRET,
            "NAAS_DATABASE_URL": url,
            "NAAS_SIGNING_KEY": signing_key,
        }
    )
    with app.app_context():
        session = db.session
        now = datetime.now(UTC) - timedelta(days=30)
        store_bank(session, check_bank(BUNDLED_BANK).bank, source="bench", actor_id=None, now=now)
        org = Organisation(name="Bench Council")
        session.add(org)
        session.flush()
        password = hash_password("not used by the benchmark")
        for n in range(count):
            user = User(
                email=f"c{n}@bench.test",
                name=f"Candidate {n}",
                password_hash=password,
                organisation=org,
            )
            user.role_rows = [UserRole(role="candidate")]
            session.add_all(
                [user, CandidateProfile(user=user, registration_number=f"SW{700000 + n}")]
            )
            session.flush()
            endorsement = Endorsement(
                candidate_id=user.id,
                organisation_id=org.id,
                tier="practitioner",
                endorsed_by=user.id,
                created_at=now,
            )
            session.add(endorsement)
            session.flush()
            result = submit(
                session, start_sitting(session, user, endorsement, now), now, by="candidate"
            )
            result.status, result.passed = "final", True
        release(session, "practitioner", actor_id=None, now=now + timedelta(days=1))
        session.commit()
        numbers = list(session.scalars(select(Certificate.number)))
    app.extensions["naas.engine"].dispose()
    return numbers


def client_process(port: int, paths: list[str], threads: int, until: float, out) -> None:
    """Closed loop: each thread sends its next request as soon as the last one is answered."""
    samples: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()

    def loop() -> None:
        rng = random.Random()
        mine, failed = [], {}
        while time.time() < until:
            path = rng.choice(paths)
            start = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request("GET", path, headers={"Accept": "application/json"})
                response = connection.getresponse()
                response.read()
                connection.close()
                if response.status == 200:
                    mine.append((time.perf_counter() - start) * 1000)
                else:
                    failed[str(response.status)] = failed.get(str(response.status), 0) + 1
            except (OSError, http.client.HTTPException) as exc:
                failed[type(exc).__name__] = failed.get(type(exc).__name__, 0) + 1
        with lock:
            samples.extend(mine)
            for key, value in failed.items():
                errors[key] = errors.get(key, 0) + value

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put((samples, errors))


def drive(port: int, paths: list[str], clients: int, seconds: float) -> dict:
    processes = max(1, min(os.cpu_count() or 1, clients))
    out = multiprocessing.Queue()
    until = time.time() + seconds
    started = time.perf_counter()
    children = [
        multiprocessing.Process(
            target=client_process, args=(port, paths, clients // processes, until, out)
        )
        for _ in range(processes)
    ]
    for child in children:
        child.start()
    samples, errors = [], {}
    for _ in children:
        part, failed = out.get()
        samples += part
        for key, value in failed.items():
            errors[key] = errors.get(key, 0) + value
    for child in children:
        child.join()
    elapsed = time.perf_counter() - started
    return {
        "requests": len(samples),
        "errors": errors,
        "per_s": round(len(samples) / elapsed, 1),
        "p50_ms": round(percentile(samples, 50), 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "p99_ms": round(percentile(samples, 99), 1),
    }


WRK_SCRIPT = """
local paths = {%s}
request = function()
  return wrk.format("GET", paths[math.random(#paths)], {["Accept"] = "application/json"})
end
done = function(summary, latency, requests)
  io.write(string.format('WRK {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p95_us": %%d, ' ..
    '"p99_us": %%d, "non_2xx": %%d, "socket_errors": %%d}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def drive_wrk(port: int, paths: list[str], clients: int, seconds: float) -> dict:
    """The same closed loop from wrk, a load generator written in C (Debian's package): it costs
    the server's 2 cores far less than Python clients do, and keeps connections open where the
    server allows it (gthread workers do; sync workers close each one)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % ", ".join(json.dumps(p) for p in paths))
    try:
        output = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{clients}",
                f"-d{seconds:g}s",
                "--timeout",
                "30s",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    figures = json.loads(next(line[4:] for line in output.splitlines() if line.startswith("WRK ")))
    errors = {k: figures[k] for k in ("non_2xx", "socket_errors") if figures[k]}
    return {
        "requests": figures["requests"],
        "errors": errors,
        "per_s": round(figures["requests"] / (figures["duration_us"] / 1e6), 1),
        "p50_ms": round(figures["p50_us"] / 1000, 1),
        "p95_ms": round(figures["p95_us"] / 1000, 1),
        "p99_ms": round(figures["p99_us"] / 1000, 1),
    }


def bench_verify(args: argparse.Namespace) -> dict:
    name = f"naas_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    key = new_key_text()
    server = None
    try:
        print(f"Issuing {args.certificates} certificates in {name} ...", flush=True)
        numbers = set_up(url, args.certificates, key)
        port = free_port()
        env = {
            **os.environ,
            "NAAS_ENV": "production",
            "NAAS_SECRET_KEY": SECRET,
            "NAAS_DATABASE_URL": url,
            "NAAS_SIGNING_KEY": key,
            "NAAS_VERIFY_LIMIT": "1000000 per minute",
        }
        env.pop("NAAS_REDIS_URL", None)
        if args.redis:  # the limit's counters shared by the workers, as in a deployment of several
            env["NAAS_REDIS_URL"] = args.redis
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(args.workers),
                "--worker-class",
                args.worker_class,
                "--threads",
                str(args.threads),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "naas.wsgi:app",
            ],
            env=env,
            cwd=ROOT,
        )
        for _ in range(100):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        load = drive_wrk if args.load == "wrk" else drive
        load(port, ["/healthz"], args.clients, 2)  # warm every worker
        print(
            f"Driving /healthz, then the API, {args.seconds:g} s each, with {args.load} ...",
            flush=True,
        )
        baseline = load(port, ["/healthz"], args.clients, args.seconds)
        api = load(port, [f"/api/v1/certificates/{n}" for n in numbers], args.clients, args.seconds)
        return {
            "gunicorn_workers": args.workers,
            "worker_class": args.worker_class,
            "threads": args.threads,
            "load": args.load,
            "clients": args.clients,
            "certificates": len(numbers),
            "rate_limit_storage": "redis" if args.redis else "worker memory",
            "healthz": baseline,
            "api": api,
            "ratio_api_to_healthz_throughput": round(api["per_s"] / baseline["per_s"], 2),
        }
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--renders", type=int, default=50)
    parser.add_argument("--certificates", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--workers", type=int, default=3, help="gunicorn workers (3 suit 2 cores best)"
    )
    parser.add_argument("--clients", type=int, default=32, help="closed-loop clients")
    parser.add_argument(
        "--worker-class", default="sync", choices=["sync", "gthread"], help="gunicorn worker class"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per gunicorn worker (gthread)"
    )
    parser.add_argument(
        "--load",
        default="python",
        choices=["python", "wrk"],
        help="load generator: Python clients, or wrk (apt-get install wrk)",
    )
    parser.add_argument("--render-only", action="store_true")
    parser.add_argument(
        "--no-freeze",
        action="store_true",
        help="render without gc.freeze() after start-up (naas/wsgi.py freezes)",
    )
    parser.add_argument(
        "--redis", metavar="URL", help="keep the verification limit's counters in this Redis"
    )
    args = parser.parse_args()
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "command": " ".join(["python bench/certificates.py"] + sys.argv[1:]),
    }
    print(
        f"Rendering 1 + {args.renders} certificates and {args.renders} blank pages ...", flush=True
    )
    report["render"] = bench_render(args.renders, args.no_freeze)
    if not args.render_only:
        report["verify"] = bench_verify(args)
    print(json.dumps(report, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"certificates-{report['date'][:19].replace(':', '')}.json").write_text(
        json.dumps(report, indent=2)
    )


if __name__ == "__main__":
    main()
