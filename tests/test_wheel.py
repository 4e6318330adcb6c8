"""The wheel is what an operator installs: built from this checkout and installed in a fresh
virtual environment outside it, `naas` must find its templates and the bundled bank, set up the
demo and answer its public pages."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(work / "dist"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    wheel = next((work / "dist").glob("naas-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True, timeout=300)
    subprocess.run(
        [str(work / "venv/bin/pip"), "install", "-q", "--disable-pip-version-check", str(wheel)],
        check=True,
        capture_output=True,
        timeout=900,
    )
    return work


def run(work, *args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("NAAS_", "PYTHONPATH"))}
    return subprocess.run(
        list(args), cwd=work, capture_output=True, text=True, timeout=600, env={**clean, **env}
    )


def test_the_installed_naas_checks_its_bundled_bank(installed):
    result = run(installed, str(installed / "venv/bin/naas"), "bank", "check")
    assert result.returncode == 0, result.stderr
    assert (
        f"OK: {installed}/venv/lib/python3.11/site-packages/naas/question_bank passes the checks."
        in result.stdout.replace(
            f"python{sys.version_info.major}.{sys.version_info.minor}", "python3.11"
        )
    )


def test_the_installed_naas_sets_up_the_demo_and_serves_its_public_pages(installed):
    url = f"sqlite:///{installed}/demo.sqlite3"
    result = run(
        installed, str(installed / "venv/bin/naas"), "demo", "--no-serve", NAAS_DATABASE_URL=url
    )
    assert result.returncode == 0, result.stderr
    assert "NAAS demo is ready." in result.stdout
    script = textwrap.dedent(f"""
        import naas
        from naas import create_app
        assert "site-packages" in naas.__file__, naas.__file__
        app = create_app({{"NAAS_ENV": "testing", "NAAS_DATABASE_URL": {url!r}, "SECRET_KEY": "w" * 40}})
        client = app.test_client()
        for path in ("/", "/login", "/verify", "/healthz", "/static/naas.css", "/.well-known/jwks.json"):
            print(path, client.get(path).status_code)
    """)
    pages = run(installed, str(installed / "venv/bin/python"), "-c", script)
    assert pages.returncode == 0, pages.stderr
    statuses = dict(line.split() for line in pages.stdout.splitlines())
    assert statuses == {path: "200" for path in statuses} and len(statuses) == 6, pages.stdout
