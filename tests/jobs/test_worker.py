"""Jobs through the real task queue: RabbitMQ on 127.0.0.1:5672 and `naas worker` processes,
on PostgreSQL. A worker killed in the middle of a release leaves it to another worker, which
finishes it, and every result is released (with its audit record and certificate) once."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest
from sqlalchemy import func, select

from naas.models import AuditEvent, Certificate, Job, Result

from ..conftest import need_service
from ..helpers import csrf_token, login
from .conftest import ready_results

BROKER = os.environ.get("NAAS_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")

pytestmark = [pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)]


def _rabbitmq_reason() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=2):
            return None
    except OSError as exc:
        return f"no RabbitMQ on 127.0.0.1:5672 ({exc.__class__.__name__})"


@pytest.fixture
def queue_name():
    reason = _rabbitmq_reason()
    if reason:
        need_service("RabbitMQ", reason)
    return f"naas-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def app_config(app_config, queue_name):
    return {
        **app_config,
        "NAAS_BROKER_URL": BROKER,
        "NAAS_JOBS_QUEUE": queue_name,
        "NAAS_JOB_LEASE_SECONDS": 5,
        "NAAS_RELEASE_CHUNK": 1,
    }


def _worker(app, tmp_path, name: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NAAS_")}
    env.update(
        {
            "NAAS_ENV": "testing",
            "NAAS_SECRET_KEY": app.config["SECRET_KEY"],
            "NAAS_DATABASE_URL": app.config["NAAS_DATABASE_URL"],
            "NAAS_BROKER_URL": app.config["NAAS_BROKER_URL"],
            "NAAS_JOBS_QUEUE": app.config["NAAS_JOBS_QUEUE"],
            "NAAS_JOB_LEASE_SECONDS": str(app.config["NAAS_JOB_LEASE_SECONDS"]),
            "NAAS_RELEASE_CHUNK": str(app.config["NAAS_RELEASE_CHUNK"]),
            "NAAS_BASE_URL": "http://localhost",
        }
    )
    log = (tmp_path / f"{name}.log").open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "naas.cli", "worker", "--concurrency", "1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: killed whole, as a crashed node
    )


def _kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _until(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def test_a_release_survives_its_worker_being_killed_and_releases_each_result_once(
    app, client, session, admin, loaded, tmp_path
):
    results = ready_results(session, 40)
    login(client, admin.email)
    answer = client.post(
        "/admin/marking/practitioner/release",
        data={"csrf_token": csrf_token(client, "/admin/marking/")},
    )
    job_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    session.expire_all()
    assert session.get(Job, job_id).state == "queued"  # handed to RabbitMQ after the commit

    def job():
        session.expire_all()
        return session.get(Job, job_id)

    first = _worker(app, tmp_path, "first")
    try:
        _until(lambda: job().progress_done >= 3, 60, "the first worker to release a few results")
    finally:
        _kill(first)  # in the middle of the release
    stopped_at = job().progress_done
    assert job().state == "running" and stopped_at < 40

    second = _worker(app, tmp_path, "second")
    try:
        _until(lambda: job().finished, 120, "the second worker to finish the release")
    finally:
        _kill(second)
    finished = job()
    assert finished.state == "done", (tmp_path / "second.log").read_text()[-3000:]
    assert finished.outcome.startswith("Released") and finished.attempts == 2
    session.expire_all()
    assert all(session.get(Result, r.id).released_at is not None for r in results)
    releases = session.execute(
        select(AuditEvent.subject_id, func.count())
        .where(AuditEvent.action == "result.release")
        .group_by(AuditEvent.subject_id)
    ).all()
    assert len(releases) == 40 and {count for _, count in releases} == {1}
    certificates = session.execute(
        select(Certificate.result_id, func.count()).group_by(Certificate.result_id)
    ).all()
    assert len(certificates) == 20 and {count for _, count in certificates} == {1}  # the passes


def test_with_the_broker_down_a_request_still_succeeds_and_the_job_waits(
    app, client, session, admin, loaded
):
    app.config["NAAS_BROKER_URL"] = "amqp://guest:guest@127.0.0.1:1//"  # nothing listens there
    app.extensions.pop("naas.celery", None)
    ready_results(session, 2)
    login(client, admin.email)
    started = time.monotonic()
    answer = client.post(
        "/admin/marking/practitioner/release",
        data={"csrf_token": csrf_token(client, "/admin/marking/")},
    )
    assert answer.status_code == 303 and time.monotonic() - started < 15
    job_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    session.expire_all()
    assert session.get(Job, job_id).state == "pending"  # kept, for the sweep to hand over
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "The task queue is unreachable" in page and "Pending (1)" in page
