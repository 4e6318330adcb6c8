"""Two app servers behind nginx, one killed mid-sitting: `bench/cluster.py --short` must pass.

The script runs the whole cluster (two `naas serve` nodes each with a scheduler, a worker,
nginx) on PostgreSQL, Redis database 7 and RabbitMQ, and prints one line per check; this test
runs it and reads those lines. About a minute and a half."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import need_service

ROOT = Path(__file__).resolve().parent.parent

# Redis database 7 is the script's, flushed before and after: nothing else may use it meanwhile.
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.xdist_group("cluster")]

EXPECTED = [
    "CHECK ok: every save was acknowledged in the end",
    "CHECK ok: every acknowledged save is in the database",
    "CHECK ok: saves landed on both nodes before the kill",
    "CHECK ok: after the kill every save was answered by node B",
    "CHECK ok: every candidate submitted",
    "CHECK ok: the account limit (5 per 15 minutes) refused the 6th failed sign-in",
    "CHECK ok: the address limit (10 per minute) refused the 11th failed sign-in",
    "CHECK ok: the expiry sweep ran once in each minute slot of the run",
    "CHECK ok: the sweep submitted the overdue sitting once",
    "CHECK ok: exactly one scheduler was active",
    "ALL CHECKS PASSED",
]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def test_two_nodes_behind_nginx_lose_no_answer_when_one_is_killed():
    for service, port in (("PostgreSQL", 5432), ("Redis", 6379), ("RabbitMQ", 5672)):
        if not _answers(port):
            need_service(service, f"nothing answers on 127.0.0.1:{port}")
    if shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin:/bin") is None:
        need_service("nginx", "nginx is not installed (apt-get install nginx-light)")
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "cluster.py"), "--short"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-6000:]
    for line in EXPECTED:
        assert line in run.stdout, f"missing {line!r} in:\n{report[-6000:]}"
    assert "CHECK FAILED" not in run.stdout
    assert "Killed node A's gunicorn (SIGKILL)" in run.stdout
