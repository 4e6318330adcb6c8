"""The marking pages: blind, refused to the wrong people, and safe when assessors race."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

from sqlalchemy import event, func, insert, select

from naas.marking import services
from naas.models import ItemVersion, Mark, ReviewRequest, Script

from ..helpers import csrf_token, login, make_user
from .conftest import START, sit


def test_an_assessor_marks_through_the_pages_and_sees_nothing_that_identifies_the_candidate(
    app, client, session, sitting, candidate, org, assessors, clock
):
    assessor = assessors[0]
    login(client, assessor.email)
    token = csrf_token(client, "/marking/")
    taken = client.post("/marking/next", data={"csrf_token": token, "purpose": "marking"})
    assert taken.status_code == 302
    path = taken.headers["Location"]
    page = client.get(path).get_data(as_text=True)
    for identifying in (
        candidate.name,
        candidate.email,
        candidate.profile.registration_number,
        org.name,
    ):
        assert identifying not in page
    assert "A careful written analysis of risk." in page  # the answer
    assert "The school rings." in page and "Analysis" in page  # the case and the rubric
    assert "Model answer" in page
    missing = client.post(
        path, data={"csrf_token": token, "action": "submit", "criterion-0": "2", "comment": "Good."}
    )
    assert missing.status_code == 422 and "Give a mark" in missing.get_data(as_text=True)
    done = client.post(
        path,
        data={
            "csrf_token": token,
            "action": "submit",
            "criterion-0": "2",
            "criterion-1": "1",
            "comment": "Clear analysis, thin plan.",
        },
    )
    assert done.status_code == 302
    session.expire_all()
    mark = session.scalar(select(Mark).where(Mark.assessor_id == assessor.id))
    assert mark.status == "submitted" and mark.total == 3
    queue = client.get("/marking/").get_data(as_text=True)
    for identifying in (candidate.name, candidate.email, org.name):
        assert identifying not in queue


def test_the_second_marker_does_not_see_the_first_markers_marks(
    app, client, session, sitting, assessors, clock
):
    first, second = assessors[0], assessors[1]
    login(client, first.email)
    token = csrf_token(client, "/marking/")
    path = client.post("/marking/next", data={"csrf_token": token}).headers["Location"]
    client.post(
        path,
        data={
            "csrf_token": token,
            "action": "submit",
            "criterion-0": "3",
            "criterion-1": "2",
            "comment": "A distinctive first-marker comment.",
        },
    )
    other = app.test_client()
    login(other, second.email)
    token = csrf_token(other, "/marking/")
    page = None
    for _ in range(2):
        path = other.post("/marking/next", data={"csrf_token": token}).headers["Location"]
        page = other.get(path).get_data(as_text=True)
        assert "A distinctive first-marker comment." not in page


def test_marking_pages_refuse_other_roles_and_other_assessors_marks(
    app, client, session, sitting, assessors, candidate, clock
):
    login(client, assessors[0].email)
    token = csrf_token(client, "/marking/")
    path = client.post("/marking/next", data={"csrf_token": token}).headers["Location"]
    other = app.test_client()
    login(other, assessors[1].email)
    assert other.get(path).status_code == 404
    cand = app.test_client()
    login(cand, candidate.email)
    assert cand.get("/marking/").status_code == 403
    assert cand.get(path).status_code == 403
    assert cand.get("/admin/marking/").status_code == 403
    token = csrf_token(other, "/marking/")
    assert (
        other.post("/marking/next", data={"csrf_token": token, "purpose": "moderation"}).status_code
        == 403
    )
    assert (
        other.post("/marking/next", data={"purpose": "marking"}).status_code == 400
    )  # no CSRF token


def test_admin_sees_what_remains_and_release_is_refused_until_marking_is_done(
    app, client, session, sitting, assessors, clock
):
    admin = make_user(session, "admin")
    login(client, admin.email)
    page = client.get("/admin/marking/").get_data(as_text=True)
    assert "2 script(s) not finally marked" in page
    token = csrf_token(client, "/admin/marking/")
    refused = client.post(
        "/admin/marking/practitioner/release", data={"csrf_token": token}, follow_redirects=True
    )
    assert "nothing was released" in refused.get_data(as_text=True)
    bad = client.post(
        "/admin/marking/practitioner/settings",
        data={
            "csrf_token": token,
            "tolerance": "lots",
            "review_window_days": "14",
            "drift_threshold": "1",
        },
        follow_redirects=True,
    )
    assert "nothing was changed" in bad.get_data(as_text=True)


def test_racing_assessors_never_get_the_same_script(
    app, session, candidate, org, employer, assessors, other_org, clock
):
    for _ in range(3):
        sit(session, make_user(session, "candidate", org=org), org, employer)
    markers = assessors + [make_user(session, "assessor", org=other_org) for _ in range(5)]
    taken: list[tuple[int, str]] = []
    lock = threading.Lock()

    def grab(user):
        client = app.test_client()
        login(client, user.email)
        token = csrf_token(client, "/marking/")
        for _ in range(3):
            response = client.post("/marking/next", data={"csrf_token": token})
            assert response.status_code == 302
            match = re.search(r"/marking/marks/(\d+)", response.headers["Location"])
            if match:
                with lock:
                    taken.append((user.id, match.group(1)))

    threads = [threading.Thread(target=grab, args=(user,)) for user in markers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    session.expire_all()
    open_marks = session.scalars(select(Mark).where(Mark.status == "allocated")).all()
    scripts = [m.script_id for m in open_marks]
    assert len(scripts) == len(set(scripts)) == 6  # six scripts, each held by exactly one assessor
    for mark in open_marks:
        assert session.get(Script, mark.script_id).held_by == mark.assessor_id


def test_a_double_click_on_next_gives_the_assessor_one_script_not_two(
    app, session, candidate, org, employer, assessors, clock
):
    for _ in range(3):
        sit(session, make_user(session, "candidate", org=org), org, employer)
    assessor = assessors[0]
    client = app.test_client()
    login(client, assessor.email)
    token = csrf_token(client, "/marking/")
    start = threading.Barrier(4)
    landed: list[str] = []

    def click():
        start.wait()
        response = client.post("/marking/next", data={"csrf_token": token})
        landed.append(response.headers.get("Location", ""))

    clicks = [threading.Thread(target=click) for _ in range(4)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    session.expire_all()
    held = session.scalars(
        select(Mark).where(Mark.assessor_id == assessor.id, Mark.status.in_(("allocated", "draft")))
    ).all()
    assert len(held) == 1
    assert set(landed) == {f"/marking/marks/{held[0].id}"}  # every click lands on the same script


def final_marks(session, assessors, released: bool, at=START + timedelta(hours=2)):
    """Both scripts marked twice within tolerance; released when asked."""
    for assessor in assessors[:2]:
        while (mark := services.take_next(session, assessor, at)) is not None:
            services.record_mark(
                session, mark, assessor, [2, 1], "Marked against the rubric.", submit=True, now=at
            )
            session.commit()
    if released:
        services.release(session, "practitioner", None, at)
    session.commit()  # the last take found nothing, but it began a transaction: end it as a request would


def test_the_review_page_shows_no_mark_before_results_are_released(
    app, client, session, sitting, candidate, assessors, clock
):
    final_marks(session, assessors, released=False)
    script = session.scalar(select(Script).where(Script.candidate_id == candidate.id))
    assert script.status == "final"
    login(client, candidate.email)
    assert client.get(f"/marking/reviews/{script.reference}").status_code == 404


def test_asking_for_a_review_twice_at_once_gives_a_clear_message(
    app, client, session, sitting, candidate, assessors, clock
):
    final_marks(session, assessors, released=True)
    clock.advance(days=1)
    script = session.scalar(select(Script).where(Script.candidate_id == candidate.id))
    login(client, candidate.email)
    path = f"/marking/reviews/{script.reference}"
    token = csrf_token(client, path)

    landed = []

    def the_other_request_lands_first(request_session, _context, _instances):
        # the double submit's twin passed the same check and is stored just before this one
        if not landed and any(isinstance(o, ReviewRequest) for o in request_session.new):
            landed.append(True)
            with app.extensions["naas.engine"].begin() as connection:
                connection.execute(
                    insert(ReviewRequest).values(
                        script_id=script.id,
                        candidate_id=candidate.id,
                        reason="The first of two clicks.",
                        requested_at=clock(),
                        status="open",
                    )
                )

    event.listen(app.extensions["naas.db"], "before_flush", the_other_request_lands_first)
    again = client.post(
        path,
        data={
            "csrf_token": token,
            "reason": "The plan section was not given credit for the safety plan.",
        },
    )
    event.remove(app.extensions["naas.db"], "before_flush", the_other_request_lands_first)
    assert landed and again.status_code == 422
    assert "You have already asked for a review of this answer." in again.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(ReviewRequest)) == 1


def test_asking_for_more_work_while_holding_a_script_leads_back_to_it(
    app, client, session, sitting, assessors, clock
):
    login(client, assessors[0].email)
    token = csrf_token(client, "/marking/")
    first = client.post("/marking/next", data={"csrf_token": token}).headers["Location"]
    again = client.post("/marking/next", data={"csrf_token": token}, follow_redirects=True)
    assert again.request.path == first and "you hold one script at a time" in again.get_data(
        as_text=True
    )


def test_an_assessor_cannot_read_a_single_controls_agreed_mark_from_their_figures(
    app, client, session, loaded, assessors, clock
):
    admin = make_user(session, "admin")
    item_version = session.scalar(
        select(ItemVersion).where(ItemVersion.type == "free_text").limit(1)
    )
    services.add_control(
        session, item_version, "A control answer, agreed at 3.", [2, 1], admin.id, START
    )
    session.commit()
    login(client, assessors[0].email)
    token = csrf_token(client, "/marking/")
    assert "1 script(s) waiting for you to mark" in client.get("/marking/").get_data(as_text=True)
    path = client.post("/marking/next", data={"csrf_token": token}).headers["Location"]
    assert (
        client.post(
            path,
            data={
                "csrf_token": token,
                "action": "submit",
                "criterion-0": "3",
                "criterion-1": "2",
                "comment": "Full marks.",
            },
        ).status_code
        == 302
    )
    assert "0 script(s) waiting for you to mark" in client.get("/marking/").get_data(as_text=True)
    own = client.get("/marking/reliability").get_data(as_text=True)
    assert "Controls marked" not in own and "2.00" not in own
    assert "No block of control scripts is complete yet." in own
    clock.advance(days=30)  # long after: still one control, so still no block
    assert "2.00" not in client.get("/marking/reliability").get_data(as_text=True)
    login(admin_client := app.test_client(), admin.email)
    assert "+2.00" in admin_client.get("/admin/marking/").get_data(
        as_text=True
    )  # admins see everything


def identifying(candidate, org):
    return (
        candidate.name,
        *candidate.name.split(),
        candidate.email,
        candidate.profile.registration_number,
        org.name,
    )


def assert_blind(page, candidate, org):
    for text in identifying(candidate, org):
        assert text not in page, f"{text!r} identifies the candidate"


def take_page(client, purpose="marking"):
    token = csrf_token(client, "/marking/")
    response = client.post("/marking/next", data={"csrf_token": token, "purpose": purpose})
    assert "/marking/marks/" in response.headers["Location"], f"nothing to {purpose}"
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_moderation_page_shows_both_marks_and_nothing_that_identifies_the_candidate(
    app, client, session, sitting, candidate, org, assessors, moderator, clock
):
    at = START + timedelta(hours=2)
    for assessor, marks, comment in (
        (assessors[0], [3, 2], "First marker: thorough."),
        (assessors[1], [0, 0], "Second marker: misses the point."),
    ):
        mark = services.take_next(session, assessor, at, control_rate=0)
        services.record_mark(session, mark, assessor, marks, comment, submit=True, now=at)
    session.commit()
    login(client, moderator.email)
    page = take_page(client, "moderation")
    assert (
        "The two marks" in page
        and "First marker: thorough." in page
        and "Second marker: misses" in page
    )
    assert_blind(page, candidate, org)
    assert assessors[0].email not in page and assessors[1].email not in page


def test_the_review_page_shows_the_reason_without_identifying_details_and_no_earlier_marks(
    app, client, session, sitting, candidate, org, assessors, moderator, clock
):
    final_marks(session, assessors, released=True)
    script = session.scalar(select(Script).where(Script.candidate_id == candidate.id))
    reason = (
        f"I am {candidate.name} ({candidate.profile.registration_number}, {candidate.email}) of {org.name}. "
        "My safety plan was not given credit."
    )
    services.request_review(session, candidate, script, reason, START + timedelta(days=1))
    session.commit()
    login(client, moderator.email)
    page = take_page(client, "review")
    assert "The candidate's reason for asking for a review" in page
    assert "My safety plan was not given credit." in page and services.REMOVED in page
    assert_blind(page, candidate, org)
    assert (
        "The two marks" not in page and "Marked against the rubric." not in page
    )  # no earlier marks or comments


def test_a_second_marker_sees_neither_the_candidate_nor_the_first_markers_marks(
    app, client, session, sitting, candidate, org, assessors, clock
):
    at = START + timedelta(hours=2)
    first = services.take_next(session, assessors[0], at, control_rate=0)
    services.record_mark(
        session, first, assessors[0], [3, 2], "A distinctive first comment.", submit=True, now=at
    )
    session.commit()
    login(client, assessors[1].email)
    page = take_page(client)
    assert first.script.reference in page  # the same script, second time round
    assert_blind(page, candidate, org)
    assert "A distinctive first comment." not in page and "The two marks" not in page


def test_the_queue_dashboard_and_figures_pages_identify_no_candidate(
    app, client, session, sitting, candidate, org, assessors, moderator, clock
):
    final_marks(session, assessors, released=True)
    services.request_review(
        session,
        candidate,
        session.scalar(select(Script).where(Script.candidate_id == candidate.id)),
        f"{candidate.name} asks for another look, please.",
        START + timedelta(days=1),
    )
    session.commit()
    for who in (assessors[0], moderator):
        browser = app.test_client()
        login(browser, who.email)
        for path in ("/", "/marking/", "/marking/reliability"):
            response = browser.get(path)
            assert response.status_code == 200
            assert_blind(response.get_data(as_text=True), candidate, org)


def test_the_review_request_form_asks_the_candidate_not_to_identify_themselves(
    app, client, session, sitting, candidate, assessors, clock
):
    final_marks(session, assessors, released=True)
    script = session.scalar(select(Script).where(Script.candidate_id == candidate.id))
    login(client, candidate.email)
    page = client.get(f"/marking/reviews/{script.reference}").get_data(as_text=True)
    assert "Do not include your name, registration number," in page
