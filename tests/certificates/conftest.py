"""A candidate who passed the small bank's practitioner test, with its result released and its
certificate issued; their employer, another organisation's employer, an admin; a clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from naas.marking import services as marking_services
from naas.models import Certificate, Result
from naas.sitting import services as sitting_services

from ..helpers import login, make_org, make_user
from ..sitting import conftest as sitting_fixtures
from ..sitting.conftest import START, Clock, endorse  # noqa: F401  (used by the tests)

# The sitting tests' fixtures, bound here so that pytest offers them to these tests as well.
clock = sitting_fixtures.clock
loaded = sitting_fixtures.loaded
small_bank = sitting_fixtures.small_bank

RELEASED = START + timedelta(days=10)


@pytest.fixture
def org(session):
    return make_org(session, "Northfield Council")


@pytest.fixture
def employer(session, org):
    return make_user(session, "employer", org=org, name="Gareth Hughes")


@pytest.fixture
def candidate(session, org, employer, loaded):
    return make_user(session, "candidate", org=org, name="Amara Okafor", registration="SW424242")


@pytest.fixture
def admin(session):
    return make_user(session, "admin", name="Sam Carter")


def sit_and_release(session, candidate, org, employer, *, passed=True, at=START, released=RELEASED):
    """A sitting through the services, its result made final (as if marked) and released the
    way `naas results release` releases: certificates follow from the release."""
    endorsement = endorse(session, candidate, org, employer, at=at - timedelta(days=1))
    sitting = sitting_services.start_sitting(session, candidate, endorsement, at)
    result = sitting_services.submit(session, sitting, at + timedelta(minutes=30), by="candidate")
    result.status, result.passed = "final", passed
    session.flush()
    marking_services.release(session, "practitioner", actor_id=None, now=released)
    session.commit()
    return result


def certificate_of(session, result: Result) -> Certificate | None:
    session.expire_all()
    return session.scalar(select(Certificate).where(Certificate.result_id == result.id))


def reloaded(session, certificate: Certificate) -> Certificate:
    session.expire_all()
    return session.get(Certificate, certificate.id)


@pytest.fixture
def result(session, candidate, org, employer):
    return sit_and_release(session, candidate, org, employer)


@pytest.fixture
def certificate(session, result):
    return certificate_of(session, result)


@pytest.fixture
def signed_in_as(app, clock):
    """A client signed in as the given user."""

    def sign_in(user):
        client = app.test_client()
        assert login(client, user.email).status_code == 302
        return client

    return sign_in
