"""The national-scale benchmark's database, built tiny: its rows fit the schema the migrations
make, every page the benchmark times answers on it for each role, and it holds what was asked.

PostgreSQL only (the builder uses COPY); skips where none answers, as tests/conftest.py says.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from bench import scale
from bench.scale_build import Counts, build, check_references, drop_database, libpq
from naas.certificates.signing import new_key_text
from tests.conftest import PG_ADMIN_URL, _postgres_reason, need_service

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def tiny():
    reason = _postgres_reason()
    if reason:
        need_service("PostgreSQL", reason)
    name = f"naas_scale_test_{uuid.uuid4().hex[:8]}"
    key = new_key_text()
    try:
        report = build(PG_ADMIN_URL, name, 0.002, key, progress=lambda message: None)
        yield report, scale.Database(name, report.url, key, report.logins)
    finally:
        drop_database(PG_ADMIN_URL, name)


def test_row_counts_are_those_asked(tiny):
    report, _ = tiny
    asked = Counts.at(0.002)
    rows = report.rows
    assert rows["organisations"] == asked.organisations
    assert rows["candidate_profiles"] == asked.candidates
    assert rows["sittings"] == asked.sittings
    assert rows["certificates"] == asked.certificates
    assert rows["results"] == asked.sittings
    assert rows["responses"] == rows["form_items"] > 30 * asked.sittings
    engine = create_engine(report.url)
    with engine.connect() as connection:
        released = connection.execute(
            text("SELECT count(*) FROM results WHERE released_at IS NOT NULL")
        ).scalar()
        passed_released = connection.execute(
            text("SELECT count(*) FROM results WHERE released_at IS NOT NULL AND passed")
        ).scalar()
        waiting = connection.execute(
            text("SELECT count(*) FROM scripts WHERE status <> 'final'")
        ).scalar()
    engine.dispose()
    assert released == asked.released
    assert passed_released == asked.certificates
    assert waiting > 0  # the most recent sittings are still being marked


def test_every_reference_resolves(tiny):
    report, _ = tiny
    import psycopg

    with psycopg.connect(libpq(report.url)) as connection:
        assert check_references(connection) == []
    assert report.rows["audit_events"] > 2 * report.rows["sittings"]


def test_each_role_s_pages_answer_on_the_built_database(tiny):
    _, database = tiny
    figures = scale.time_pages(database, "practitioner", samples=1, budget=5.0)
    assert set(figures) == {label for *_, label in scale.PAGES}
    for label, row in figures.items():
        method = next(m for _, m, _, page in scale.PAGES if page == label)
        expected = [200] if method == "GET" else [302, 303]
        assert set(row["status"]) <= set(expected), f"{label}: {row}"


def test_a_scale_of_zero_is_refused():
    with pytest.raises(ValueError, match="--scale must be above 0"):
        Counts.at(0)
