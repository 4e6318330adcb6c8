"""`naas demo` sets up a database a newcomer can sign in to with the logins it prints."""
from __future__ import annotations

import os
import re
import subprocess
import sys

from naas import create_app

from .helpers import login


def test_demo_prints_logins_that_work(tmp_path):
    url = f"sqlite:///{tmp_path}/demo.sqlite3"
    env = {**os.environ, "NAAS_DATABASE_URL": url}
    env.pop("NAAS_SECRET_KEY", None)
    result = subprocess.run([sys.executable, "-m", "naas.cli", "demo", "--no-serve"], capture_output=True, text=True,
                            env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Open http://127.0.0.1:5000/" in result.stdout
    logins = re.findall(r"^\s+(candidate|employer|assessor|moderator|admin)\s+(\S+)\s+(\S+)$", result.stdout, re.M)
    assert {role for role, _, _ in logins} == {"candidate", "employer", "assessor", "moderator", "admin"}
    again = subprocess.run([sys.executable, "-m", "naas.cli", "demo", "--no-serve"], capture_output=True, text=True,
                           env=env, timeout=300)
    assert again.returncode == 0 and logins[0][2] in again.stdout  # a second run keeps working

    app = create_app({"NAAS_ENV": "testing", "NAAS_DATABASE_URL": url, "SECRET_KEY": "d" * 40})
    for role, email, password in logins:
        client = app.test_client()
        assert login(client, email, password).status_code == 302, role
    client = app.test_client()
    login(client, logins[0][1], logins[0][2])
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Approved child and family practitioner" in page and "Start the test" in page
