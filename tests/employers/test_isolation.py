"""An employer sees only their own organisation: every employer route, tried by another
organisation's employer, refuses. A candidate who moves is endorsed by the new employer;
their history stays with them, not with either employer."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from naas.models import Endorsement, PasswordToken, User
from naas.sitting.services import SittingRefused, may_start

from ..helpers import csrf_token, login, make_user
from .conftest import START, staff_in_state
from .test_endorse import post_endorse


@pytest.fixture
def theirs(session, other_org, other_employer, loaded):
    """Another organisation's member of staff, endorsed, with no password yet."""
    endorsement = staff_in_state(session, other_org, other_employer, "endorsed", name="Their Person",
                                 registration="SW5005")
    endorsement.candidate.password_hash = None
    session.commit()
    return endorsement


def page_of(response):
    return response.get_data(as_text=True)


# Each employer route, as another organisation's employer tries it: it must refuse or show nothing.
def staff_list(client, endorsement):
    assert "Their Person" not in page_of(client.get("/employer/staff"))


def staff_csv(client, endorsement):
    assert "Their Person" not in page_of(client.get("/employer/staff.csv"))


def staff_member(client, endorsement):
    assert client.get(f"/employer/staff/{endorsement.id}").status_code == 404


def withdraw(client, endorsement):
    response = client.post(f"/employer/endorsements/{endorsement.id}/withdraw",
                           data={"csrf_token": csrf_token(client, "/employer/staff")})
    assert response.status_code == 404


def password_link(client, endorsement):
    response = client.post(f"/employer/staff/{endorsement.id}/password-link",
                           data={"csrf_token": csrf_token(client, "/employer/staff")})
    assert response.status_code == 404


def check(client, endorsement):
    response = client.post("/employer/check", data={"csrf_token": csrf_token(client, "/employer/check"),
                                                    "numbers": "SW5005", "format": "csv"})
    assert "Their Person" not in page_of(response) and "not one of your organisation's" in page_of(response)


def endorse(client, endorsement):
    # Endorsing someone another organisation endorsed makes an endorsement of one's own, never
    # touches theirs, and says nothing of them.
    page = page_of(post_endorse(client, name="Their Person", email=endorsement.candidate.email,
                                registration_number="SW5005"))
    assert "Eastvale" not in page


ATTEMPTS = {
    "employers.staff_list": staff_list, "employers.staff_csv": staff_csv, "employers.staff_member": staff_member,
    "employers.withdraw": withdraw, "employers.password_link": password_link, "employers.check": check,
    "employers.endorse": endorse,
}


def test_every_employer_route_is_tried_here(app):
    assert {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("employers.")} == set(
        ATTEMPTS)


@pytest.mark.parametrize("endpoint", sorted(ATTEMPTS))
def test_another_organisations_employer_is_refused(signed_in, session, theirs, endpoint):
    ATTEMPTS[endpoint](signed_in, theirs)
    session.expire_all()
    mine = session.get(Endorsement, theirs.id)
    assert mine.withdrawn_at is None and mine.organisation_id == theirs.organisation_id
    assert session.scalar(select(func.count()).select_from(PasswordToken)) == 0


@pytest.mark.parametrize("role", ["candidate", "assessor", "moderator", "admin"])
def test_employer_pages_are_for_employers_only(client, session, role, theirs):
    user = make_user(session, role)
    login(client, user.email)
    for path in ("/employer/staff", "/employer/staff.csv", f"/employer/staff/{theirs.id}", "/employer/endorse",
                 "/employer/check"):
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, "/dashboard")
    for path in (f"/employer/endorsements/{theirs.id}/withdraw", f"/employer/staff/{theirs.id}/password-link",
                 "/employer/check", "/employer/endorse"):
        assert client.post(path, data={"csrf_token": token}).status_code == 403, path


def test_employer_pages_send_a_signed_out_visitor_to_sign_in(client, theirs):
    assert client.get("/employer/staff").headers["Location"].startswith("/login")


def test_an_employer_account_without_an_organisation_is_refused(client, session, theirs):
    stray = make_user(session, "employer")
    stray.organisation_id = None
    session.commit()
    login(client, stray.email)
    assert client.get("/employer/staff").status_code == 403


# -- a candidate who moves employer ----------------------------------------------------------
def test_a_candidate_who_moves_is_endorsed_by_the_new_employer_and_keeps_their_history(
        app, signed_in, session, org, other_org, other_employer, loaded):
    before = staff_in_state(session, other_org, other_employer, "not_passed", name="Mover", registration="SW6006")
    candidate = session.get(User, before.candidate_id)
    response = post_endorse(signed_in, name="Mover", email=candidate.email, registration_number="SW6006")
    assert response.status_code == 200  # the old employer's endorsement does not block the new one
    session.expire_all()
    assert candidate.organisation_id == org.id
    new = session.scalar(select(Endorsement).where(Endorsement.organisation_id == org.id))
    # the new employer sees their own endorsement, without the sitting taken under the old one
    page = page_of(signed_in.get(f"/employer/staff/{new.id}"))
    assert "Endorsed" in page and "No test has been started under this endorsement" in page
    # the old employer still sees the endorsement it made, and not the new one
    old = app.test_client()
    login(old, other_employer.email)
    rows = page_of(old.get("/employer/staff.csv"))
    assert rows.count("Mover") == 1 and "Not passed" in rows
    # the history stays with the candidate: the resit wait from the old sitting still applies
    with pytest.raises(SittingRefused, match="You can take this test again from 21 April 2026"):
        may_start(session, candidate, new, START)
