"""A loaded small bank (four scenarios of four items, 10 marks each), an admin, a panel of
standard setters, and helpers that rate, sit and mark through the services."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

import pytest
from sqlalchemy import select

from naas.marking import services as marking
from naas.models import Result
from naas.standards import services

from ..helpers import make_org, make_user
from ..marking.conftest import sit  # noqa: F401  (used by the tests)
from ..sitting import conftest as sitting_fixtures
from ..sitting.conftest import START

# The sitting tests' fixtures, bound here so that pytest offers them to these tests as well.
clock = sitting_fixtures.clock
loaded = sitting_fixtures.loaded
small_bank = sitting_fixtures.small_bank

NOW = START + timedelta(days=1)


@pytest.fixture
def admin(session):
    return make_user(session, "admin", name="Sam Admin")


@pytest.fixture
def setters(session):
    return [make_user(session, "standard_setter", name=f"Judge {n}") for n in range(5)]


@pytest.fixture
def exercise(session, loaded, admin):
    exercise = services.create_exercise(
        session, "practitioner", "Practitioner standard", None, admin, NOW
    )
    session.commit()
    return exercise


@pytest.fixture
def panel(session, exercise, admin, setters):
    for judge in setters:
        services.add_judge(session, exercise, judge.email, admin, NOW)
    session.commit()
    return setters


def share(n: int) -> Fraction:
    """Judge n's leaning: -0.1, -0.05, 0, 0.05, 0.1 of the marks; the panel's mean leans nowhere."""
    return Fraction(n - 2, 20)


def rate_all(session, exercise, judges, round_, level=Fraction(4, 5), at=NOW):
    """Every judge rates every live item at `level` of its marks, leaning by share(n)."""
    session.refresh(exercise)  # a page may have moved it on
    items = services.live_item_versions(session, exercise.tier)
    for n, judge in enumerate(judges):
        raw = {v.id: str((level + share(n)) * v.marks) for v in items}
        services.save_ratings(session, exercise, judge, round_, raw, at)
    session.commit()


def approve_at(session, exercise, admin, judges, level=Fraction(4, 5), at=NOW):
    rate_all(session, exercise, judges, 1, level, at)
    services.begin_round2(session, exercise, admin, at)
    rate_all(session, exercise, judges, 2, level, at)
    services.approve(session, exercise, admin, at)
    session.commit()


@pytest.fixture
def markers(session):
    trust = make_org(session, "Markers' Trust")
    return [make_user(session, "assessor", org=trust, name=f"Marker {n}") for n in range(2)]


def mark_all(session, markers, marks, at):
    """Both markers mark every waiting script alike, so each becomes final at once."""
    for marker in markers:
        while (mark := marking.take_next(session, marker, at, control_rate=0)) is not None:
            marking.record_mark(
                session, mark, marker, marks, "Marked against the rubric.", submit=True, now=at
            )
            session.commit()


def result_of(session, sitting):
    session.expire_all()
    return session.scalar(select(Result).where(Result.sitting_id == sitting.id))
