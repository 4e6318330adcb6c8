"""A simulated cohort on the small bank, sat and marked through the real services."""

from __future__ import annotations

from datetime import timedelta

import pytest

from naas.statistics.cohort import seed_cohort

from ..sitting import conftest as sitting_fixtures
from ..sitting.conftest import START, Clock  # noqa: F401  (used by the tests)

# The sitting tests' fixtures, bound here so that pytest offers them to these tests as well.
clock = sitting_fixtures.clock
loaded = sitting_fixtures.loaded
small_bank = sitting_fixtures.small_bank


@pytest.fixture
def cohort(session, loaded):
    report = seed_cohort(session, "practitioner", 60, START + timedelta(days=40))
    session.commit()
    return report


@pytest.fixture
def make_admin(session):
    from ..helpers import make_user

    return make_user(session, "admin", name="Admin Statistician")
