"""Two app servers behind nginx, one killed in the middle of a sitting: nothing acknowledged is lost.

Sets up a throwaway PostgreSQL database (migrated and loaded with the bundled bank by the `naas`
commands, candidates made through the auth services), then runs a small cluster on this machine:

    node A   127.0.0.2:PORT   naas serve --workers 2, naas scheduler
    node B   127.0.0.3:PORT   naas serve --workers 2, naas scheduler
    naas worker (Celery over RabbitMQ, a queue of this run's own)
    nginx    127.0.0.1:PORT   round robin over A and B, naming the node that answered (X-Upstream)

sharing PostgreSQL, Redis (database 7, flushed before and after) and RabbitMQ. Then:

1. Failed sign-ins, alternating between the nodes, meet the same limits as on one node: an
   account's (NAAS_LOGIN_FAILURE_LIMIT, 5 per 15 minutes) and an address's (NAAS_LOGIN_LIMIT,
   10 a minute here), counted in Redis.
2. CANDIDATES candidates sign in through nginx, start a sitting and save answers as the page's
   script does (sitting.js: POST /sittings/<id>/answers, every send a new, higher seq). Halfway
   node A's gunicorn is killed (SIGKILL, its whole process group). nginx sends new requests to
   B; a save that was in flight to A fails (nginx does not resend a POST), and the candidate
   sends it again with the next seq, as the browser does. Everyone finishes and submits.
3. Checks, each printed as `CHECK ok: ...` or `CHECK FAILED: ...`:
   every acknowledged save is in the database (each one's answer is the response's history at
   its seq, and each response holds the last acknowledged answer); saves reached both nodes
   before the kill; both sign-in limits refused at the same count as on one node; the expiry
   sweep ran exactly once in each minute slot of the run and submitted the sitting left overdue
   (`expire_sittings` jobs, each slot's written once by whichever scheduler was active); and
   exactly one of the two schedulers was active.

    python bench/cluster.py [--candidates 20] [--saves 24] [--interval 1.0] [--minutes 2]
    python bench/cluster.py --short      # CI: 6 candidates, about a minute in all

Exit status 0 when every check passed, 1 when one failed, 2 when the cluster could not be set
up. Needs PostgreSQL (127.0.0.1:5432, user postgres, trust), Redis (6379), RabbitMQ (5672,
guest) and nginx. tests/test_cluster.py runs the short form; figures in docs/deployment.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import redis
from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from autosave import ADMIN_URL, lost_answers  # noqa: E402

from naas import create_app, db  # noqa: E402
from naas.auth.services import create_user, hash_password  # noqa: E402
from naas.certificates.signing import new_key_text  # noqa: E402
from naas.models import Endorsement, Job, Organisation, Response, ResponseStep, Sitting  # noqa: E402
from naas.sitting.services import start_sitting  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/7"
BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
NODES = {"A": "127.0.0.2", "B": "127.0.0.3"}
PASSWORD = "cluster-" + secrets.token_hex(8)
ACCOUNT_LIMIT = "5 per 15 minutes"
ADDRESS_LIMIT = "10 per minute;300 per hour"
# The rate-limit probes come from addresses of their own (nginx passes the client's address on),
# so that their failures never count against the candidates' 127.0.0.1.
ACCOUNT_PROBE_FROM, ADDRESS_PROBE_FROM = "127.0.0.50", "127.0.0.51"
TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


class SetupFailed(RuntimeError):
    """The cluster could not be started: a service missing, a process that did not come up."""


# -- the cluster's processes -------------------------------------------------------------------
def free_port(*hosts: str) -> int:
    """A port free on every one of `hosts`."""
    while True:
        with socket.socket() as s:
            s.bind((hosts[0], 0))
            port = s.getsockname()[1]
        try:
            for host in hosts[1:]:
                with socket.socket() as s:
                    s.bind((host, port))
            return port
        except OSError:
            continue


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


class Cluster:
    """The processes of one run, each in a process group of its own (so a kill takes its
    children with it), their logs in one temporary folder."""

    def __init__(self, folder: Path, env: dict[str, str]):
        self.folder, self.env = folder, env
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "naas.cli", *args],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def start_nginx(self, nginx: str, conf: Path) -> None:
        log = (self.folder / "nginx.log").open("w")
        self.processes["nginx"] = subprocess.Popen(
            [nginx, "-c", str(conf), "-p", str(self.folder), "-g", "daemon off;"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, name: str) -> None:
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.processes[name].wait(timeout=max(0.1, deadline - time.monotonic()))
            if self.processes[name].poll() is None:
                self.kill(name)

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def until_ready(self, name: str, host: str, port: int, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise SetupFailed(f"{name} exited:\n{self.log(name)[-2000:]}")
            try:
                connection = http.client.HTTPConnection(host, port, timeout=5)
                connection.request("GET", "/readyz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SetupFailed(f"{name} did not answer /readyz within {seconds:g} s")


NGINX_CONF = """\
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {folder}/nginx-access.log;
    client_body_temp_path {folder}/nginx-body;
    proxy_temp_path {folder}/nginx-proxy;
    fastcgi_temp_path {folder}/nginx-fastcgi;
    uwsgi_temp_path {folder}/nginx-uwsgi;
    scgi_temp_path {folder}/nginx-scgi;
    upstream naas_cluster {{
        server {a}:{port} max_fails=1 fail_timeout=30s;
        server {b}:{port} max_fails=1 fail_timeout=30s;
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{proxy_port};
        client_max_body_size 16m;
        location / {{
            proxy_pass http://naas_cluster;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Request-ID $request_id;
            # The default: a request that could not reach a node goes to the other; a POST
            # already sent to a node that then died is not sent again (the client resends it).
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


# -- the database ------------------------------------------------------------------------------
@dataclass
class Person:
    email: str
    endorsement_id: int


def set_up_database(url: str, env: dict[str, str], candidates: int) -> dict:
    """Migrate and load the bank with the `naas` commands, then add the candidates (one password
    hash for all: production hashing costs a tenth of a second each), an account for the
    sign-in limit, and one candidate whose sitting ran out hours ago, for the expiry sweep."""
    for command in (["db", "upgrade"], ["bank", "load"]):
        done = subprocess.run(
            [sys.executable, "-m", "naas.cli", *command],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SetupFailed(f"naas {' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    app = create_app({"NAAS_ENV": "testing", "NAAS_DATABASE_URL": url}, serving=False)
    password_hash = hash_password(PASSWORD)
    with app.app_context():
        session = db.session
        now = datetime.now(UTC)
        org = Organisation(name="Cluster Borough Council", kind="local_authority")
        session.add(org)
        session.flush()
        employer = create_user(
            session, email="employer@cluster.test", name="E", roles=["employer"], organisation=org
        )

        def candidate(email: str, number: int):
            user = create_user(
                session,
                email=email,
                name=f"Candidate {number}",
                roles=["candidate"],
                organisation=org,
                registration_number=f"SW{800000 + number}",
            )
            user.password_hash = password_hash
            endorsement = Endorsement(
                candidate_id=user.id,
                organisation_id=org.id,
                tier="practitioner",
                endorsed_by=employer.id,
                created_at=now - timedelta(days=1),
            )
            session.add(endorsement)
            session.flush()
            return user, endorsement

        people = []
        for n in range(candidates):
            _, endorsement = candidate(f"c{n}@cluster.test", n)
            people.append(Person(f"c{n}@cluster.test", endorsement.id))
        candidate("limits@cluster.test", candidates)
        late, endorsement = candidate("late@cluster.test", candidates + 1)
        overdue = start_sitting(session, late, endorsement, now - timedelta(hours=6))
        session.commit()
        overdue_id = overdue.id
    app.extensions["naas.engine"].dispose()
    return {"people": people, "overdue_sitting": overdue_id}


# -- a candidate's browser ---------------------------------------------------------------------
class Unreachable(Exception):
    """The request got no answer: the connection broke (a node died with it in flight)."""


@dataclass
class Reply:
    status: int
    text: str
    location: str
    node: str  # the node that answered, by nginx's X-Upstream: "A", "B" or "?"


class Browser:
    """What the page's script and the browser do for one person, over one keep-alive connection
    to nginx: cookies kept, the CSRF token sent, and the node that answered each request noted."""

    def __init__(self, port: int, nodes: dict[str, str], source: str = "127.0.0.1"):
        self.port, self.nodes, self.source = port, nodes, source
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        path: str,
        form: dict | None = None,
        json_body: str = "",
        headers: dict | None = None,
    ) -> Reply:
        headers = dict(headers or {})
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body:
            body = json_body
            headers["Content-Type"] = "application/json"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=30, source_address=(self.source, 0)
                )
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            content = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            if self.connection is not None:
                self.connection.close()
            self.connection = None
            raise Unreachable(type(exc).__name__) from None
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value
        answered_by = (response.headers.get("X-Upstream") or "").split(",")[-1].strip()
        return Reply(
            response.status,
            content,
            response.headers.get("Location", ""),
            self.nodes.get(answered_by, "?"),
        )

    def post_again_if_lost(self, path: str, form: dict, tries: int = 5) -> Reply:
        """A form post resent after a 502 or a broken connection, as a person would press the
        button again; only for posts that are harmless twice (sign-in, start, submit)."""
        for _ in range(tries - 1):
            try:
                reply = self.request("POST", path, form=form)
                if reply.status not in (502, 503, 504):
                    return reply
            except Unreachable:
                pass
            time.sleep(0.5)
        return self.request("POST", path, form=form)

    def token(self, path: str) -> str:
        match = TOKEN.search(self.request("GET", path).text)
        if not match:
            raise AssertionError(f"no CSRF token on {path}")
        return match.group(1)


# -- the load ----------------------------------------------------------------------------------
@dataclass
class Save:
    sitting: int
    item: int
    seq: int
    answer: str
    node: str
    before_kill: bool


@dataclass
class Load:
    saves: list[Save] = field(default_factory=list)
    lost_in_flight: Counter = field(default_factory=Counter)  # by the node they were sent to
    refusals: list[str] = field(default_factory=list)
    submitted: list[int] = field(default_factory=list)
    in_flight: int = 0  # saves sent and not yet answered
    in_flight_at_kill: int = 0
    killed: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


SINGLE = re.compile(r'data-item="(\d+)" data-type="single"')


def sit(
    browser: Browser, person: Person, saves: int, interval: float, offset: float, load: Load
) -> None:
    """Sign in, start, save `saves` answers one `interval` apart from `offset` on (each a change,
    to the stage's single-answer questions in turn), submit."""
    token = browser.token("/login")
    reply = browser.post_again_if_lost(
        "/login", {"email": person.email, "password": PASSWORD, "csrf_token": token}
    )
    if reply.status != 302:
        raise AssertionError(f"{person.email} could not sign in: {reply.status}")
    start = f"/sittings/start/{person.endorsement_id}"
    reply = browser.post_again_if_lost(start, {"csrf_token": browser.token(start)})
    stage = urlsplit(reply.location).path
    sitting = int(re.fullmatch(r"/sittings/(\d+)/stages/0", stage).group(1))
    page = browser.request("GET", stage).text
    token = TOKEN.search(page).group(1)
    options = {
        int(item): re.findall(rf'name="q{item}" value="([^"]+)"', page)
        for item in SINGLE.findall(page)
    }
    items = sorted(options)
    next_seq = {item: 1 for item in items}
    chosen: dict[int, int] = {}
    began = time.monotonic() + offset  # candidates' saves spread over the interval
    for n in range(saves):
        time.sleep(max(0.0, began + n * interval - time.monotonic()))
        item = items[n % len(items)]
        chosen[item] = (chosen.get(item, -1) + 1) % len(options[item])  # always a change
        answer = options[item][chosen[item]]
        for _ in range(20):
            seq = next_seq[item]
            next_seq[item] += 1  # every send a new number, as sitting.js does
            before_kill = not load.killed.is_set()
            body = f'{{"item": {item}, "answer": "{answer}", "seq": {seq}}}'
            with load.lock:
                load.in_flight += 1
            try:
                reply = browser.request(
                    "POST",
                    f"/sittings/{sitting}/answers",
                    json_body=body,
                    headers={"X-CSRFToken": token, "Accept": "application/json"},
                )
            except Unreachable:
                reply = None
            finally:
                with load.lock:
                    load.in_flight -= 1
            if reply is not None and reply.status == 200:
                with load.lock:
                    load.saves.append(Save(sitting, item, seq, answer, reply.node, before_kill))
                break
            if reply is None or reply.status in (502, 503, 504):
                with load.lock:
                    load.lost_in_flight[reply.node if reply else "?"] += 1
                time.sleep(0.3)  # then send it again, with the next seq
                continue
            with load.lock:
                load.refusals.append(f"{reply.status} {reply.text[:200]}")
            break
    reply = browser.post_again_if_lost(
        f"/sittings/{sitting}/submit", {"csrf_token": token, "confirm": "yes"}
    )
    if reply.status == 302 and reply.location.endswith(f"/sittings/{sitting}/submitted"):
        with load.lock:
            load.submitted.append(sitting)


def failed_sign_ins(port: int, nodes: dict[str, str], source: str, emails: list[str]) -> list:
    """(status, node) of each failed sign-in, sent one after another through nginx."""
    browser = Browser(port, nodes, source)
    token = browser.token("/login")
    answers = []
    for email in emails:
        reply = browser.request(
            "POST", "/login", form={"email": email, "password": "wrong", "csrf_token": token}
        )
        answers.append((reply.status, reply.node))
    return answers


# -- checks ------------------------------------------------------------------------------------
class Checks:
    def __init__(self) -> None:
        self.failed = 0

    def __call__(self, ok: bool, what: str) -> None:
        print(f"CHECK {'ok' if ok else 'FAILED'}: {what}", flush=True)
        self.failed += not ok


def unmatched_saves(url: str, saves: list[Save]) -> list[Save]:
    """Acknowledged saves whose answer is not the response's answer at their seq: the newest step
    at or below that seq. (A resend of an answer already stored adds no step, only a seq.)"""
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                Response.sitting_id,
                Response.form_item_id,
                ResponseStep.client_seq,
                ResponseStep.answer,
            )
            .join(ResponseStep, ResponseStep.response_id == Response.id)
            .order_by(ResponseStep.client_seq)
        ).all()
    engine.dispose()
    history: dict[tuple[int, int], list[tuple[int, str]]] = {}
    for sitting, item, seq, answer in rows:
        history.setdefault((sitting, item), []).append((seq, answer))
    missing = []
    for save in saves:
        steps = [a for s, a in history.get((save.sitting, save.item), []) if s <= save.seq]
        if not steps or steps[-1] != save.answer:
            missing.append(save)
    return missing


def sweep_jobs(url: str) -> list[tuple[str, int, str, str]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(Job.dedupe_key, func.count(), func.min(Job.state), func.max(Job.outcome))
            .where(Job.kind == "expire_sittings")
            .group_by(Job.dedupe_key)
            .order_by(Job.dedupe_key)
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def wait_for_sweeps(url: str, minutes: int, seconds: float) -> list:
    """Until the sweep has run in `minutes` slots and none is left unfinished."""
    deadline = time.monotonic() + seconds
    while True:
        jobs = sweep_jobs(url)
        done = [j for j in jobs if j[2] == "done"]
        if (len(done) >= minutes and len(done) == len(jobs)) or time.monotonic() > deadline:
            return jobs
        time.sleep(1)


# -- the run -----------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    nginx = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    missing = [
        name
        for name, there in (
            ("nginx", nginx is not None),
            ("PostgreSQL", reachable("127.0.0.1", 5432)),
            ("Redis", reachable("127.0.0.1", 6379)),
            ("RabbitMQ", reachable("127.0.0.1", 5672)),
        )
        if not there
    ]
    if missing:
        print(f"cannot run: {', '.join(missing)} not available", file=sys.stderr)
        return 2
    name = f"naas_cluster_{uuid.uuid4().hex[:8]}"
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    queue_name = f"naas-cluster-{uuid.uuid4().hex[:10]}"
    folder = Path(tempfile.mkdtemp(prefix="naas-cluster-"))
    folder.chmod(0o755)  # nginx's workers (not root) write their temp files here
    port = free_port(*NODES.values())
    proxy_port = free_port("127.0.0.1")
    nodes = {f"{address}:{port}": node for node, address in NODES.items()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("NAAS_")}
    env.update(
        {
            "NAAS_ENV": "production",
            "NAAS_SECRET_KEY": secrets.token_hex(32),
            "NAAS_SIGNING_KEY": new_key_text(),
            "NAAS_DATABASE_URL": url,
            "NAAS_REDIS_URL": REDIS_URL,
            "NAAS_BROKER_URL": BROKER_URL,
            "NAAS_JOBS_QUEUE": queue_name,
            "NAAS_PROXY_HOPS": "1",
            "NAAS_BASE_URL": f"http://127.0.0.1:{proxy_port}",
            "NAAS_LOG_FORMAT": "text",
            "NAAS_LOGIN_FAILURE_LIMIT": ACCOUNT_LIMIT,
            "NAAS_LOGIN_LIMIT": ADDRESS_LIMIT,
        }
    )
    limits_store = redis.Redis.from_url(REDIS_URL)
    limits_store.flushdb()
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    cluster = Cluster(folder, env)
    checks = Checks()
    began = time.monotonic()
    try:
        print(f"Setting up {name}: {args.candidates} candidates; logs in {folder}", flush=True)
        made = set_up_database(url, env, args.candidates)
        print(f"Database ready in {time.monotonic() - began:.0f} s", flush=True)
        for node, address in NODES.items():
            cluster.start(
                f"node{node}-web", "serve", "--bind", f"{address}:{port}", "--workers", "2"
            )
            cluster.start(f"node{node}-scheduler", "scheduler")
        cluster.start("worker", "worker", "--concurrency", "1")
        for node, address in NODES.items():
            cluster.until_ready(f"node{node}-web", address, port)
        conf = folder / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                folder=folder, a=NODES["A"], b=NODES["B"], port=port, proxy_port=proxy_port
            )
        )
        cluster.start_nginx(nginx, conf)
        cluster.until_ready("nginx", "127.0.0.1", proxy_port, seconds=15)
        print(
            f"Cluster up in {time.monotonic() - began:.0f} s: nginx 127.0.0.1:{proxy_port} -> "
            f"A {NODES['A']}:{port}, B {NODES['B']}:{port}; worker on queue {queue_name}",
            flush=True,
        )

        # 1. the sign-in limits, counted in Redis whichever node answers
        account = failed_sign_ins(
            proxy_port, nodes, ACCOUNT_PROBE_FROM, ["limits@cluster.test"] * 7
        )
        print(f"Failed sign-ins to one account: {account}", flush=True)
        address = failed_sign_ins(
            proxy_port, nodes, ADDRESS_PROBE_FROM, [f"nobody{n}@cluster.test" for n in range(12)]
        )
        print(f"Failed sign-ins from one address: {address}", flush=True)

        # 2. the candidates, node A killed halfway
        load = Load()
        browsers = [Browser(proxy_port, nodes) for _ in made["people"]]
        threads = [
            threading.Thread(
                target=sit,
                args=(
                    browser,
                    person,
                    args.saves,
                    args.interval,
                    n * args.interval / len(browsers),
                    load,
                ),
            )
            for n, (browser, person) in enumerate(zip(browsers, made["people"], strict=True))
        ]
        for thread in threads:
            thread.start()
        planned = args.candidates * args.saves
        while len(load.saves) < planned // 2 and any(t.is_alive() for t in threads):
            time.sleep(0.05)
        # Halfway, at a moment when saves are in flight (to either node: nginx chooses).
        waited_until = time.monotonic() + 2 * args.interval
        while load.in_flight < 2 and time.monotonic() < waited_until:
            time.sleep(0.001)
        load.in_flight_at_kill = load.in_flight
        cluster.kill("nodeA-web")
        load.killed.set()
        print(
            f"Killed node A's gunicorn (SIGKILL) after {len(load.saves)} saves, with "
            f"{load.in_flight_at_kill} in flight",
            flush=True,
        )
        for thread in threads:
            thread.join()
        jobs = wait_for_sweeps(url, args.minutes, seconds=60 * args.minutes + 30)

        # 3. the checks
        acked = {}
        for save in load.saves:  # the newest acknowledged save of each question
            key = (save.sitting, save.item)
            if save.seq > acked.get(key, (0, ""))[0]:
                acked[key] = (save.seq, save.answer)
        by_node = Counter(save.node for save in load.saves)
        before = Counter(save.node for save in load.saves if save.before_kill)
        after = Counter(save.node for save in load.saves if not save.before_kill)
        print(
            f"Saves acknowledged: {len(load.saves)} of {planned} (A {by_node['A']}, B "
            f"{by_node['B']}; before the kill A {before['A']}, B {before['B']}; after it A "
            f"{after['A']}, B {after['B']}); sends that got no answer and were sent again: "
            f"{sum(load.lost_in_flight.values())} {dict(load.lost_in_flight)}",
            flush=True,
        )
        missing = unmatched_saves(url, load.saves)
        lost = lost_answers(url, acked)
        checks(
            len(load.saves) == planned and not load.refusals,
            f"every save was acknowledged in the end ({len(load.saves)} of {planned}; "
            f"refused: {load.refusals[:3] or 'none'})",
        )
        checks(
            not missing and lost == 0,
            f"every acknowledged save is in the database ({len(load.saves) - len(missing)} of "
            f"{len(load.saves)} in the responses' history; {len(acked) - lost} of {len(acked)} "
            "responses hold their last acknowledged answer)",
        )
        checks(
            before["A"] > 0 and before["B"] > 0,
            f"saves landed on both nodes before the kill (A {before['A']}, B {before['B']})",
        )
        checks(
            after["A"] == 0,
            f"after the kill every save was answered by node B ({after['B']})",
        )
        checks(
            len(load.submitted) == args.candidates,
            f"every candidate submitted ({len(load.submitted)} of {args.candidates})",
        )
        counted = [node for status, node in account[:6]]
        checks(
            [s for s, _ in account] == [200] * 5 + [429] * 2 and {"A", "B"} <= set(counted),
            f"the account limit ({ACCOUNT_LIMIT}) refused the 6th failed sign-in although "
            f"the attempts alternated between nodes ({' '.join(counted)})",
        )
        counted = [node for status, node in address[:11]]
        checks(
            [s for s, _ in address] == [200] * 10 + [429] * 2 and {"A", "B"} <= set(counted),
            f"the address limit ({ADDRESS_LIMIT.split(';')[0]}) refused the 11th failed sign-in "
            f"although the attempts alternated between nodes ({' '.join(counted)})",
        )
        slots = sorted(int(key.rsplit("@", 1)[1]) for key, *_ in jobs)
        checks(
            bool(jobs)
            and all(count == 1 and state == "done" for _, count, state, _ in jobs)
            and slots == list(range(slots[0], slots[0] + len(slots))),
            f"the expiry sweep ran once in each minute slot of the run ({len(jobs)} slot(s), "
            f"jobs per slot {[count for _, count, _, _ in jobs]}, states "
            f"{sorted({state for _, _, state, _ in jobs})})",
        )
        engine = create_engine(url)
        with engine.connect() as connection:
            overdue = connection.execute(
                select(Sitting.status, Sitting.submitted_by).where(
                    Sitting.id == made["overdue_sitting"]
                )
            ).one()
        engine.dispose()
        checks(
            tuple(overdue) == ("submitted", "deadline")
            and sum(outcome.startswith("Submitted 1 ") for *_, outcome in jobs) == 1,
            f"the sweep submitted the overdue sitting once ({overdue[0]} by {overdue[1]}; "
            f"outcomes {[outcome for *_, outcome in jobs]})",
        )
        active = {
            node: cluster.log(f"node{node}-scheduler").count("this scheduler is now the active one")
            for node in NODES
        }
        standing_by = [
            node
            for node in NODES
            if "another scheduler is active" in cluster.log(f"node{node}-scheduler")
        ]
        checks(
            sum(active.values()) == 1 and len(standing_by) == 1,
            f"exactly one scheduler was active (became active: {active}; stood by: {standing_by})",
        )
        print(f"Run took {time.monotonic() - began:.0f} s", flush=True)
    except SetupFailed as exc:
        print(f"cannot run: {exc}", file=sys.stderr)
        return 2
    finally:
        cluster.stop_all()
        with contextlib.suppress(Exception):
            limits_store.flushdb()
        with contextlib.suppress(Exception):
            from kombu import Connection

            with Connection(BROKER_URL) as broker:
                broker.default_channel.queue_delete(queue_name)
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
    if checks.failed:
        print(f"FAILED: {checks.failed} check(s); logs kept in {folder}", flush=True)
        return 1
    if not args.keep_logs:
        shutil.rmtree(folder, ignore_errors=True)
    print("ALL CHECKS PASSED", flush=True)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--saves", type=int, default=24, help="saves per candidate")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between saves")
    parser.add_argument(
        "--minutes", type=int, default=2, help="minute slots the expiry sweep must run in"
    )
    parser.add_argument("--short", action="store_true", help="the CI form: about a minute")
    parser.add_argument("--keep-logs", action="store_true", help="keep the logs' folder")
    args = parser.parse_args()
    if args.short:
        args.candidates, args.saves, args.interval, args.minutes = 6, 12, 0.75, 1
    if args.candidates < 2 or args.saves < 4:
        parser.error("use at least 2 candidates and 4 saves each")
    sys.exit(run(args))


if __name__ == "__main__":
    main()
