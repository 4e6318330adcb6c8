"""A candidate sits a test in a real browser: keyboard only, answers saved as they change,
leaving mid-stage and resuming, and the time announced without stealing focus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from naas import db
from naas.auth.services import create_user
from naas.models import Endorsement, Organisation, Response, Sitting

from ..helpers import PASSWORD
from .conftest import sign_in, wait_until_saved


def endorsed_candidate(app):
    with app.app_context():
        org = Organisation(name="Browser Council")
        db.session.add(org)
        db.session.flush()
        employer = create_user(
            db.session,
            email="emp@browser.test",
            name="Emp",
            roles=["employer"],
            password=PASSWORD,
            organisation=org,
        )
        candidate = create_user(
            db.session,
            email="cand@browser.test",
            name="Cand Idate",
            roles=["candidate"],
            password=PASSWORD,
            organisation=org,
            registration_number="SW555001",
        )
        db.session.add(
            Endorsement(
                candidate_id=candidate.id,
                organisation_id=org.id,
                tier="practitioner",
                endorsed_by=employer.id,
                created_at=datetime.now(UTC),
            )
        )
        db.session.commit()
        return candidate.id


def start_a_sitting(live_app, page) -> int:
    """An endorsed candidate signs in and starts their test: on the first stage; the sitting's id."""
    endorsed_candidate(live_app.app)
    sign_in(page, live_app.url, "cand@browser.test", PASSWORD)
    page.get_by_role("link", name="Start the test").click()
    page.get_by_role("button", name="Start the test now").click()
    page.wait_for_url("**/stages/0")
    return int(page.url.split("/sittings/")[1].split("/")[0])


def saved_answers(app, sitting_id):
    with app.app_context():
        return {
            r.form_item_id: r.answer
            for r in db.session.scalars(select(Response).where(Response.sitting_id == sitting_id))
            if r.answer not in (None, [], "")
        }


def test_keyboard_only_sitting_saves_as_it_goes_and_resumes(live_app, page, expect):
    sitting_id = start_a_sitting(live_app, page)

    # answer the first choice question with the keyboard alone: focus its first option, choose it with space
    # (every scenario's first stage has a single or multiple item; which comes first depends on the form)
    first_radio = page.locator(".question input[type=radio], .question input[type=checkbox]").first
    first_radio.focus()
    page.keyboard.press("Space")
    wait_until_saved(page, expect)
    answers = saved_answers(live_app.app, sitting_id)
    assert len(answers) == 1

    # a written or ranking answer on the same page, typed or chosen by keyboard
    ranking = page.locator(".question[data-type=ranking]").first
    if ranking.count():
        selects = ranking.locator("select")
        for index in range(selects.count()):
            selects.nth(index).focus()
            selects.nth(index).select_option(str(index + 1))
        wait_until_saved(page, expect)

    # the time is announced politely and focus stays where the candidate is
    assert page.locator("#timer-announce").get_attribute("aria-live") == "polite"
    focused_before = page.evaluate("document.activeElement.id")
    page.wait_for_timeout(1500)
    assert page.evaluate("document.activeElement.id") == focused_before

    # leave mid-stage, come back: every saved answer is there
    saved = saved_answers(live_app.app, sitting_id)
    page.goto(f"{live_app.url}/dashboard")
    page.get_by_role("link", name="Continue your test").click()
    page.wait_for_url("**/stages/0")
    assert first_radio.is_checked()
    assert saved_answers(live_app.app, sitting_id) == saved

    # move on with the keyboard: the stage locks
    page.get_by_role("button", name="Save and continue to the next stage").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/stages/1")
    page.goto(f"{live_app.url}/sittings/{sitting_id}/stages/0")
    assert page.locator("fieldset.questions[disabled]").count() == 1


def test_the_time_left_is_announced_politely_without_moving_focus(live_app, page, expect):
    start_a_sitting(live_app, page)
    with (
        live_app.app.app_context()
    ):  # the test has run for a while: 5 minutes and 4 seconds are left
        sitting = db.session.scalar(select(Sitting))
        sitting.deadline = datetime.now(UTC) + timedelta(minutes=5, seconds=4)
        db.session.commit()
    page.reload()
    announcer = page.locator("#timer-announce")
    expect(announcer).to_have_text("6 minutes remaining.")
    focused = page.locator(".question input, .question select, .question textarea").first
    focused.focus()
    expect(announcer).to_have_text(
        "5 minutes remaining.", timeout=10000
    )  # crossing the 5-minute mark
    assert focused.evaluate("element => element === document.activeElement")
    assert announcer.get_attribute("aria-live") == "polite"
    expect(page.locator("#time-left")).to_contain_text("4 min")
