"""A simulated cohort on the small bank, sat and marked through the real services."""

from __future__ import annotations

from datetime import timedelta

import pytest

from naas.statistics.cohort import seed_cohort

from ..sitting.conftest import START, Clock, clock, loaded, small_bank  # noqa: F401  (fixtures)


@pytest.fixture
def cohort(session, loaded):
    report = seed_cohort(session, "practitioner", 60, START + timedelta(days=40))
    session.commit()
    return report


@pytest.fixture
def make_admin(session):
    from ..helpers import make_user

    return make_user(session, "admin", name="Admin Statistician")
