"""Two organisations with an employer user each, the small bank loaded, a clock, and builders
that put a member of staff in each state an endorsement can reach."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from naas.bank_store import current_tier_version
from naas.certificates.accreditation import sign_record
from naas.certificates.numbers import new_number
from naas.certificates.services import SIGNING_KEY
from naas.models import Certificate, Endorsement, Result, Sitting, TestForm

from ..helpers import login, make_org, make_user
from ..sitting import conftest as sitting_fixtures
from ..sitting.conftest import START, Clock, endorse  # noqa: F401  (used by the tests)

# The sitting tests' fixtures, bound here so that pytest offers them to these tests as well.
clock = sitting_fixtures.clock
loaded = sitting_fixtures.loaded
small_bank = sitting_fixtures.small_bank

TODAY = START.date()


@pytest.fixture
def org(session):
    return make_org(session, "Westbrook Council")


@pytest.fixture
def other_org(session):
    return make_org(session, "Eastvale Children's Trust")


@pytest.fixture
def employer(session, org):
    return make_user(session, "employer", org=org, name="Gareth Hughes")


@pytest.fixture
def other_employer(session, other_org):
    return make_user(session, "employer", org=other_org, name="Olu Bankole")


@pytest.fixture
def signed_in(client, employer, clock, loaded):
    assert login(client, employer.email).status_code == 302
    return client


def make_candidate(session, org=None, name="Amara Okafor", registration=None, email=None):
    return make_user(
        session, "candidate", org=org, name=name, registration=registration, email=email
    )


def sitting_for(session, endorsement, *, status="submitted", started=START - timedelta(days=40)):
    version = current_tier_version(session, endorsement.tier)
    form = TestForm(
        tier=endorsement.tier,
        tier_version_id=version.id,
        seed=1,
        total_marks=20,
        stage_count=4,
        created_at=started,
    )
    session.add(form)
    session.flush()
    submitted = status == "submitted"
    sitting = Sitting(
        candidate_id=endorsement.candidate_id,
        endorsement_id=endorsement.id,
        tier=endorsement.tier,
        form_id=form.id,
        status=status,
        started_at=started,
        deadline=started + timedelta(minutes=60),
        submitted_at=started + timedelta(minutes=50) if submitted else None,
        submitted_by="candidate" if submitted else None,
    )
    session.add(sitting)
    session.commit()
    return sitting


def result_for(session, sitting, *, status="final", passed=None, released=None, area_scores=None):
    result = Result(
        sitting_id=sitting.id,
        status=status,
        total=12,
        max_marks=20,
        passed=passed,
        area_scores=area_scores
        or {"P1": {"score": "7", "marks": 10}, "P2": {"score": "5", "marks": 10}},
        computed_at=sitting.submitted_at,
        released_at=released,
    )
    session.add(result)
    session.commit()
    return result


def certificate_for(session, result, candidate, *, expires_on, revoked_at=None):
    """A certificate signed with the app's key, as issuing signs one (checks refuse unsigned rows)."""
    certificate = Certificate(
        number=new_number(),
        candidate_id=candidate.id,
        result_id=result.id,
        tier="practitioner",
        tier_title="Practitioner",
        holder_name=candidate.name,
        registration_number=candidate.profile.registration_number,
        issued_on=expires_on - timedelta(days=3 * 365),
        expires_on=expires_on,
        revoked_at=revoked_at,
    )
    certificate.signed_record, certificate.signature = sign_record(
        session.info[SIGNING_KEY], certificate
    )
    session.add(certificate)
    session.commit()
    return certificate


STATES = (
    "endorsed",
    "in_progress",
    "awaiting_marking",
    "awaiting_release",
    "passed",
    "not_passed",
    "expiring_soon",
    "expired",
    "revoked",
)


def staff_in_state(session, org, employer, state, *, name=None, registration=None):
    """A member of staff endorsed by `org` whose endorsement is in `state` on TODAY."""
    candidate = make_candidate(
        session, org, name=name or f"Staff {state}", registration=registration
    )
    endorsement = endorse(session, candidate, org, employer, at=START - timedelta(days=60))
    if state == "endorsed":
        return endorsement
    if state == "in_progress":
        sitting_for(
            session, endorsement, status="in_progress", started=START - timedelta(minutes=10)
        )
        return endorsement
    sitting = sitting_for(session, endorsement)
    released = sitting.submitted_at + timedelta(days=10)
    if state == "awaiting_marking":
        result_for(session, sitting, status="awaiting_marking")
    elif state == "awaiting_release":
        result_for(session, sitting, passed=True)
    elif state == "not_passed":
        result_for(session, sitting, passed=False, released=released)
    else:
        result = result_for(session, sitting, passed=True, released=released)
        expires = {
            "passed": date(2029, 3, 1),
            "expiring_soon": TODAY + timedelta(days=30),
            "expired": TODAY - timedelta(days=10),
            "revoked": date(2029, 3, 1),
        }[state]
        revoked = START - timedelta(days=2) if state == "revoked" else None
        certificate_for(session, result, candidate, expires_on=expires, revoked_at=revoked)
    return endorsement


def endorsement_of(session, candidate_id):
    return session.query(Endorsement).filter_by(candidate_id=candidate_id).one()
