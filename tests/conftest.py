"""Fixtures: `app`, `client` and `runner` as in Flask's tutorial, over SQLite and PostgreSQL.

Every test that asks for `app` runs twice, once per database. PostgreSQL tests skip with
the reason where no server answers on 127.0.0.1:5432, except when NAAS_REQUIRE_SERVICES=1
(set by .ci/run), where a missing service fails the run instead.
"""

from __future__ import annotations

import os
import shutil
import uuid

import pytest
from sqlalchemy import create_engine, text

from naas import create_app
from naas.bank import check_bank
from naas.config import BUNDLED_BANK
from naas.migrate import upgrade

PG_ADMIN_URL = os.environ.get(
    "NAAS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_SERVICES = os.environ.get("NAAS_REQUIRE_SERVICES") == "1"
PASSWORD = "correct horse battery staple"


def need_service(name: str, reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required here (NAAS_REQUIRE_SERVICES=1) but {reason}")
    pytest.skip(f"{name} unavailable: {reason}")


def _postgres_reason() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means: no PostgreSQL here
        return f"no PostgreSQL at {PG_ADMIN_URL} ({exc.__class__.__name__})"
    return None


@pytest.fixture(scope="session")
def postgres_template():
    """A fresh PostgreSQL database for this test run, migrated once."""
    reason = _postgres_reason()
    if reason:
        need_service("PostgreSQL", reason)
    name = f"naas_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file, copied for each test (much faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _truncate_all(url: str) -> None:
    from naas.db import Base

    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "naas.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_template")
    _truncate_all(url)
    return url


@pytest.fixture
def app_config(database_url, tmp_path):
    return {
        "NAAS_ENV": "testing",
        "SECRET_KEY": "test-" + "x" * 40,
        "NAAS_DATABASE_URL": database_url,
        "TESTING": True,
        "NAAS_BASE_URL": "http://localhost",
    }


@pytest.fixture
def app(app_config):
    application = create_app(app_config)
    application.config["WTF_CSRF_ENABLED"] = True
    yield application
    application.extensions["naas.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    """A database session of the test's own, outside any request: requests get theirs."""
    test_session = app.extensions["naas.db"]()
    yield test_session
    test_session.close()


@pytest.fixture(scope="session")
def bundled_bank():
    result = check_bank(BUNDLED_BANK)
    assert result.ok, "\n".join(map(str, result.problems))
    return result.bank


def pytest_collection_modifyitems(items):
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            callspec = getattr(item, "callspec", None)
            if callspec and callspec.params.get("database_url") == "postgresql":
                item.add_marker(pytest.mark.postgres)
