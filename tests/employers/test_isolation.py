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
    endorsement = staff_in_state(
        session, other_org, other_employer, "endorsed", name="Their Person", registration="SW5005"
    )
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
    response = client.post(
        f"/employer/endorsements/{endorsement.id}/withdraw",
        data={"csrf_token": csrf_token(client, "/employer/staff")},
    )
    assert response.status_code == 404


def password_link(client, endorsement):
    response = client.post(
        f"/employer/staff/{endorsement.id}/password-link",
        data={"csrf_token": csrf_token(client, "/employer/staff")},
    )
    assert response.status_code == 404


def check(client, endorsement):
    response = client.post(
        "/employer/check",
        data={
            "csrf_token": csrf_token(client, "/employer/check"),
            "numbers": "SW5005",
            "format": "csv",
        },
    )
    assert "Their Person" not in page_of(response) and "not one of your organisation's" in page_of(
        response
    )


def endorse(client, endorsement):
    # Endorsing someone another organisation endorsed makes an endorsement of one's own, never
    # touches theirs, and says nothing of them.
    page = page_of(
        post_endorse(
            client,
            name="Their Person",
            email=endorsement.candidate.email,
            registration_number="SW5005",
        )
    )
    assert "Eastvale" not in page


ATTEMPTS = {
    "employers.staff_list": staff_list,
    "employers.staff_csv": staff_csv,
    "employers.staff_member": staff_member,
    "employers.withdraw": withdraw,
    "employers.password_link": password_link,
    "employers.check": check,
    "employers.endorse": endorse,
}


def test_every_employer_route_is_tried_here(app):
    assert {
        rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("employers.")
    } == set(ATTEMPTS)


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
    for path in (
        "/employer/staff",
        "/employer/staff.csv",
        f"/employer/staff/{theirs.id}",
        "/employer/endorse",
        "/employer/check",
    ):
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, "/dashboard")
    for path in (
        f"/employer/endorsements/{theirs.id}/withdraw",
        f"/employer/staff/{theirs.id}/password-link",
        "/employer/check",
        "/employer/endorse",
    ):
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
    app, signed_in, session, org, other_org, other_employer, loaded
):
    before = staff_in_state(
        session, other_org, other_employer, "not_passed", name="Mover", registration="SW6006"
    )
    candidate = session.get(User, before.candidate_id)
    response = post_endorse(
        signed_in, name="Mover", email=candidate.email, registration_number="SW6006"
    )
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


def test_endorsing_someone_elses_account_without_a_password_gives_no_way_into_it(
    signed_in, session, org, other_org, theirs
):
    """The takeover: knowing a person's email, registration number and name, another employer
    endorses them, then asks for a set-password link. The endorsement is made; the link is not."""
    candidate = theirs.candidate
    page = page_of(
        post_endorse(
            signed_in, name="Their Person", email=candidate.email, registration_number="SW5005"
        )
    )
    assert "made by someone else" in page and "set-password" not in page
    session.expire_all()
    assert (
        session.get(User, candidate.id).organisation_id == other_org.id
    )  # the account stays where it was made
    mine = session.scalar(select(Endorsement).where(Endorsement.organisation_id == org.id))
    assert "Make a new set-password link" not in page_of(
        signed_in.get(f"/employer/staff/{mine.id}")
    )
    response = signed_in.post(
        f"/employer/staff/{mine.id}/password-link",
        data={"csrf_token": csrf_token(signed_in, "/employer/staff")},
    )
    assert response.status_code == 302
    assert "only the organisation that made their account" in page_of(
        signed_in.get(response.headers["Location"])
    )
    assert session.scalar(select(func.count()).select_from(PasswordToken)) == 0


def test_no_link_for_an_account_another_organisation_invited_even_if_it_is_moved_here(
    app, signed_in, session, org, other_employer, loaded
):
    other = app.test_client()
    login(other, other_employer.email)
    post_endorse(
        other, name="Invited Elsewhere", email="invited@example.org", registration_number="SW7007"
    )
    candidate = session.scalar(select(User).where(User.email == "invited@example.org"))
    candidate.organisation_id = (
        org.id
    )  # e.g. an admin's correction, while their invitation is outstanding
    session.commit()
    post_endorse(
        signed_in,
        name="Invited Elsewhere",
        email="invited@example.org",
        registration_number="SW7007",
    )
    mine = session.scalar(select(Endorsement).where(Endorsement.organisation_id == org.id))
    tokens = session.scalar(select(func.count()).select_from(PasswordToken))
    response = signed_in.post(
        f"/employer/staff/{mine.id}/password-link",
        data={"csrf_token": csrf_token(signed_in, "/employer/staff")},
    )
    assert "only the organisation that made their account" in page_of(
        signed_in.get(response.headers["Location"])
    )
    assert session.scalar(select(func.count()).select_from(PasswordToken)) == tokens


def test_a_candidate_who_holds_their_account_moves_to_the_employer_that_endorses_them(
    signed_in, session, org, other_org, other_employer, loaded
):
    before = staff_in_state(
        session, other_org, other_employer, "endorsed", name="Has Password", registration="SW8008"
    )
    candidate = session.get(User, before.candidate_id)
    assert candidate.password_hash is not None
    post_endorse(
        signed_in, name="Has Password", email=candidate.email, registration_number="SW8008"
    )
    session.expire_all()
    assert session.get(User, candidate.id).organisation_id == org.id
    mine = session.scalar(select(Endorsement).where(Endorsement.organisation_id == org.id))
    assert "Make a new set-password link" not in page_of(
        signed_in.get(f"/employer/staff/{mine.id}")
    )
