"""Results ready for release, made through the services, for the release job's tests."""

from __future__ import annotations

from datetime import timedelta

import pytest

from naas.sitting import services as sitting_services

from ..helpers import make_org, make_user
from ..sitting import conftest as sitting_fixtures
from ..sitting.conftest import START, endorse

clock = sitting_fixtures.clock
loaded = sitting_fixtures.loaded
small_bank = sitting_fixtures.small_bank


def ready_results(session, count: int, at=START):
    """`count` candidates' sittings, submitted and their results made final (as if marked),
    passes and fails alternating, none released."""
    org = make_org(session, f"Release Council {make_user.counter}")
    employer = make_user(session, "employer", org=org)
    results = []
    for n in range(count):
        candidate = make_user(session, "candidate", org=org, name=f"Candidate {n}")
        endorsement = endorse(session, candidate, org, employer, at=at - timedelta(days=1))
        sitting = sitting_services.start_sitting(session, candidate, endorsement, at)
        result = sitting_services.submit(
            session, sitting, at + timedelta(minutes=30), by="candidate"
        )
        result.status, result.passed = "final", n % 2 == 0
        results.append(result)
    session.commit()
    return results


@pytest.fixture
def admin(session):
    return make_user(session, "admin", name="Sam Carter")


@pytest.fixture
def ready(session, loaded):
    return ready_results(session, 5)
