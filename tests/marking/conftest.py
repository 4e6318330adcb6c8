"""Submitted sittings with written answers, and assessors to mark them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from naas.models import Endorsement
from naas.sitting import services as sitting_services

from ..helpers import make_org, make_user
from ..sitting import conftest as sitting_fixtures
from ..sitting.conftest import START, Clock, endorse  # noqa: F401  (used by the tests)

# The sitting tests' fixtures, bound here so that pytest offers them to these tests as well.
clock = sitting_fixtures.clock
loaded = sitting_fixtures.loaded
small_bank = sitting_fixtures.small_bank


@pytest.fixture
def org(session):
    return make_org(session, "Candidates' Council")


@pytest.fixture
def other_org(session):
    return make_org(session, "Assessors' Trust")


@pytest.fixture
def employer(session, org):
    return make_user(session, "employer", org=org)


def sit(
    session,
    candidate,
    org,
    employer,
    right=True,
    written="A careful written analysis of risk.",
    at=START,
):
    """A candidate sits the small bank's form through the services and submits it."""
    endorsement = session.query(Endorsement).filter_by(
        candidate_id=candidate.id
    ).first() or endorse(session, candidate, org, employer)
    sitting = sitting_services.start_sitting(session, candidate, endorsement, at)
    form = sitting_services.load_form(session, sitting.form)
    for page in range(sitting.form.stage_count):
        for entry in form.page_items(page):
            answer = {
                "single": "a" if right else "b",
                "multiple": ["a", "b"] if right else ["c", "d"],
                "ranking": ["b", "a", "c"] if right else ["c", "a", "b"],
                "free_text": written,
            }[entry.item.name]
            sitting_services.save_answer(session, sitting, entry, answer, 1, at, source="page")
        if page < sitting.form.stage_count - 1:
            sitting_services.move_on(session, sitting, page, sitting.form, at)
    sitting_services.submit(session, sitting, at + timedelta(minutes=30), by="candidate")
    session.commit()
    return sitting


@pytest.fixture
def candidate(session, org, employer, loaded):
    return make_user(
        session, "candidate", org=org, name="Zainab Merriweather", registration="SW424242"
    )


@pytest.fixture
def sitting(session, candidate, org, employer):
    return sit(session, candidate, org, employer)


@pytest.fixture
def assessors(session, other_org):
    return [make_user(session, "assessor", org=other_org, name=f"Assessor {n}") for n in range(3)]


@pytest.fixture
def moderator(session, other_org):
    return make_user(session, ("assessor", "moderator"), org=other_org, name="Moderator One")
