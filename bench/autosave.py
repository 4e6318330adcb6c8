"""Benchmark: the autosave path under gunicorn and PostgreSQL, against a trivial endpoint.

Simulates CANDIDATES candidates, each saving an answer every INTERVAL seconds (open loop:
saves are sent on schedule whether or not earlier ones have returned, so a slow server
cannot hide its queueing). /healthz of the same app is requested alongside, in the same
run, as the baseline. At the end every acknowledged save is checked against the database.

    python bench/autosave.py [--candidates 2000] [--interval 15] [--seconds 60] [--workers 3]
                             [--keep | --reuse DATABASE]

Setting up 2,000 candidates takes minutes: --keep leaves the database (and the candidates'
sessions, in bench/results/) for later runs to --reuse.

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust). Run by hand; figures go to
docs/performance.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import queue
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from naas import create_app, db  # noqa: E402
from naas.auth.services import hash_password  # noqa: E402
from naas.bank import check_bank  # noqa: E402
from naas.bank_store import store_bank  # noqa: E402
from naas.certificates.signing import new_key_text  # noqa: E402
from naas.config import BUNDLED_BANK  # noqa: E402
from naas.migrate import upgrade  # noqa: E402
from naas.models import (  # noqa: E402
    CandidateProfile,
    Endorsement,
    FormItem,
    ItemVersion,
    Organisation,
    Response,
    User,
    UserRole,
)
from naas.sitting.services import start_sitting  # noqa: E402

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SECRET = "bench-" + "k" * 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def set_up(url: str, candidates: int) -> list[dict]:
    """Migrate, load the bank, create candidates with a started sitting and a signed session cookie."""
    upgrade(create_engine(url))
    app = create_app({"NAAS_ENV": "testing", "SECRET_KEY": SECRET, "NAAS_DATABASE_URL": url})
    people = []
    with app.app_context():
        session = db.session
        bank = check_bank(BUNDLED_BANK).bank
        now = datetime.now(UTC)
        store_bank(session, bank, source="bench", actor_id=None, now=now)
        org = Organisation(name="Bench Council")
        session.add(org)
        session.flush()
        password = hash_password("not used by the benchmark")
        for n in range(candidates):
            user = User(
                email=f"c{n}@bench.test",
                name=f"Candidate {n}",
                password_hash=password,
                organisation=org,
            )
            user.role_rows = [UserRole(role="candidate")]
            session.add(user)
            session.add(CandidateProfile(user=user, registration_number=f"SW{700000 + n}"))
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
            sitting = start_sitting(session, user, endorsement, now)
            # the single-answer items of the first stage: each save chooses one of their options
            rows = session.execute(
                select(FormItem.id, FormItem.state)
                .join(ItemVersion, ItemVersion.id == FormItem.item_version_id)
                .where(
                    FormItem.form_id == sitting.form_id,
                    FormItem.stage_number == 0,
                    ItemVersion.type == "single",
                )
            ).all()
            options = {fid: state["order"] for fid, state in rows}
            people.append({"user": user, "sitting": sitting.id, "items": options})
            if n % 200 == 199:
                session.commit()
                print(f"  set up {n + 1} candidates", flush=True)
        session.commit()
        for person in people:
            person["cookie"], person["csrf"] = signed_session(app, person["user"])
            del person["user"]
    app.extensions["naas.engine"].dispose()
    return people


def signed_session(app, user) -> tuple[str, str]:
    """A session cookie and CSRF token for `user`, as signing in from the load generator would
    give them (its address, no User-Agent: what Flask-Login's session protection checks)."""
    from flask import g
    from flask import session as flask_session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        g.pop("csrf_token", None)  # Flask-WTF caches the token per app context
        login_user(user)
        token = generate_csrf()
        cookie = app.session_interface.get_signing_serializer(app).dumps(dict(flask_session))
    return cookie, token


def wait_until_serving(port: int, workers: int) -> None:
    """Until the workers answer. gunicorn's master listens before its workers have loaded the
    app (seconds), and a request sent then waits for them: that is start-up, not load."""
    answered = 0
    deadline = time.monotonic() + 120
    while answered < 5 * workers:
        if time.monotonic() > deadline:
            raise SystemExit("the server did not start answering within 120 s")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            answered += connection.getresponse().status == 200
            connection.close()
        except OSError:
            time.sleep(0.2)


class Load:
    def __init__(
        self,
        port: int,
        people: list[dict],
        interval: float,
        seconds: float,
        threads: int,
        warmup: float,
    ):
        self.port, self.people, self.interval, self.seconds = port, people, interval, seconds
        self.warmup = warmup
        self.start = 0.0
        self.jobs: queue.Queue = queue.Queue()
        self.samples: dict[str, list[float]] = {"autosave": [], "healthz": []}
        self.errors: dict[str, int] = {"autosave": 0, "healthz": 0}
        self.statuses: dict[str, int] = {}
        self.acked: dict[tuple[int, int], tuple[int, str]] = {}
        self.lock = threading.Lock()
        self.threads = threads
        self.seq: dict[tuple[int, int], int] = {}
        # Sequence numbers start above any an earlier run on a reused database sent.
        self.first_seq = int(time.time() * 1000)

    def schedule(self) -> None:
        """Every request's time, in seconds from the start: the warm-up, then the measured window."""
        span = self.warmup + self.seconds
        rng = random.Random(1)
        events = []
        for index in range(len(self.people)):
            t = rng.uniform(0, self.interval)
            while t < span:
                events.append((t, "autosave", index))
                t += self.interval
        baseline_rate = len(events) / span / 10  # a tenth of the autosave rate
        t = 0.0
        while t < span:
            events.append((t, "healthz", -1))
            t += 1 / baseline_rate
        events.sort()
        for event in events:
            self.jobs.put(event)

    def worker(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        rng = random.Random()
        while True:
            try:
                at, kind, index = self.jobs.get_nowait()
                due = self.start + at
            except queue.Empty:
                return
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                if kind == "healthz":
                    connection.request("GET", "/healthz")
                    ok = connection.getresponse().read() and True
                    status = 200
                else:
                    person = self.people[index]
                    item = rng.choice(list(person["items"]))
                    with self.lock:
                        seq = self.seq[(index, item)] = (
                            self.seq.get((index, item), self.first_seq) + 1
                        )
                    answer = person["items"][item][seq % len(person["items"][item])]
                    body = json.dumps({"item": item, "answer": answer, "seq": seq})
                    connection.request(
                        "POST",
                        f"/sittings/{person['sitting']}/answers",
                        body=body,
                        headers={
                            "Content-Type": "application/json",
                            "X-CSRFToken": person["csrf"],
                            "Cookie": f"session={person['cookie']}",
                            "Accept": "application/json",
                        },
                    )
                    response = connection.getresponse()
                    reply = json.loads(response.read() or b"{}")
                    status = response.status
                    ok = status == 200 and reply.get("status") in ("saved", "unchanged")
                    if not ok:
                        with self.lock:
                            why = f"{status} {reply.get('error', '')}".strip()
                            self.statuses[why] = self.statuses.get(why, 0) + 1
                    if ok:
                        with self.lock:
                            key = (person["sitting"], item)
                            if seq > self.acked.get(key, (0, ""))[0]:
                                self.acked[key] = (seq, answer)
                elapsed = time.perf_counter() - due  # from when it was due: queueing counts
            except (OSError, http.client.HTTPException, ValueError) as exc:
                with self.lock:
                    self.statuses[type(exc).__name__] = self.statuses.get(type(exc).__name__, 0) + 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                ok, elapsed = False, 0.0
            with self.lock:
                if not ok:
                    self.errors[kind] += 1  # in the warm-up too
                elif at >= self.warmup:  # a warm-up request is sent and checked, not timed
                    self.samples[kind].append(elapsed * 1000)

    def run(self) -> float:
        """Send the schedule; the seconds the measured window took."""
        self.schedule()  # before the clock starts: building it takes a while
        workers = [threading.Thread(target=self.worker) for _ in range(self.threads)]
        self.start = time.perf_counter() + 1.0
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return time.perf_counter() - self.start - self.warmup


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def lost_answers(url: str, acked: dict) -> int:
    engine = create_engine(url)
    lost = 0
    with engine.connect() as connection:
        rows = connection.execute(
            select(Response.sitting_id, Response.form_item_id, Response.client_seq, Response.answer)
        ).all()
    stored = {(s, i): (seq, answer) for s, i, seq, answer in rows}
    for key, (seq, answer) in acked.items():
        if stored.get(key) != (seq, answer):
            lost += 1
    engine.dispose()
    return lost


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--interval", type=float, default=15.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--workers", type=int, default=3, help="gunicorn workers (3 suit 2 cores best)"
    )
    parser.add_argument(
        "--worker-class", default="sync", choices=["sync", "gthread"], help="gunicorn worker class"
    )
    parser.add_argument(
        "--worker-threads", type=int, default=1, help="threads per gunicorn worker (gthread)"
    )
    parser.add_argument("--threads", type=int, default=64, help="client threads")
    parser.add_argument(
        "--warmup",
        type=float,
        default=10.0,
        help="seconds of the same load first, sent but not timed (workers start cold)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database for --reuse")
    parser.add_argument("--reuse", metavar="DATABASE", help="a database an earlier --keep run left")
    args = parser.parse_args()

    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    name = args.reuse or f"naas_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    people_file = out / f"autosave-people-{name}.json"
    server = None
    if args.reuse:
        people = [
            {**p, "items": {int(k): v for k, v in p["items"].items()}}
            for p in json.loads(people_file.read_text())
        ]
        args.candidates = len(people)
    else:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        if not args.reuse:
            print(f"Setting up {args.candidates} candidates in {name} ...", flush=True)
            people = set_up(url, args.candidates)
            if args.keep:
                people_file.write_text(json.dumps(people))
        port = free_port()
        env = {
            **os.environ,
            "NAAS_ENV": "production",
            "NAAS_SECRET_KEY": SECRET,
            "NAAS_DATABASE_URL": url,
            "NAAS_SIGNING_KEY": new_key_text(),
        }  # production needs one; no certificate is issued here
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
                str(args.worker_threads),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "naas.wsgi:app",
            ],
            env=env,
            cwd=ROOT,
        )
        wait_until_serving(port, args.workers)
        print(
            f"Load: {args.candidates} candidates x one save per {args.interval:g} s "
            f"= {args.candidates / args.interval:.0f} saves/s for {args.warmup:g} s of warm-up, then "
            f"{args.seconds:g} s measured",
            flush=True,
        )
        load = Load(port, people, args.interval, args.seconds, args.threads, args.warmup)
        elapsed = load.run()
        lost = lost_answers(url, load.acked)
        report = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "command": " ".join(["python bench/autosave.py"] + sys.argv[1:]),
            "gunicorn_workers": args.workers,
            "gunicorn_worker_class": args.worker_class,
            "gunicorn_threads_per_worker": args.worker_threads,
            "warmup_s": args.warmup,
            "elapsed_s": round(elapsed, 1),
            "acknowledged_answers_checked": len(load.acked),
            "lost_answers": lost,
            "refusals": load.statuses,
        }
        for kind, samples in load.samples.items():
            report[kind] = {
                "requests": len(samples),
                "errors": load.errors[kind],
                "throughput_per_s": round(len(samples) / elapsed, 1),
                "p50_ms": round(percentile(samples, 50), 2),
                "p95_ms": round(percentile(samples, 95), 2),
                "p99_ms": round(percentile(samples, 99), 2),
                "mean_ms": round(statistics.fmean(samples), 2) if samples else None,
            }
        report["p95_ratio_autosave_to_healthz"] = round(
            report["autosave"]["p95_ms"] / report["healthz"]["p95_ms"], 2
        )
        print(json.dumps(report, indent=2))
        (out / f"autosave-{report['date'][:19].replace(':', '')}.json").write_text(
            json.dumps(report, indent=2)
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if args.keep or args.reuse:
            print(f"Kept the database: run again with --reuse {name}", flush=True)
        else:
            with admin.connect() as connection:
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :n AND pid <> pg_backend_pid()"
                    ),
                    {"n": name},
                )
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


if __name__ == "__main__":
    main()
