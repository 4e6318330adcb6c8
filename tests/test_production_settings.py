"""Production refuses what only works on one machine, unless an operator allows it by name,
and a bad setting is one clear line before any worker starts."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from naas import create_app
from naas.config import ConfigError

SIGNING_KEY = "6xZJnh2Dgt0Me1h0ebk4n+8eSpLdNeQu1sOJ2YG6k/E="  # a test key, signs nothing
SECRET = "f3c9a1d27b64e85019cd3fa2b7e6c4d8"
POSTGRES = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # never reached: these checks come first


@pytest.fixture
def production(monkeypatch):
    for name in list(os.environ):
        if name.startswith("NAAS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NAAS_ENV", "production")
    monkeypatch.setenv("NAAS_SECRET_KEY", SECRET)
    monkeypatch.setenv("NAAS_SIGNING_KEY", SIGNING_KEY)
    monkeypatch.setenv("NAAS_DATABASE_URL", POSTGRES)
    return monkeypatch


def test_sqlite_is_refused_in_production_unless_allowed_by_name(production, tmp_path):
    production.setenv("NAAS_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    with pytest.raises(ConfigError, match="NAAS_DATABASE_URL is SQLite.*NAAS_ALLOW_SQLITE=1"):
        create_app()
    production.setenv("NAAS_ALLOW_SQLITE", "1")
    assert create_app().config["NAAS_ALLOW_SQLITE"] is True


def test_several_workers_without_redis_are_refused_unless_allowed_by_name(production):
    production.setenv("NAAS_WORKERS", "3")
    with pytest.raises(ConfigError, match="NAAS_REDIS_URL is not set but 3 workers will serve"):
        create_app()
    production.setenv("NAAS_ALLOW_LOCAL_LIMITS", "1")
    create_app()
    production.delenv("NAAS_ALLOW_LOCAL_LIMITS")
    production.setenv("NAAS_REDIS_URL", "redis://127.0.0.1:6379/0")
    create_app()
    production.setenv("NAAS_WORKERS", "1")
    production.delenv("NAAS_REDIS_URL")
    create_app()  # one worker counts every limit itself


def test_commands_that_serve_nothing_are_not_held_to_it(production, tmp_path):
    production.setenv("NAAS_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    production.setenv("NAAS_WORKERS", "4")
    create_app(serving=False)


@pytest.mark.parametrize(
    "secret, message",
    [
        ("short", "too short"),
        ("a" * 40, "too weak"),
        ("abababababababababababababababababab", "too weak"),
    ],
)
def test_a_short_or_weak_secret_is_refused(production, secret, message):
    production.setenv("NAAS_SECRET_KEY", secret)
    with pytest.raises(ConfigError, match=message):
        create_app()


@pytest.mark.parametrize(
    "name, value, message",
    [
        (
            "NAAS_ENV",
            "staging",
            "NAAS_ENV is 'staging'; it must be one of production, demo, testing",
        ),
        (
            "NAAS_REDIS_URL",
            "http://cache:6379",
            "NAAS_REDIS_URL is not a Redis URL such as redis://127.0.0.1:6379/0",
        ),
        (
            "NAAS_WORKERS",
            "three",
            "NAAS_WORKERS is 'three'; it must be a whole number from 1 to 256",
        ),
        ("NAAS_WORKERS", "0", "NAAS_WORKERS is '0'"),
        (
            "NAAS_DATABASE_URL",
            "postgresql+psycopg://naas:secret@db:fivefour/naas",
            "NAAS_DATABASE_URL is not a database URL such as postgresql+psycopg://user@host:5432",
        ),
        ("NAAS_DATABASE_URL", "not a url", "NAAS_DATABASE_URL is not a database URL"),
        (
            "NAAS_BROKER_URL",
            "http://rabbitmq:5672",
            "NAAS_BROKER_URL must be an amqp:// (RabbitMQ) or redis:// address",
        ),
        ("NAAS_LOG_FORMAT", "xml", "NAAS_LOG_FORMAT is 'xml'; it must be json or text"),
        ("NAAS_JOB_LEASE_SECONDS", "forever", "NAAS_JOB_LEASE_SECONDS is 'forever'"),
    ],
)
def test_a_bad_setting_is_one_line_from_serve_before_any_worker_starts(
    tmp_path, name, value, message
):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NAAS_")}
    env.update(
        {
            "NAAS_ENV": "production",
            "NAAS_SECRET_KEY": SECRET,
            "NAAS_SIGNING_KEY": SIGNING_KEY,
            "NAAS_DATABASE_URL": POSTGRES,
            name: value,
        }
    )
    command = [sys.executable, "-m", "naas.cli", "serve", "--workers", "1"]
    if name == "NAAS_WORKERS":
        command = [
            sys.executable,
            "-c",
            "import naas.wsgi",
        ]  # gunicorn's workers read it from the environment
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    lines = result.stderr.strip().splitlines()
    assert (
        result.returncode in (1, 3) and "Traceback" not in result.stderr
    )  # 3: gunicorn's "failed to boot"
    assert len(lines) == 1 and lines[0].startswith(f"Error: {message}")
    assert "gunicorn" not in result.stderr.lower()


def test_serve_refuses_a_non_numeric_worker_count(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "naas.cli", "serve", "--workers", "many"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2 and "'many' is not a valid integer" in result.stderr


def test_served_by_gunicorn_the_log_is_json_and_metrics_add_up_every_worker(tmp_path):
    """Two gunicorn workers each count their own requests; /metrics reports the sum, and each
    request is one JSON line on standard error with its request id."""
    import json
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAAS_", "PROMETHEUS_"))}
    env.update(
        {
            "NAAS_ENV": "production",
            "NAAS_SECRET_KEY": SECRET,
            "NAAS_SIGNING_KEY": SIGNING_KEY,
            "NAAS_DATABASE_URL": f"sqlite:///{tmp_path / 'naas.sqlite3'}",
            "NAAS_ALLOW_SQLITE": "1",
            "NAAS_ALLOW_LOCAL_LIMITS": "1",
        }
    )
    naas = [sys.executable, "-m", "naas.cli"]
    subprocess.run([*naas, "db", "upgrade"], env=env, cwd=tmp_path, check=True, timeout=120)
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [*naas, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/livez", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        for n in range(30):
            request = urllib.request.Request(f"{base}/livez", headers={"X-Request-ID": f"n-{n}"})
            with urllib.request.urlopen(request, timeout=5) as answer:
                assert answer.headers["X-Request-ID"] == f"n-{n}"
        metrics = urllib.request.urlopen(f"{base}/metrics", timeout=5).read().decode()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    counted = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith('naas_http_requests_total{method="GET",route="/livez",status="200"}')
    )
    assert counted >= 31  # the 30, and the first that found the server up
    lines = [
        json.loads(line)
        for line in (tmp_path / "serve.log").read_text().splitlines()
        if line.startswith("{")
    ]
    requests = [line for line in lines if line.get("event") == "request"]
    assert {f"n-{n}" for n in range(30)} <= {line["request_id"] for line in requests}
    assert {line["route"] for line in requests} >= {"/livez"}
