"""sitting.js in a real browser: what autosave does when a reply is lost or a save is stale.
(The whole sitting, keyboard only, is in tests/browser/test_sitting.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from naas import db
from naas.models import Response

from .test_sitting import start_a_sitting

pytestmark = pytest.mark.browser


def first_choice_question(page, live_app):
    """Signed in, started, on the first stage: its first single or multiple choice question."""
    start_a_sitting(live_app, page)
    return page.locator(".question[data-type=single], .question[data-type=multiple]").first


def stored(live_app, item_id):
    """The stored (answer, client_seq) of a question."""
    with live_app.app.app_context():
        return db.session.execute(
            select(Response.answer, Response.client_seq).where(Response.form_item_id == item_id)
        ).one()


def test_a_save_whose_reply_was_lost_does_not_make_the_next_change_stale(live_app, page, expect):
    question = first_choice_question(page, live_app)
    item_id = int(question.get_attribute("data-item"))
    replies = []

    def lose_the_first_reply(route):
        if replies:
            route.continue_()
            return
        replies.append(route.fetch())  # the server saves it...
        route.abort()  # ...and the reply never arrives

    page.route("**/answers", lose_the_first_reply)
    options = question.locator("input")
    options.nth(0).check()
    expect(page.locator("#save-status")).to_contain_text("Not saved")
    assert replies[0].status == 200
    options.nth(1).check()  # the candidate changes the answer before the retry
    expect(page.locator("#save-status")).to_contain_text("All answers saved")
    first, second = (options.nth(n).get_attribute("value") for n in (0, 1))
    answer, _ = stored(live_app, item_id)
    if question.get_attribute("data-type") == "single":
        assert answer == second
    else:
        assert sorted(answer) == sorted([first, second])


def test_a_stale_save_stops_saving_that_question_and_offers_a_reload(live_app, page, expect):
    question = first_choice_question(page, live_app)
    item_id = int(question.get_attribute("data-item"))
    with live_app.app.app_context():  # another device saved a newer answer meanwhile
        db.session.execute(
            update(Response).where(Response.form_item_id == item_id).values(client_seq=50)
        )
        db.session.commit()
    question.locator("input").nth(0).check()
    notice = question.get_by_role("alert")
    expect(notice).to_contain_text("newer answer")
    expect(question.get_by_role("button", name="Reload the page")).to_be_visible()
    question.locator("input").nth(1).check()  # not sent: the newer answer is not overwritten
    page.wait_for_timeout(500)
    assert stored(live_app, item_id) == (None, 50)
    question.get_by_role("button", name="Reload the page").click()
    page.wait_for_load_state()
    expect(page.locator(".stale-notice")).to_have_count(0)
