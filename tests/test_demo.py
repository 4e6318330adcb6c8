"""`naas demo` sets up a database a newcomer can sign in to with the logins it prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from naas import create_app

from .bank.builders import scenario, write_bank
from .helpers import login

# The demo keeps its password in the one instance folder that every worker shares: under
# pytest-xdist these tests run one after another, on one worker (docs/testing.md).
pytestmark = pytest.mark.xdist_group("demo-instance-folder")


def test_demo_prints_logins_that_work(tmp_path):
    url = f"sqlite:///{tmp_path}/demo.sqlite3"
    env = {**os.environ, "NAAS_DATABASE_URL": url}
    env.pop("NAAS_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "naas.cli", "demo", "--no-serve"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Open http://127.0.0.1:5000/" in result.stdout
    logins = re.findall(
        r"^\s+(candidate|employer|assessor|moderator|admin)\s+(\S+)\s+(\S+)$", result.stdout, re.M
    )
    assert {role for role, _, _ in logins} == {
        "candidate",
        "employer",
        "assessor",
        "moderator",
        "admin",
    }
    again = subprocess.run(
        [sys.executable, "-m", "naas.cli", "demo", "--no-serve"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert again.returncode == 0 and logins[0][2] in again.stdout  # a second run keeps working

    app = create_app({"NAAS_ENV": "testing", "NAAS_DATABASE_URL": url, "SECRET_KEY": "d" * 40})
    for role, email, password in logins:
        client = app.test_client()
        assert login(client, email, password).status_code == 302, role
    client = app.test_client()
    login(client, logins[0][1], logins[0][2])
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Approved child and family practitioner" in page and "Start the test" in page


def run_demo(env):
    return subprocess.run(
        [sys.executable, "-m", "naas.cli", "demo", "--no-serve"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def demo_env(tmp_path, **settings):
    env = {**os.environ, "NAAS_DATABASE_URL": f"sqlite:///{tmp_path}/demo.sqlite3", **settings}
    env.pop("NAAS_SECRET_KEY", None)
    env.pop("NAAS_ENV", None)
    return env


def test_demo_with_a_bad_database_url_is_one_clear_line(tmp_path):
    result = run_demo(demo_env(tmp_path, NAAS_DATABASE_URL="not a url"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "Error: NAAS_DATABASE_URL is not a database URL such as "
        "postgresql+psycopg://user@host:5432/naas (Could not parse SQLAlchemy URL from given URL "
        "string)"
    ]


def test_demo_over_a_bank_changed_without_a_version_bump_says_what_to_do(tmp_path):
    root = write_bank(tmp_path / "bank")
    env = demo_env(tmp_path, NAAS_BANK_PATH=str(root))
    assert run_demo(env).returncode == 0
    changed = scenario()
    changed["stages"][0]["items"][0]["stem"] = "What now?"
    write_bank(root, scenarios=[changed])
    result = run_demo(env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert (
        lines[0]
        == "Error: item 'p-one-1' changed but scenario 'p-one' is still version 1: bump its version"
    )
    assert (
        lines[1].startswith("Error: the demo database sqlite:///")
        and "remove the demo database" in lines[1]
    )
    assert len(lines) == 2


def test_demo_over_a_bank_that_fails_the_check_is_one_clear_line(tmp_path):
    root = write_bank(tmp_path / "bank")
    (root / "practitioner" / "p-one.yaml").write_text("id: [unclosed\n")
    result = run_demo(demo_env(tmp_path, NAAS_BANK_PATH=str(root)))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"Error: the question bank {root} does not pass `naas bank check` (1 problem(s)): fix it first"
    ]


def test_demo_with_a_cohort_shows_statistics_an_admin_can_read(tmp_path):
    url = f"sqlite:///{tmp_path}/demo.sqlite3"
    env = {**os.environ, "NAAS_DATABASE_URL": url}
    env.pop("NAAS_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "naas.cli", "demo", "--no-serve", "--cohort", "4"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    for tier in ("practitioner", "supervisor", "leader"):
        assert re.search(
            rf"{tier}: 4 new simulated candidate\(s\) sat, 4 result\(s\) released", result.stdout
        )
        assert f"{tier}: a standard-setting panel of 5 simulated judges has rated" in result.stdout
        assert f"{tier}: 4 simulated candidate(s) answered the equality questions" in result.stdout
    admin = re.search(r"^\s+admin\s+(\S+)\s+(\S+)$", result.stdout, re.M)
    app = create_app({"NAAS_ENV": "testing", "NAAS_DATABASE_URL": url, "SECRET_KEY": "d" * 40})
    client = app.test_client()
    assert login(client, admin.group(1), admin.group(2)).status_code == 302
    page = client.get("/admin/statistics/practitioner").get_data(as_text=True)
    assert (
        "from 4" in page and "Too few sittings" in page
    )  # 4 candidates: no numbers, said in words
    assert "Demo panel (practitioner)" in client.get("/admin/standards/").get_data(as_text=True)
    assert client.get("/admin/fairness/practitioner").status_code == 200
    again = subprocess.run(
        [sys.executable, "-m", "naas.cli", "demo", "--no-serve", "--cohort", "4"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert (
        again.returncode == 0 and "practitioner: 0 new simulated candidate(s) sat" in again.stdout
    )
    assert "standard-setting panel" not in again.stdout  # one panel per tier, made once
