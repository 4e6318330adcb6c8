"""The public certificate checks and signed-in pages through PgBouncer in transaction mode.

In transaction mode PgBouncer hands each transaction (each statement, in autocommit) whichever
server connection is free, so a statement psycopg prepared on one is unknown on the next. Here
PgBouncer 1.18 (Debian 12's; it cannot keep prepared statements, which only 1.21 learnt) runs
in front of the test database with three server connections used in turn, and:

- NAAS_DATABASE_PREPARED_STATEMENTS=0 keeps every check and page working, request after request;
- with the default (1) the public check fails as soon as its prepared statement lands on another
  server connection: why the setting exists (docs/deployment.md).
"""

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
from urllib.parse import urlsplit

import psycopg
import pytest

from naas import create_app
from naas.config import ConfigError, from_environment

from ..conftest import need_service
from ..helpers import login

on_postgresql = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

SERVER_CONNECTIONS = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def bouncer_url(database_url):
    """The test database's URL, through a PgBouncer of the test's own in transaction mode."""
    binary = shutil.which("pgbouncer", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    if binary is None:
        need_service("PgBouncer", "pgbouncer is not installed (apt-get install pgbouncer)")
    target = urlsplit(database_url)
    port = _free_port()
    # PgBouncer will not run as root: it then runs as postgres, which must read its files.
    folder = Path(tempfile.mkdtemp(prefix="naas-pgbouncer-"))
    folder.chmod(0o755)
    (folder / "userlist.txt").write_text(f'"{target.username}" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={target.hostname} port={target.port or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder / 'userlist.txt'}\n"
        "pool_mode = transaction\n"
        f"default_pool_size = {SERVER_CONNECTIONS}\n"
        # Each transaction takes the next server connection in turn: what a busy pool does anyway.
        "server_round_robin = 1\n"
        "max_client_conn = 100\n"
    )
    for path in folder.iterdir():
        path.chmod(0o644)
    as_user = ["-u", "postgres"] if os.geteuid() == 0 else []
    log = (folder / "pgbouncer.log").open("w")
    process = subprocess.Popen(
        [binary, *as_user, str(folder / "pgbouncer.ini")], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        url = target._replace(netloc=f"{target.username}@127.0.0.1:{port}").geturl()
        _open_server_connections(url.replace("postgresql+psycopg://", "postgresql://"), process)
        yield url
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def _open_server_connections(url: str, process: subprocess.Popen) -> None:
    """Wait for PgBouncer to answer, then hold SERVER_CONNECTIONS transactions open at once,
    so that it opens that many server connections for the round robin to go through."""
    deadline = time.monotonic() + 15
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            break
        except psycopg.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    connections = [psycopg.connect(url) for _ in range(SERVER_CONNECTIONS)]
    for connection in connections:
        connection.execute("SELECT 1")  # in a transaction, holding its server connection
    for connection in connections:
        connection.commit()  # ended cleanly, or PgBouncer closes the server connection too
        connection.close()


def _through(app_config, clock, url: str, prepared: bool):
    app = create_app(
        {
            **app_config,
            "NAAS_DATABASE_URL": url,
            "NAAS_DATABASE_PREPARED_STATEMENTS": prepared,
            "RATELIMIT_ENABLED": False,  # a hundred checks from one address
        }
    )
    app.config["NAAS_CLOCK"] = clock
    return app


@on_postgresql
def test_without_prepared_statements_checks_and_pages_work_through_pgbouncer(
    app_config, clock, certificate, candidate, bouncer_url
):
    app = _through(app_config, clock, bouncer_url, prepared=False)
    try:
        client = app.test_client()
        assert login(client, candidate.email).status_code == 302
        for _ in range(30):
            check = client.get(f"/api/v1/certificates/{certificate.number}")
            assert check.status_code == 200 and check.get_json()["status"] == "valid"
            page = client.get(f"/verify/{certificate.number}")
            assert page.status_code == 200 and "genuine and current" in page.get_data(as_text=True)
            assert client.get("/dashboard").status_code == 200

        failures: list[BaseException] = []

        def check_in_parallel() -> None:  # several client connections, each its own pool slot
            other = app.test_client()
            try:
                for _ in range(15):
                    answer = other.get(f"/api/v1/certificates/{certificate.number}")
                    assert answer.status_code == 200
            except BaseException as exc:  # noqa: BLE001  (reported below, on the test's thread)
                failures.append(exc)

        threads = [threading.Thread(target=check_in_parallel) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
    finally:
        app.extensions["naas.engine"].dispose()
        app.extensions["naas.read_engine"].dispose()


@on_postgresql
def test_with_prepared_statements_the_public_check_breaks_behind_pgbouncer(
    app_config, clock, certificate, bouncer_url
):
    """Documents the failure NAAS_DATABASE_PREPARED_STATEMENTS=0 avoids: psycopg prepares the
    check's statement on one server connection and the next check runs on another."""
    app = _through(app_config, clock, bouncer_url, prepared=True)
    client = app.test_client()
    try:
        with pytest.raises(psycopg.errors.ProgrammingError) as refused:
            for _ in range(2 * SERVER_CONNECTIONS):
                client.get(f"/api/v1/certificates/{certificate.number}")
        message = str(refused.value)
        assert "prepared statement" in message
        assert "does not exist" in message or "already exists" in message
    finally:
        app.extensions["naas.engine"].dispose()
        app.extensions["naas.read_engine"].dispose()


def test_the_setting_is_on_unless_turned_off_and_refuses_anything_but_1_or_0(tmp_path):
    assert from_environment({}, str(tmp_path))["NAAS_DATABASE_PREPARED_STATEMENTS"] is True
    off = from_environment({"NAAS_DATABASE_PREPARED_STATEMENTS": "0"}, str(tmp_path))
    assert off["NAAS_DATABASE_PREPARED_STATEMENTS"] is False
    with pytest.raises(
        ConfigError, match="NAAS_DATABASE_PREPARED_STATEMENTS is 'no'; it must be 1"
    ):
        from_environment({"NAAS_DATABASE_PREPARED_STATEMENTS": "no"}, str(tmp_path))


@on_postgresql
def test_turned_off_neither_pool_prepares_statements(app_config):
    app = create_app({**app_config, "NAAS_DATABASE_PREPARED_STATEMENTS": False})
    try:
        for name in ("naas.engine", "naas.read_engine"):
            with app.extensions[name].connect() as connection:
                assert connection.connection.driver_connection.prepare_threshold is None
    finally:
        app.extensions["naas.engine"].dispose()
        app.extensions["naas.read_engine"].dispose()
