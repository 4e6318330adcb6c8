"""Fixtures: `app`, `client` and `runner` as in Flask's tutorial, over SQLite and PostgreSQL.

Every test that asks for `app` runs twice, once per database. PostgreSQL tests skip with
the reason where no server answers on 127.0.0.1:5432, except when NAAS_REQUIRE_SERVICES=1
(set by .ci/run), where a missing service fails the run instead.

How the suite is kept fast (each pytest-xdist worker has its own databases): docs/testing.md.
"""

from __future__ import annotations

import graphlib
import os
import shutil
import uuid

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text
from werkzeug.routing import Rule

from naas import create_app
from naas.bank import check_bank
from naas.config import BUNDLED_BANK
from naas.migrate import upgrade

PG_ADMIN_URL = os.environ.get(
    "NAAS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_SERVICES = os.environ.get("NAAS_REQUIRE_SERVICES") == "1"
PASSWORD = "correct horse battery staple"
# Still scrypt, at 1/256 of the work: the full one costs about 0.1 s a hash, paid for every
# user a test makes and every sign-in. test_password_hashing proves that production hashes in
# full.
FAST_PASSWORD_HASH = "scrypt:128:8:1"

# Hypothesis: the full profile in CI (Hypothesis's own "ci": 100 examples, derandomised, no
# deadline) where CI is set or .ci/run requires every service; elsewhere a lighter one for quick
# runs. Tests that set max_examples themselves keep their number in both. `pytest
# --hypothesis-profile=ci` runs the full one anywhere.
settings.register_profile("dev", max_examples=25)
settings.load_profile("ci" if REQUIRE_SERVICES or os.environ.get("CI") else "dev")


def _reuse_url_builders() -> None:
    """Most tests make an app of their own, and most of create_app's time went on Werkzeug
    writing and compiling the same URL-building function for each of its 70 routes again
    (docs/testing.md). A builder is made from the rule's text and defaults alone and takes the
    rule as its first argument, so the tests make each once and share it between apps. If a
    Werkzeug release drops the method, every app simply builds its own again."""
    make_builder = getattr(Rule, "_compile_builder", None)
    if make_builder is None:
        return
    builders: dict[tuple, object] = {}

    def shared_builder(rule: Rule, append_unknown: bool = True):
        key = (rule.rule, tuple(rule._trace), repr(rule.defaults), append_unknown)
        if key not in builders:
            builders[key] = make_builder(rule, append_unknown)
        return builders[key]

    Rule._compile_builder = shared_builder


_reuse_url_builders()


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
    with engine.begin() as connection:
        _create_reset_function(connection)
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


def _create_reset_function(connection) -> None:
    """naas_test_reset(): empty every table (children before parents) and restart every
    sequence that has been used, so that ids start at 1 again, in one round trip.

    DELETE, not TRUNCATE: a test leaves a few rows in a few tables, and deleting them (or
    finding none) takes milliseconds, where TRUNCATE makes every table and index anew whether
    it held rows or not (36 ms against 700 ms, docs/testing.md). Tables are read from the
    database, so a new one is emptied too."""
    tables = connection.scalars(
        text(
            "SELECT tablename FROM pg_tables "
            "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
    ).all()
    referencing: dict[str, set[str]] = {table: set() for table in tables}
    for child, parent in connection.execute(
        text(
            "SELECT child.relname, parent.relname FROM pg_constraint "
            "JOIN pg_class child ON child.oid = conrelid "
            "JOIN pg_class parent ON parent.oid = confrelid "
            "WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
        )
    ):
        if child != parent:  # a table that refers to itself is emptied by one DELETE
            referencing[parent].add(child)
    order = list(graphlib.TopologicalSorter(referencing).static_order())
    # Some tests read rows without ORDER BY and expect them in the order they were written, as
    # they come from a freshly truncated table. Without VACUUM, PostgreSQL records no free space
    # in the pages of deleted rows, so new rows still go after the old ones: keep autovacuum off.
    for table in order:
        connection.execute(text(f'ALTER TABLE "{table}" SET (autovacuum_enabled = false)'))
    deletes = "".join(f'DELETE FROM "{table}"; ' for table in order)
    connection.execute(
        text(
            "CREATE FUNCTION naas_test_reset() RETURNS void LANGUAGE plpgsql AS $$ "
            "DECLARE used record; BEGIN "
            f"{deletes}"
            "FOR used IN SELECT sequencename FROM pg_sequences "
            "WHERE schemaname = 'public' AND last_value IS NOT NULL LOOP "
            "EXECUTE format('ALTER SEQUENCE public.%I RESTART', used.sequencename); "
            "END LOOP; END $$"
        )
    )


@pytest.fixture(scope="session")
def postgres_reset(postgres_template):
    """Empty the test database before a test, on a connection kept for the whole run (and
    replaced if a test ended it: test_app ends every connection to the database)."""
    engine = create_engine(postgres_template, pool_size=1, pool_pre_ping=True)

    def reset() -> None:
        with engine.begin() as connection:
            connection.execute(text("SELECT naas_test_reset()"))

    yield reset
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "naas.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    request.getfixturevalue("postgres_reset")()
    return request.getfixturevalue("postgres_template")


@pytest.fixture
def app_config(database_url, tmp_path):
    return {
        "NAAS_ENV": "testing",
        "SECRET_KEY": "test-" + "x" * 40,
        "NAAS_DATABASE_URL": database_url,
        "TESTING": True,
        "NAAS_BASE_URL": "http://localhost",
        "NAAS_PASSWORD_HASH_METHOD": FAST_PASSWORD_HASH,
        # each test's own: the instance folder's is shared by every test and database
        "NAAS_AUDIT_CHECKPOINT_FILE": str(tmp_path / "audit-checkpoints.jsonl"),
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
