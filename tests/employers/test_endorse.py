"""Endorsing a member of staff: a new one gets an account and a one-time link; an existing
one is matched by registration number and email together; withdrawal before the start."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from naas.employers.links import set_password_link
from naas.employers.sealing import OUTBOX_KEY, opened
from naas.models import AuditEvent, Endorsement, OutboxMessage, PasswordToken, User
from naas.sitting.services import SittingRefused, may_start

from ..helpers import csrf_token, login
from .conftest import START, make_candidate, staff_in_state


def post_endorse(client, **fields):
    data = {
        "name": "Amara Okafor",
        "email": "amara.okafor@westbrook.gov.uk",
        "registration_number": "SW123456",
        "tier": "practitioner",
        "csrf_token": csrf_token(client, "/employer/endorse"),
    }
    data.update(fields)
    return client.post("/employer/endorse", data=data)


def count(session, model):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def nothing_changed(session, before):
    return all(count(session, model) == n for model, n in before.items())


def snapshot(session):
    return {
        model: count(session, model)
        for model in (User, Endorsement, PasswordToken, OutboxMessage, AuditEvent)
    }


def test_the_endorse_page_offers_the_tiers_of_the_loaded_bank(signed_in):
    page = signed_in.get("/employer/endorse").get_data(as_text=True)
    assert (
        'name="tier" value="practitioner"' in page
        and "Approved child and family practitioner" in page
    )


def test_a_new_member_of_staff_gets_an_account_an_endorsement_and_a_link_shown_once(
    signed_in, session, org, employer
):
    response = post_endorse(
        signed_in, email="  Amara.Okafor@Westbrook.gov.uk ", registration_number="sw 123456"
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    link = re.search(r'value="(http://localhost/set-password/[^"]+)"', page).group(1)
    candidate = session.scalar(select(User).where(User.email == "amara.okafor@westbrook.gov.uk"))
    assert candidate.roles == {"candidate"} and candidate.password_hash is None
    assert (
        candidate.profile.registration_number == "SW123456" and candidate.organisation_id == org.id
    )
    endorsement = session.scalar(
        select(Endorsement).where(Endorsement.candidate_id == candidate.id)
    )
    assert (endorsement.tier, endorsement.organisation_id, endorsement.endorsed_by) == (
        "practitioner",
        org.id,
        employer.id,
    )
    assert endorsement.created_at == START
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.to_email == candidate.email))
    assert link not in message.body and "Westbrook Council has endorsed you" in message.body
    assert link in opened(
        session.info[OUTBOX_KEY], message.body
    )  # sealed at rest, opened for the admin
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"account.create", "endorsement.create", "password_link.issue"} <= actions


def test_only_the_links_sha256_is_stored_and_it_is_random(signed_in, session):
    page = post_endorse(signed_in).get_data(as_text=True)
    token = re.search(r"/set-password/([^\"]+)\"", page).group(1)
    stored = session.scalar(select(PasswordToken))
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash and len(token) >= 43
    assert stored.expires_at == START + timedelta(days=7) and stored.used_at is None


def test_the_link_is_built_on_the_public_address_not_the_requests_host(app):
    app.config["NAAS_BASE_URL"] = "https://naas.example.org/service"
    with app.test_request_context("/employer/endorse", base_url="http://evil.example"):
        assert set_password_link("abc") == "https://naas.example.org/service/set-password/abc"


def test_an_existing_candidate_is_linked_when_registration_and_email_both_match(
    signed_in, session, org
):
    existing = make_candidate(
        session,
        org,
        name="Amara Okafor",
        registration="SW123456",
        email="amara.okafor@westbrook.gov.uk",
    )
    before = count(session, User)
    page = post_endorse(signed_in).get_data(as_text=True)
    assert "already had an account" in page and "set-password" not in page
    assert count(session, User) == before and count(session, PasswordToken) == 0
    assert session.scalar(select(Endorsement.candidate_id)) == existing.id


MISMATCH = (
    "The email address and the registration number do not belong to the same candidate's account."
)


@pytest.mark.parametrize(
    "fields",
    [
        {
            "email": "someone.else@westbrook.gov.uk"
        },  # the registration number is on an account with another email
        {
            "registration_number": "SW999"
        },  # the email is on an account with another registration number
        {
            "email": "nobody.yet@westbrook.gov.uk",
            "registration_number": "SW999",
        },  # known number, unknown email
        {"registration_number": "SW31337"},  # known email, unknown number
    ],
)
def test_a_registration_number_and_email_that_do_not_go_together_are_refused_not_linked(
    signed_in, session, org, fields
):
    make_candidate(session, org, registration="SW123456", email="amara.okafor@westbrook.gov.uk")
    make_candidate(session, org, registration="SW999", email="someone.else@westbrook.gov.uk")
    before = snapshot(session)
    response = post_endorse(signed_in, **fields)
    assert response.status_code == 422
    assert MISMATCH in html.unescape(response.get_data(as_text=True))
    assert nothing_changed(session, before)


def refusal_of(response) -> str:
    page = response.get_data(as_text=True)
    return html.unescape(re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0))


def test_every_mismatch_gets_the_same_answer_so_nothing_can_be_probed(
    signed_in, session, org, other_employer
):
    make_candidate(session, org, registration="SW123456", email="amara.okafor@westbrook.gov.uk")
    answers = {
        refusal_of(post_endorse(signed_in, **fields))
        for fields in (
            {
                "email": "amara.okafor@westbrook.gov.uk",
                "registration_number": "SW5",
            },  # email known, number not
            {
                "email": "new.person@westbrook.gov.uk",
                "registration_number": "SW123456",
            },  # number known, email not
            {"email": other_employer.email, "registration_number": "SW6"},  # an employer's email
        )
    }
    assert len(answers) == 1 and MISMATCH in answers.pop()


@pytest.mark.parametrize("typed", ["Amy Okafor", "Someone Else"])
def test_an_existing_candidate_under_another_name_is_flagged_not_linked(
    signed_in, session, org, typed
):
    make_candidate(
        session,
        org,
        name="Amara Okafor",
        registration="SW123456",
        email="amara.okafor@westbrook.gov.uk",
    )
    before = snapshot(session)
    response = post_endorse(signed_in, name=typed)
    assert response.status_code == 422
    assert "belong to an account under a different name" in response.get_data(as_text=True)
    assert "Amara" not in refusal_of(response)
    assert nothing_changed(session, before)


def test_a_name_typed_in_another_case_or_spacing_is_the_same_name(signed_in, session, org):
    existing = make_candidate(
        session,
        org,
        name="Amara Okafor",
        registration="SW123456",
        email="amara.okafor@westbrook.gov.uk",
    )
    assert post_endorse(signed_in, name="  amara   OKAFOR ").status_code == 200
    assert session.scalar(select(Endorsement.candidate_id)) == existing.id


@pytest.mark.parametrize(
    "registration", ["123456", "SW", "SW12A", "SW1234567890", "XY123456", "SW-12"]
)
def test_a_malformed_registration_number_is_refused(signed_in, session, registration):
    before = snapshot(session)
    response = post_endorse(signed_in, registration_number=registration)
    assert response.status_code == 422
    assert "SW followed by up to 9 digits" in response.get_data(as_text=True)
    assert nothing_changed(session, before)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"name": ""}, "Enter their full name."),
        ({"email": ""}, "Enter their email address."),
        ({"email": "not-an-email"}, "is not an email address"),
        ({"tier": ""}, "Choose the tier"),
        ({"tier": "wizard"}, "Choose the tier"),
    ],
)
def test_missing_or_bad_fields_are_refused_with_a_message(signed_in, session, fields, message):
    before = snapshot(session)
    response = post_endorse(signed_in, **fields)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert 'class="error-summary"' in response.get_data(as_text=True)
    assert nothing_changed(session, before)


def test_endorsing_needs_a_csrf_token(signed_in, session):
    response = signed_in.post(
        "/employer/endorse",
        data={
            "name": "A",
            "email": "a@example.org",
            "registration_number": "SW1",
            "tier": "practitioner",
        },
    )
    assert response.status_code == 400 and count(session, Endorsement) == 0


def test_a_duplicate_endorsement_for_the_same_tier_and_organisation_is_refused(signed_in, session):
    assert post_endorse(signed_in).status_code == 200
    before = snapshot(session)
    response = post_endorse(signed_in)
    assert response.status_code == 422
    assert "already has an endorsement for this tier from Westbrook Council" in response.get_data(
        as_text=True
    )
    assert nothing_changed(session, before)


@pytest.mark.parametrize(
    "state", ["in_progress", "awaiting_marking", "awaiting_release", "not_passed", "passed"]
)
def test_an_endorsement_still_in_use_blocks_another(signed_in, session, org, employer, state):
    endorsement = staff_in_state(session, org, employer, state, registration="SW123456")
    candidate = session.get(User, endorsement.candidate_id)
    response = post_endorse(signed_in, name=candidate.name, email=candidate.email)
    assert response.status_code == 422 and "still in use" in response.get_data(as_text=True)


@pytest.mark.parametrize("state", ["expiring_soon", "expired", "revoked"])
def test_staff_may_be_endorsed_again_once_their_accreditation_is_ending(
    signed_in, session, org, employer, state
):
    endorsement = staff_in_state(session, org, employer, state, registration="SW123456")
    candidate = session.get(User, endorsement.candidate_id)
    assert post_endorse(signed_in, name=candidate.name, email=candidate.email).status_code == 200
    assert count(session, Endorsement) == 2


def test_a_withdrawn_endorsement_does_not_block_a_new_one(signed_in, session, org, employer):
    endorsement = staff_in_state(session, org, employer, "endorsed", registration="SW123456")
    endorsement.withdrawn_at = START - timedelta(days=1)
    session.commit()
    candidate = session.get(User, endorsement.candidate_id)
    assert post_endorse(signed_in, name=candidate.name, email=candidate.email).status_code == 200


def test_the_same_person_may_be_endorsed_for_another_tier(app, signed_in, session, org):
    from naas.models import TierVersion

    practitioner = session.scalar(select(TierVersion))
    session.add(
        TierVersion(
            tier="supervisor",
            content_hash="s" * 64,
            spec={**practitioner.spec, "id": "supervisor", "title": "Practice supervisor"},
        )
    )
    session.commit()
    assert post_endorse(signed_in).status_code == 200
    assert post_endorse(signed_in, tier="supervisor").status_code == 200
    assert sorted(session.scalars(select(Endorsement.tier))) == ["practitioner", "supervisor"]


def test_an_employer_cannot_endorse_themselves(client, session, org, clock, loaded):
    both = make_candidate(session, org, registration="SW4242", email="manager@westbrook.gov.uk")
    both.role_rows.append(type(both.role_rows[0])(role="employer"))
    session.commit()
    login(client, both.email)
    response = post_endorse(client, email=both.email, registration_number="SW4242")
    assert response.status_code == 422 and "cannot endorse yourself" in response.get_data(
        as_text=True
    )


def test_an_endorsed_new_candidate_sees_the_endorsement_and_may_start(signed_in, session):
    post_endorse(signed_in)
    candidate = session.scalar(select(User).where(User.email == "amara.okafor@westbrook.gov.uk"))
    endorsement = session.scalar(select(Endorsement))
    may_start(session, candidate, endorsement, START)  # raises if the gate is shut


# -- withdrawal -----------------------------------------------------------------------------
def withdraw(client, endorsement_id):
    return client.post(
        f"/employer/endorsements/{endorsement_id}/withdraw",
        data={"csrf_token": csrf_token(client, "/employer/staff")},
    )


def test_an_endorsement_can_be_withdrawn_before_the_test_starts(signed_in, session, org, employer):
    endorsement = staff_in_state(session, org, employer, "endorsed")
    response = withdraw(signed_in, endorsement.id)
    assert response.status_code == 302 and response.headers["Location"].endswith("/employer/staff")
    session.expire_all()
    endorsement = session.get(Endorsement, endorsement.id)
    assert endorsement.withdrawn_at == START and endorsement.withdrawn_by == employer.id
    assert (
        session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1))
        == "endorsement.withdraw"
    )
    with pytest.raises(SittingRefused):
        may_start(session, session.get(User, endorsement.candidate_id), endorsement, START)
    assert ">Staff endorsed</a>" not in signed_in.get("/employer/staff").get_data(as_text=True)


def test_an_endorsement_cannot_be_withdrawn_once_the_test_has_started(
    signed_in, session, org, employer
):
    endorsement = staff_in_state(session, org, employer, "in_progress")
    before = snapshot(session)
    response = withdraw(signed_in, endorsement.id)
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "the test has already been started" in page
    session.expire_all()
    assert session.get(Endorsement, endorsement.id).withdrawn_at is None
    assert nothing_changed(session, before)


def test_withdrawing_twice_is_refused_and_changes_nothing(signed_in, session, org, employer):
    endorsement = staff_in_state(session, org, employer, "endorsed")
    withdraw(signed_in, endorsement.id)
    before = snapshot(session)
    response = withdraw(signed_in, endorsement.id)
    assert "already withdrawn" in signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert nothing_changed(session, before)


def test_withdrawing_needs_a_csrf_token(signed_in, session, org, employer):
    endorsement = staff_in_state(session, org, employer, "endorsed")
    assert signed_in.post(f"/employer/endorsements/{endorsement.id}/withdraw").status_code == 400
    session.expire_all()
    assert session.get(Endorsement, endorsement.id).withdrawn_at is None


# -- a fresh link for someone who has not set a password -------------------------------------
def test_a_new_link_replaces_the_first_for_staff_without_a_password(signed_in, session):
    first = re.search(
        r"/set-password/([^\"]+)\"", post_endorse(signed_in).get_data(as_text=True)
    ).group(1)
    endorsement = session.scalar(select(Endorsement))
    page = signed_in.post(
        f"/employer/staff/{endorsement.id}/password-link",
        data={"csrf_token": csrf_token(signed_in, "/employer/staff")},
    ).get_data(as_text=True)
    second = re.search(r"/set-password/([^\"]+)\"", page).group(1)
    assert second != first
    assert signed_in.get(f"/set-password/{first}").status_code == 404
    assert signed_in.get(f"/set-password/{second}").status_code == 200
    assert count(session, OutboxMessage) == 2


def test_no_new_link_for_staff_who_have_set_a_password(signed_in, session, org, employer):
    endorsement = staff_in_state(session, org, employer, "endorsed")
    before = snapshot(session)
    response = signed_in.post(
        f"/employer/staff/{endorsement.id}/password-link",
        data={"csrf_token": csrf_token(signed_in, "/employer/staff")},
    )
    assert "has already set a password" in signed_in.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert nothing_changed(session, before)


def test_only_the_current_employer_can_make_a_new_link(
    signed_in, session, org, other_org, employer
):
    post_endorse(signed_in)
    candidate = session.scalar(select(User).where(User.email == "amara.okafor@westbrook.gov.uk"))
    candidate.organisation_id = other_org.id  # they have moved on
    session.commit()
    endorsement = session.scalar(select(Endorsement))
    before = snapshot(session)
    response = signed_in.post(
        f"/employer/staff/{endorsement.id}/password-link",
        data={"csrf_token": csrf_token(signed_in, "/employer/staff")},
    )
    assert "only the organisation that made their account" in signed_in.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    assert nothing_changed(session, before)


def test_a_passed_candidate_endorsed_again_later_may_start_again(signed_in, session, org, employer):
    endorsement = staff_in_state(session, org, employer, "expiring_soon", registration="SW123456")
    candidate = session.get(User, endorsement.candidate_id)
    assert post_endorse(signed_in, name=candidate.name, email=candidate.email).status_code == 200
    fresh = session.scalar(select(Endorsement).order_by(Endorsement.id.desc()).limit(1))
    may_start(session, candidate, fresh, START)
