"""A candidate's sitting through the test client: start, stages, saves, the clock, submission."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from naas.models import Response, ResponseStep, Result, Sitting, TestForm
from naas.sitting import services
from naas.sitting.services import SittingRefused

from ..helpers import csrf_token, login, make_org, make_user
from .conftest import START, autosave, endorse, page_items, start


def stored(session, sitting_id):
    session.expire_all()
    return {
        r.form_item_id: r
        for r in session.scalars(select(Response).where(Response.sitting_id == sitting_id))
    }


def test_starting_assembles_a_form_and_sets_the_servers_deadline(signed_in, session, endorsement):
    sitting_id = start(signed_in, endorsement)
    sitting = session.get(Sitting, sitting_id)
    assert sitting.started_at == START
    assert sitting.deadline == START + timedelta(minutes=60)
    assert sitting.form.total_marks == 20 and sitting.form.stage_count == 4
    assert len(stored(session, sitting_id)) == 8


def test_extra_time_recorded_on_the_profile_applies_to_the_deadline(
    signed_in, session, candidate, endorsement
):
    candidate.profile.extra_time_percent = 25
    session.commit()
    sitting = session.get(Sitting, start(signed_in, endorsement))
    assert sitting.deadline == START + timedelta(minutes=75)
    assert sitting.extra_time_percent == 25


def test_the_start_page_states_the_time_with_extra_time(signed_in, session, candidate, endorsement):
    candidate.profile.extra_time_percent = 25
    session.commit()
    page = signed_in.get(f"/sittings/start/{endorsement.id}").get_data(as_text=True)
    assert "60 minutes" in page and "75 minutes" in page


def test_a_stage_page_shows_narrative_questions_progress_and_time(signed_in, endorsement):
    sitting_id = start(signed_in, endorsement)
    items, html = page_items(signed_in, sitting_id, 0)
    assert "The school rings." in html
    assert [t for t, _ in items.values()] == ["single", "multiple", "ranking"]
    assert "Page 1 of 4" in html and 'id="time-left">1 h 0 min<' in html


def test_page_post_saves_every_answer_and_continue_locks_the_stage(signed_in, session, endorsement):
    sitting_id = start(signed_in, endorsement)
    items, _ = page_items(signed_in, sitting_id, 0)
    single, multiple, ranking = items
    data = {
        "csrf_token": csrf_token(signed_in, "/dashboard"),
        "action": "continue",
        f"q{single}": "a",
        f"q{multiple}": ["a", "b"],
        f"seq{single}": "1",
        f"seq{multiple}": "1",
        f"seq{ranking}": "1",
        f"q{ranking}.a": "2",
        f"q{ranking}.b": "1",
        f"q{ranking}.c": "3",
    }
    response = signed_in.post(f"/sittings/{sitting_id}/stages/0", data=data)
    assert response.headers["Location"].endswith(f"/sittings/{sitting_id}/stages/1")
    saved = stored(session, sitting_id)
    assert saved[single].answer == "a" and saved[multiple].answer == ["a", "b"]
    assert saved[ranking].answer == {"a": 2, "b": 1, "c": 3}
    # the locked stage cannot be changed, by page or by autosave
    data.update({f"q{single}": "b", f"seq{single}": "5", "action": "save"})
    signed_in.post(f"/sittings/{sitting_id}/stages/0", data=data)
    reply = autosave(signed_in, sitting_id, single, "b", 9)
    assert reply.status_code == 423 and reply.get_json()["error"] == "locked"
    assert stored(session, sitting_id)[single].answer == "a"


def test_a_later_stage_cannot_be_reached_by_its_address(signed_in, endorsement):
    sitting_id = start(signed_in, endorsement)
    response = signed_in.get(f"/sittings/{sitting_id}/stages/3")
    assert response.headers["Location"].endswith(f"/sittings/{sitting_id}/stages/0")


def test_autosave_is_idempotent_and_never_lets_a_stale_save_win(signed_in, session, endorsement):
    sitting_id = start(signed_in, endorsement)
    items, _ = page_items(signed_in, sitting_id, 0)
    single = next(iter(items))
    token = csrf_token(signed_in, "/dashboard")
    first = autosave(signed_in, sitting_id, single, "b", 3, token)
    assert first.status_code == 200 and first.get_json()["status"] == "saved"
    replay = autosave(signed_in, sitting_id, single, "b", 3, token)
    assert replay.status_code == 200 and replay.get_json()["status"] == "unchanged"
    stale = autosave(signed_in, sitting_id, single, "c", 2, token)
    assert stale.status_code == 409 and "newer answer" in stale.get_json()["message"]
    same_seq_other_answer = autosave(signed_in, sitting_id, single, "c", 3, token)
    assert same_seq_other_answer.status_code == 409
    newer = autosave(signed_in, sitting_id, single, "a", 4, token)
    assert newer.get_json()["status"] == "saved"
    response = stored(session, sitting_id)[single]
    assert (response.answer, response.client_seq) == ("a", 4)
    history = session.scalars(
        select(ResponseStep.answer)
        .where(ResponseStep.response_id == response.id)
        .order_by(ResponseStep.id)
    ).all()
    assert history == ["b", "a"]  # a step only for a real change


def test_saving_the_same_answer_again_moves_the_sequence_on_without_a_history_step(
    signed_in, session, endorsement
):
    sitting_id = start(signed_in, endorsement)
    single = next(iter(page_items(signed_in, sitting_id, 0)[0]))
    token = csrf_token(signed_in, "/dashboard")
    for seq, answer in ((1, "b"), (2, "b"), (3, "c"), (4, "c"), (5, "b")):
        assert (
            autosave(signed_in, sitting_id, single, answer, seq, token).get_json()["status"]
            == "saved"
        )
    response = stored(session, sitting_id)[single]
    assert (response.answer, response.client_seq) == ("b", 5)
    history = session.scalars(
        select(ResponseStep.client_seq)
        .where(ResponseStep.response_id == response.id)
        .order_by(ResponseStep.id)
    ).all()
    assert history == [1, 3, 5]


def test_a_response_read_earlier_in_the_same_session_is_read_afresh_after_a_save(
    signed_in, session, endorsement
):
    sitting_id = start(signed_in, endorsement)
    sitting = session.get(Sitting, sitting_id)
    entry = services.load_form(session, sitting.form).page_items(0)[0]
    assert services.responses_of(session, sitting)[entry.form_item.id].answer is None
    sitting, entry = services.load_for_save(
        session, sitting_id, sitting.candidate_id, entry.form_item.id
    )
    services.save_answer(
        session, sitting, entry, "b", 1, START + timedelta(minutes=1), source="page"
    )
    assert services.responses_of(session, sitting)[entry.form_item.id].answer == "b"


def test_autosave_refuses_bad_input_clearly(signed_in, endorsement):
    sitting_id = start(signed_in, endorsement)
    items, _ = page_items(signed_in, sitting_id, 0)
    single, multiple, _ranking = items
    token = csrf_token(signed_in, "/dashboard")
    assert autosave(signed_in, sitting_id, single, "zz", 1, token).status_code == 422
    assert (
        autosave(signed_in, sitting_id, multiple, ["a", "b", "c"], 1, token)
        .get_json()["message"]
        .endswith("choose at most 2 options")
    )
    assert autosave(signed_in, sitting_id, single, "a", 0, token).status_code == 422
    assert (
        autosave(signed_in, sitting_id, 999999, "a", 1, token).get_json()["message"]
        == "There is no such question in this test."
    )
    not_understood = signed_in.post(
        f"/sittings/{sitting_id}/answers",
        data="{not json",
        headers={"Content-Type": "application/json", "X-CSRFToken": token},
    )
    assert not_understood.status_code == 400 and not_understood.get_json()["error"] == "invalid"
    for item in (None, "1", True, 1.0):
        reply = autosave(signed_in, sitting_id, item, "a", 1, token)
        assert reply.status_code == 400 and reply.get_json()["error"] == "invalid", item
    no_csrf = signed_in.post(
        f"/sittings/{sitting_id}/answers", json={"item": single, "answer": "a", "seq": 1}
    )
    assert no_csrf.status_code == 400


def test_a_later_stage_item_cannot_be_saved_before_it_is_reached(signed_in, endorsement):
    sitting_id = start(signed_in, endorsement)
    items, html = page_items(signed_in, sitting_id, 0)
    later = max(items) + 1  # the first item of the next page
    reply = autosave(signed_in, sitting_id, later, "text", 1)
    assert reply.status_code == 423 and reply.get_json()["error"] == "not_reached"


def test_another_candidates_sitting_does_not_exist_for_them(
    signed_in, session, org, employer, client, app, endorsement
):
    other = make_user(session, "candidate", org=org)
    other_endorsement = endorse(session, other, org, employer)
    other_client = app.test_client()
    login(other_client, other.email)
    sitting_id = start(other_client, other_endorsement)
    for path in (
        f"/sittings/{sitting_id}",
        f"/sittings/{sitting_id}/stages/0",
        f"/sittings/{sitting_id}/review",
        f"/sittings/{sitting_id}/submitted",
        f"/sittings/{sitting_id}/result",
        f"/sittings/start/{other_endorsement.id}",
    ):
        assert signed_in.get(path).status_code == 404, path
    items, _ = page_items(other_client, sitting_id, 0)
    their_item = next(iter(items))
    for item in (their_item, "not an item"):
        reply = autosave(signed_in, sitting_id, item, "a", 1)
        assert (reply.status_code, reply.get_json()["message"]) == (
            404,
            "There is no such test.",
        ), item
    own_sitting = start(signed_in, endorsement)
    reply = autosave(signed_in, own_sitting, their_item, "a", 1)  # their question, in my test
    assert (reply.status_code, reply.get_json()["message"]) == (
        404,
        "There is no such question in this test.",
    )
    assert stored(session, sitting_id)[their_item].answer is None


def test_only_an_endorsed_candidate_can_start(signed_in, session, endorsement):
    endorsement.withdrawn_at = START
    session.commit()
    token = csrf_token(signed_in, "/dashboard")
    response = signed_in.post(f"/sittings/start/{endorsement.id}", data={"csrf_token": token})
    assert response.status_code == 302
    assert session.scalars(select(Sitting)).all() == []


def test_one_open_sitting_per_candidate(signed_in, session, candidate, org, employer, endorsement):
    start(signed_in, endorsement)
    second = endorse(session, candidate, org, employer, tier="practitioner")
    token = csrf_token(signed_in, "/dashboard")
    signed_in.post(f"/sittings/start/{second.id}", data={"csrf_token": token})
    assert len(session.scalars(select(Sitting)).all()) == 1


def test_a_returning_candidate_resumes_where_they_were_with_every_answer(
    signed_in, session, endorsement, app, candidate
):
    sitting_id = start(signed_in, endorsement)
    items, _ = page_items(signed_in, sitting_id, 0)
    single = next(iter(items))
    autosave(signed_in, sitting_id, single, "a", 1)
    signed_in.post("/logout", data={"csrf_token": csrf_token(signed_in, "/dashboard")})
    other_device = app.test_client()
    login(other_device, candidate.email)
    response = other_device.get(f"/sittings/{sitting_id}")
    assert response.headers["Location"].endswith(f"/sittings/{sitting_id}/stages/0")
    html = other_device.get(f"/sittings/{sitting_id}/stages/0").get_data(as_text=True)
    assert f'id="q{single}-a" name="q{single}" value="a" checked' in html
    assert "Continue your test" in other_device.get("/dashboard").get_data(as_text=True)


def test_after_the_deadline_saves_are_refused_and_the_sitting_is_submitted(
    signed_in, session, endorsement, clock
):
    sitting_id = start(signed_in, endorsement)
    items, _ = page_items(signed_in, sitting_id, 0)
    single = next(iter(items))
    token = csrf_token(signed_in, "/dashboard")
    assert autosave(signed_in, sitting_id, single, "a", 1, token).status_code == 200
    clock.advance(minutes=60)
    late = autosave(signed_in, sitting_id, single, "b", 2, token)
    assert late.status_code == 410 and "no longer accepted" in late.get_json()["message"]
    session.expire_all()
    sitting = session.get(Sitting, sitting_id)
    assert sitting.status == "submitted" and sitting.submitted_by == "deadline"
    assert sitting.submitted_at == sitting.deadline
    assert stored(session, sitting_id)[single].answer == "a"


def test_a_sitting_expires_while_the_candidate_is_away(
    signed_in, session, endorsement, clock, runner
):
    sitting_id = start(signed_in, endorsement)
    clock.advance(hours=3)
    page = signed_in.get("/dashboard", follow_redirects=True).get_data(as_text=True)
    assert "awaiting" in page
    session.expire_all()
    assert session.get(Sitting, sitting_id).status == "submitted"


def test_the_expire_command_submits_overdue_sittings(signed_in, session, endorsement, runner, app):
    sitting_id = start(signed_in, endorsement)
    app.config["NAAS_CLOCK"] = None
    session.get(Sitting, sitting_id).deadline = START - timedelta(seconds=1)
    session.commit()
    result = runner.invoke(args=["sittings", "expire"])
    assert "Submitted 1 sitting(s)" in result.output
    session.expire_all()
    assert session.get(Sitting, sitting_id).submitted_by == "deadline"


def test_submitting_early_asks_for_confirmation_and_lists_unanswered_items(
    signed_in, session, endorsement
):
    sitting_id = start(signed_in, endorsement)
    items, _ = page_items(signed_in, sitting_id, 0)
    autosave(signed_in, sitting_id, next(iter(items)), "a", 1)
    review = signed_in.get(f"/sittings/{sitting_id}/review").get_data(as_text=True)
    assert "7 questions not answered" in review
    token = csrf_token(signed_in, "/dashboard")
    signed_in.post(f"/sittings/{sitting_id}/submit", data={"csrf_token": token})
    assert session.get(Sitting, sitting_id).status == "in_progress"  # not confirmed
    signed_in.post(f"/sittings/{sitting_id}/submit", data={"csrf_token": token, "confirm": "yes"})
    session.expire_all()
    sitting = session.get(Sitting, sitting_id)
    assert sitting.status == "submitted" and sitting.submitted_by == "candidate"


def complete_sitting(client, sitting_id, right: bool, written: str = ""):
    """Answer every stage (all right or all wrong), then submit."""
    token = csrf_token(client, "/dashboard")
    for page in range(4):
        items, _ = page_items(client, sitting_id, page)
        data = {"csrf_token": token, "action": "continue" if page < 3 else "review"}
        for qid, (kind, _options) in items.items():
            data[f"seq{qid}"] = "1"
            if kind == "single":
                data[f"q{qid}"] = "a" if right else "b"
            elif kind == "multiple":
                data[f"q{qid}"] = ["a", "b"] if right else ["c", "d"]
            elif kind == "ranking":
                order = ["b", "a", "c"] if right else ["c", "a", "b"]
                data.update({f"q{qid}.{label}": str(order.index(label) + 1) for label in "abc"})
            else:
                data[f"q{qid}"] = written
        response = client.post(f"/sittings/{sitting_id}/stages/{page}", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)
    client.post(f"/sittings/{sitting_id}/submit", data={"csrf_token": token, "confirm": "yes"})


def test_objective_items_are_scored_at_submission_and_hidden_until_release(
    signed_in, session, endorsement, runner, app
):
    sitting_id = start(signed_in, endorsement)
    complete_sitting(signed_in, sitting_id, right=True)
    result = session.scalar(select(Result).where(Result.sitting_id == sitting_id))
    # both written answers left blank score 0, so nothing waits for marking
    assert result.status == "final" and result.total == 10 and result.max_marks == 20
    assert result.passed is False  # 50% < 60%
    assert result.cut_score == 12 and result.cut_basis.startswith(
        "pass mark"
    )  # no standard: 60% of 20
    assert signed_in.get(f"/sittings/{sitting_id}/result").status_code == 302  # not released
    app.config["NAAS_CLOCK"] = None
    assert (
        "Released 1 result(s)"
        in runner.invoke(args=["results", "release", "--tier", "practitioner"]).output
    )
    page = signed_in.get(f"/sittings/{sitting_id}/result").get_data(as_text=True)
    assert "Not passed" in page and "10.00</strong> out of 20" in page
    assert "To pass this form you needed 12.00 marks (60% of the marks)" in page
    assert "P1: Relationships" in page and "<svg" in page


def test_a_written_answer_waits_for_marking(signed_in, session, endorsement):
    sitting_id = start(signed_in, endorsement)
    complete_sitting(signed_in, sitting_id, right=True, written="My analysis of the risks.")
    result = session.scalar(select(Result).where(Result.sitting_id == sitting_id))
    assert result.status == "awaiting_marking" and result.passed is None and result.total == 10


def test_a_resit_waits_for_resit_wait_days_after_a_fail_and_draws_unseen_scenarios(
    signed_in, session, endorsement, runner, clock, app
):
    first_id = start(signed_in, endorsement)
    complete_sitting(signed_in, first_id, right=False)
    app.config["NAAS_CLOCK"] = None
    runner.invoke(args=["results", "release", "--tier", "practitioner"])
    app.config["NAAS_CLOCK"] = clock
    clock.advance(days=89)
    page = signed_in.get(f"/sittings/start/{endorsement.id}").get_data(as_text=True)
    assert "You can take this test again from" in page
    clock.advance(days=2)
    second_id = start(signed_in, endorsement)
    first = {fi.scenario_version_id for fi in session.get(Sitting, first_id).form.items}
    second = {fi.scenario_version_id for fi in session.get(Sitting, second_id).form.items}
    assert not first & second  # four scenarios, two per form: the resit gets the two unseen


def test_a_page_post_with_one_bad_answer_keeps_every_valid_answer_and_lists_the_problem(
    signed_in, session, endorsement
):
    sitting_id = start(signed_in, endorsement)
    items, _ = page_items(signed_in, sitting_id, 0)
    single, multiple, ranking = items
    data = {
        "csrf_token": csrf_token(signed_in, "/dashboard"),
        "action": "continue",
        f"q{single}": "a",
        f"q{multiple}": ["a", "b", "c"],
        f"seq{single}": "1",
        f"seq{multiple}": "1",
        f"seq{ranking}": "1",
        f"q{ranking}.a": "2",
        f"q{ranking}.b": "1",
        f"q{ranking}.c": "3",
    }
    response = signed_in.post(f"/sittings/{sitting_id}/stages/0", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="error-summary" role="alert"' in page and f'href="#question-{multiple}"' in page
    assert "<title>Error:" in page
    saved = stored(session, sitting_id)
    assert saved[single].answer == "a" and saved[ranking].answer == {"a": 2, "b": 1, "c": 3}
    assert saved[multiple].answer is None
    assert (
        session.get(Sitting, sitting_id).current_stage == 0
    )  # a page with a problem does not move on


def test_the_database_refuses_a_second_open_sitting_of_one_candidate(
    signed_in, session, endorsement
):
    first = session.get(Sitting, start(signed_in, endorsement))
    form = TestForm(
        tier="practitioner",
        tier_version_id=first.form.tier_version_id,
        seed=1,
        total_marks=20,
        stage_count=4,
        created_at=START,
    )
    session.add(form)
    session.flush()
    session.add(
        Sitting(
            candidate_id=first.candidate_id,
            endorsement_id=endorsement.id,
            tier="practitioner",
            form_id=form.id,
            status="in_progress",
            started_at=START,
            deadline=START + timedelta(hours=1),
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_a_start_that_loses_the_race_for_the_open_sitting_is_refused_and_leaves_nothing_behind(
    session, candidate, endorsement, monkeypatch
):
    services.start_sitting(session, candidate, endorsement, START)
    session.commit()
    monkeypatch.setattr(
        services, "may_start", lambda *args: None
    )  # as if both had checked before either inserted
    with pytest.raises(SittingRefused) as refused:
        services.start_sitting(session, candidate, endorsement, START)
    assert refused.value.code == "open_sitting"
    session.commit()
    assert (
        len(session.scalars(select(TestForm)).all()) == 1
        and len(session.scalars(select(Sitting)).all()) == 1
    )


def test_a_double_click_on_start_lands_the_candidate_in_their_one_sitting(
    signed_in, session, endorsement
):
    sitting_id = start(signed_in, endorsement)
    token = csrf_token(signed_in, "/dashboard")
    again = signed_in.post(f"/sittings/start/{endorsement.id}", data={"csrf_token": token})
    assert again.headers["Location"].endswith(f"/sittings/{sitting_id}")
    assert len(session.scalars(select(Sitting)).all()) == 1


def test_results_release_refuses_while_a_written_answer_is_not_finally_marked(
    signed_in, session, endorsement, runner, app
):
    sitting_id = start(signed_in, endorsement)
    complete_sitting(signed_in, sitting_id, right=True, written="My analysis of the risks.")
    app.config["NAAS_CLOCK"] = None
    output = runner.invoke(args=["results", "release", "--tier", "practitioner"]).output
    assert "not finally marked" in output
    session.expire_all()
    assert session.scalar(select(Result).where(Result.sitting_id == sitting_id)).released_at is None


def moved_to(session, candidate, new_org, new_employer):
    """The candidate moves employer: the new one endorses them and becomes their organisation."""
    candidate.organisation_id = new_org.id
    session.commit()
    return endorse(session, candidate, new_org, new_employer)


def test_an_endorsement_from_a_former_employer_no_longer_opens_a_test(
    signed_in, session, candidate, endorsement
):
    new_org = make_org(session, "Eastvale Trust")
    moved_to(session, candidate, new_org, make_user(session, "employer", org=new_org))
    token = csrf_token(signed_in, "/dashboard")
    signed_in.post(f"/sittings/start/{endorsement.id}", data={"csrf_token": token})
    assert session.scalars(select(Sitting)).all() == []
    page = signed_in.get(f"/sittings/start/{endorsement.id}").get_data(as_text=True)
    assert "no longer your employer" in page


def test_the_new_employers_endorsement_opens_a_test_after_a_move(
    signed_in, session, candidate, endorsement
):
    new_org = make_org(session, "Eastvale Trust")
    new_endorsement = moved_to(
        session, candidate, new_org, make_user(session, "employer", org=new_org)
    )
    sitting_id = start(signed_in, new_endorsement)
    assert session.get(Sitting, sitting_id).endorsement_id == new_endorsement.id


# -- refusals ----------------------------------------------------------------------------------
def released(session, sitting_id, passed):
    """The sitting's result made final (as if marked) and released through the marking service."""
    from naas.marking.services import release

    result = session.scalar(select(Result).where(Result.sitting_id == sitting_id))
    result.status, result.passed = "final", passed
    release(session, "practitioner", actor_id=None, now=START + timedelta(days=1))
    session.commit()


def refusal_on_start_page(client, endorsement):
    return client.get(f"/sittings/start/{endorsement.id}").get_data(as_text=True)


def test_saving_to_a_submitted_sitting_is_refused_as_finished(signed_in, endorsement):
    sitting_id = start(signed_in, endorsement)
    items, _ = page_items(signed_in, sitting_id, 0)
    token = csrf_token(signed_in, "/dashboard")
    signed_in.post(f"/sittings/{sitting_id}/submit", data={"csrf_token": token, "confirm": "yes"})
    reply = autosave(signed_in, sitting_id, next(iter(items)), "a", 5, token)
    assert reply.status_code == 410 and reply.get_json()["error"] == "finished"


def test_a_new_sitting_at_a_tier_waits_for_the_last_ones_result(
    signed_in, session, candidate, org, employer, endorsement
):
    sitting_id = start(signed_in, endorsement)
    complete_sitting(signed_in, sitting_id, right=False)
    second = endorse(session, candidate, org, employer, at=START + timedelta(hours=2))
    assert "no released result yet" in refusal_on_start_page(signed_in, second)
    with pytest.raises(SittingRefused) as refused:
        services.may_start(session, candidate, second, START + timedelta(hours=2))
    assert refused.value.code == "awaiting_result"


def test_a_candidate_who_passed_cannot_sit_again_under_the_same_endorsement(
    signed_in, session, candidate, endorsement
):
    sitting_id = start(signed_in, endorsement)
    complete_sitting(signed_in, sitting_id, right=True)
    released(session, sitting_id, passed=True)
    assert "already passed" in refusal_on_start_page(signed_in, endorsement)
    with pytest.raises(SittingRefused) as refused:
        services.may_start(session, candidate, endorsement, START + timedelta(days=2))
    assert refused.value.code == "already_passed"


def test_a_tier_without_a_loaded_bank_cannot_be_started(
    signed_in, session, candidate, org, employer
):
    supervisor = endorse(session, candidate, org, employer, tier="supervisor")
    token = csrf_token(signed_in, "/dashboard")
    response = signed_in.post(
        f"/sittings/start/{supervisor.id}", data={"csrf_token": token}, follow_redirects=True
    )
    assert "no question bank is loaded" in response.get_data(as_text=True)
    assert session.scalars(select(Sitting)).all() == []


def test_continue_on_the_last_stage_is_refused_and_points_to_the_review(
    signed_in, session, endorsement
):
    sitting_id = start(signed_in, endorsement)
    sitting = session.get(Sitting, sitting_id)
    for page in range(3):
        services.move_on(session, sitting, page, sitting.form, START)
    session.commit()
    with pytest.raises(SittingRefused) as refused:
        services.move_on(session, sitting, 3, sitting.form, START)
    assert refused.value.code == "last_stage"
    items, _ = page_items(signed_in, sitting_id, 3)
    data = {
        "csrf_token": csrf_token(signed_in, "/dashboard"),
        "action": "continue",
        **{f"seq{qid}": "1" for qid in items},
    }
    response = signed_in.post(f"/sittings/{sitting_id}/stages/3", data=data, follow_redirects=True)
    assert "review and submit your answers" in response.get_data(as_text=True)
