"""A PostgreSQL server that restarts under the app: requests in flight and during the outage get
the 503 page (nothing half-done), and the pool serves again by itself once the server is back.

The test runs a PostgreSQL server of its own (initdb in a temporary folder, on a free port), so
that stopping it disturbs no other test."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from naas import create_app
from naas.auth.decorators import public
from naas.db import session as db_session
from naas.migrate import upgrade
from tests.conftest import need_service
from tests.helpers import login, make_user

pytestmark = pytest.mark.postgres


def _binaries() -> Path | None:
    root = Path("/usr/lib/postgresql")
    found = sorted(root.glob("*/bin/pg_ctl")) if root.exists() else []
    if found:
        return found[-1].parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A throwaway PostgreSQL cluster, run as the `postgres` user when the test runs as root
    (PostgreSQL refuses to run as root)."""

    def __init__(self, folder: Path, binaries: Path):
        self.folder, self.binaries, self.port = folder, binaries, _free_port()
        self.data = folder / "data"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.binaries / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed: {done.stderr or done.stdout}")

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-A", "trust", "-U", "postgres", "--no-sync", "-D", str(self.data))

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off "
            "-c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-l",
            str(self.folder / "log"),
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


@pytest.fixture
def server():
    binaries = _binaries()
    if binaries is None:
        need_service("PostgreSQL server binaries (pg_ctl, initdb)", "none are installed")
    # Not under pytest's own temporary folder: that is private to root, and the server runs
    # as postgres.
    folder = Path(tempfile.mkdtemp(prefix="naas-own-postgres-"))
    own = Server(folder, binaries)
    try:
        own.init()
        own.start()
        yield own
    finally:
        with contextlib.suppress(RuntimeError):
            own.stop()  # unless the test left it stopped
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def outage_app(server, tmp_path):
    engine = create_engine(server.url)
    upgrade(engine)
    engine.dispose()
    app = create_app(
        {
            "NAAS_ENV": "testing",
            "SECRET_KEY": "test-" + "x" * 40,
            "NAAS_DATABASE_URL": server.url,
            "TESTING": True,
            "PROPAGATE_EXCEPTIONS": False,
            "NAAS_BASE_URL": "http://localhost",
        }
    )

    @app.route("/test-outage/slow-read")
    @public
    def slow_read():
        db_session.execute(text("SELECT pg_sleep(4)"))
        return "finished"

    yield app
    app.extensions["naas.engine"].dispose()


def test_a_postgresql_restart_gives_503_pages_and_the_pool_recovers(server, outage_app):
    client = outage_app.test_client()
    with outage_app.app_context():
        user = make_user(outage_app.extensions["naas.db"](), "candidate")
    login(client, user.email)
    assert client.get("/dashboard").status_code == 200  # the pool now holds connections

    # A request in flight when the server stops: a clear 503, not a 500 or a hang.
    answers: list = []
    in_flight = threading.Thread(
        target=lambda: answers.append(outage_app.test_client().get("/test-outage/slow-read"))
    )
    in_flight.start()
    time.sleep(1)
    server.stop()
    in_flight.join(timeout=30)
    assert answers and answers[0].status_code == 503
    assert "Sorry, the service is unavailable" in answers[0].get_data(as_text=True)

    # While it is down: every page that needs it says so, and /readyz names the database.
    down = client.get("/dashboard", headers={"X-Request-ID": "while-down"})
    page = down.get_data(as_text=True)
    assert down.status_code == 503 and "saved answers are safe" in page and "while-down" in page
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "database" in ready.get_json()["failing"]
    assert client.get("/livez").status_code == 200  # the process itself is fine

    # Back again: the same signed-in user is served, without restarting the app.
    server.start()
    for _ in range(3):
        assert client.get("/dashboard").status_code == 200
    assert (
        client.get("/readyz").status_code == 200
        or "bank" in client.get("/readyz").get_json()["failing"]
    )  # no bank is loaded in this database: only that may fail
