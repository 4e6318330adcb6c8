"""The candidate's equality-monitoring questions: optional, consented, changeable and
withdrawable; a forged answer or an answer without consent is refused and nothing is stored."""

from __future__ import annotations

import json

from sqlalchemy import select

from naas.equality import services
from naas.equality.questions import BY_NAME, QUESTIONS
from naas.models import AuditEvent, Endorsement, EqualityResponse

from ..helpers import csrf_token
from .conftest import ANSWERS, NOW

URL = "/equality/"


def post(client, data, url=URL):
    return client.post(url, data={"csrf_token": csrf_token(client, URL), **data})


def stored(session, candidate):
    session.expire_all()
    return session.scalar(
        select(EqualityResponse).where(EqualityResponse.candidate_id == candidate.id)
    )


def test_the_ethnic_group_question_lists_the_19_census_categories_under_five_headings():
    question = BY_NAME["ethnic_group"]
    assert len(question.choices) == 20  # 19 categories and "prefer not to say"
    assert [heading for heading, _ in question.groups] == [
        "Asian or Asian British",
        "Black, Black British, Caribbean or African",
        "Mixed or Multiple ethnic groups",
        "White",
        "Other ethnic group",
    ]
    assert sum(len(codes) for _, codes in question.groups) == 19


def test_every_question_offers_prefer_not_to_say():
    assert all(q.choices[-1] == ("prefer-not", "Prefer not to say") for q in QUESTIONS)


def test_the_page_asks_each_question_in_a_fieldset_and_explains_why_and_who_sees(signed_in):
    page = signed_in.get(URL).get_data(as_text=True)
    for question in QUESTIONS:
        assert f'<legend class="label">{question.legend}</legend>' in page
    assert page.count('value="prefer-not"') == len(QUESTIONS)
    assert (
        "Why we ask" in page
        and "Assessors, moderators, your employer and other candidates never see them" in page
    )
    assert (
        'type="checkbox" id="consent"' in page
        and "checked" not in page.split('id="consent"')[1][:30]
    )


def test_answers_with_consent_are_stored_and_the_audit_record_holds_none_of_them(
    signed_in, session, candidate
):
    response = post(signed_in, {**ANSWERS, "consent": "y"})
    assert response.status_code == 302
    record = stored(session, candidate)
    assert {name: getattr(record, name) for name in ANSWERS} == ANSWERS
    assert record.consent_at is not None and record.withdrawn_at is None
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "equality.consent_given"))
    assert event.subject_id == str(candidate.id)
    everything = json.dumps(
        [[e.action, e.subject_id, e.data] for e in session.scalars(select(AuditEvent))]
    )
    assert not any(code in everything for code in ANSWERS.values() if code not in ("yes",))
    assert '"yes"' not in everything


def test_questions_may_be_left_unanswered(signed_in, session, candidate):
    assert post(signed_in, {"sex": "prefer-not", "consent": "y"}).status_code == 302
    record = stored(session, candidate)
    assert record.sex == "prefer-not" and record.ethnic_group is None and record.disability is None


def test_answers_without_consent_are_refused_and_nothing_is_stored(signed_in, session, candidate):
    response = post(signed_in, ANSWERS)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "Without your agreement nothing is stored" in page
    assert "<title>Error:" in page
    assert stored(session, candidate) is None


def test_a_forged_answer_is_refused_with_a_clear_message_and_nothing_is_stored(
    signed_in, session, candidate
):
    response = post(signed_in, {**ANSWERS, "ethnic_group": "martian", "consent": "y"})
    assert response.status_code == 422
    assert "Choose one of the answers listed for “What is your ethnic group?”" in response.get_data(
        as_text=True
    )
    assert stored(session, candidate) is None


def test_the_service_refuses_a_forged_answer_an_unknown_question_and_no_consent(session, candidate):
    for answers, consent, problem in (
        ({"sex": "robot"}, True, "sex"),
        ({"religion": "none"}, True, "form"),
        ({"sex": ["female"]}, True, "sex"),
        ({"sex": "female"}, False, "consent"),
    ):
        try:
            services.save_answers(session, candidate, answers, consent, NOW)
        except services.EqualityRefused as exc:
            assert problem in exc.problems
        else:
            raise AssertionError(f"{answers} was accepted")
    session.rollback()
    assert stored(session, candidate) is None


def test_answers_can_be_changed_and_the_change_is_audited(signed_in, session, candidate):
    post(signed_in, {**ANSWERS, "consent": "y"})
    page = signed_in.get(URL).get_data(as_text=True)
    assert 'value="youth-justice" checked' in page  # the current answers are shown
    assert (
        post(signed_in, {**ANSWERS, "practice_setting": "agency", "consent": "y"}).status_code
        == 302
    )
    assert stored(session, candidate).practice_setting == "agency"
    assert (
        session.scalar(select(AuditEvent).where(AuditEvent.action == "equality.answers_changed"))
        is not None
    )


def test_a_change_still_needs_consent_and_keeps_the_old_answers_when_refused(
    signed_in, session, candidate
):
    post(signed_in, {**ANSWERS, "consent": "y"})
    assert post(signed_in, {**ANSWERS, "practice_setting": "agency"}).status_code == 422
    assert stored(session, candidate).practice_setting == "youth-justice"


def test_withdrawing_consent_clears_every_answer_and_is_audited(signed_in, session, candidate):
    post(signed_in, {**ANSWERS, "consent": "y"})
    response = signed_in.post("/equality/withdraw", data={"csrf_token": csrf_token(signed_in, URL)})
    assert response.status_code == 302
    record = stored(session, candidate)
    assert all(getattr(record, q.name) is None for q in QUESTIONS)
    assert record.consent_at is None and record.withdrawn_at is not None
    assert (
        session.scalar(select(AuditEvent).where(AuditEvent.action == "equality.consent_withdrawn"))
        is not None
    )
    assert services.answers_by_candidate(session, [candidate.id]) == {}
    page = signed_in.get(URL).get_data(as_text=True)
    assert "You withdrew your consent" in page and " checked" not in page


def test_withdrawing_with_nothing_stored_changes_nothing(signed_in, session, candidate):
    response = signed_in.post(
        "/equality/withdraw", data={"csrf_token": csrf_token(signed_in, URL)}, follow_redirects=True
    )
    assert "there was nothing to withdraw" in response.get_data(as_text=True)
    assert stored(session, candidate) is None


def test_posts_without_a_csrf_token_are_refused(signed_in, session, candidate):
    assert signed_in.post(URL, data={**ANSWERS, "consent": "y"}).status_code == 400
    assert signed_in.post("/equality/withdraw", data={}).status_code == 400
    assert stored(session, candidate) is None


def test_the_dashboard_and_the_account_page_link_to_the_questions(signed_in):
    assert 'href="/equality/"' in signed_in.get("/dashboard").get_data(as_text=True)
    assert 'href="/equality/"' in signed_in.get("/account").get_data(as_text=True)


def test_before_a_sitting_the_candidate_is_invited_but_not_blocked(
    signed_in, session, candidate, clock
):
    endorsement = session.scalar(
        select(Endorsement).where(Endorsement.candidate_id == candidate.id)
    )
    start = f"/sittings/start/{endorsement.id}"
    page = signed_in.get(start).get_data(as_text=True)
    assert f'href="/equality/?next={start}"' in page
    assert "Start the test now" in page
    started = signed_in.post(start, data={"csrf_token": csrf_token(signed_in, start)})
    assert started.status_code == 302 and "/stages/0" in started.headers["Location"]
    assert stored(session, candidate) is None


def test_after_answering_the_candidate_returns_to_the_start_and_is_not_invited_again(
    signed_in, session, candidate, clock
):
    endorsement = session.scalar(
        select(Endorsement).where(Endorsement.candidate_id == candidate.id)
    )
    start = f"/sittings/start/{endorsement.id}"
    response = post(
        signed_in, {**ANSWERS, "consent": "y", "next": start}, url=f"{URL}?next={start}"
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(start)
    assert "equality-monitoring questions" not in signed_in.get(start).get_data(as_text=True)


def test_a_return_address_off_the_site_is_ignored(signed_in):
    response = post(
        signed_in, {"consent": "y", "next": "//evil.example/"}, url=f"{URL}?next=//evil.example/"
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/equality/")
