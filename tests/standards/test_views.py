"""The standard-setting pages: judges rate blind then see the spread; bad input is refused with
a message and stores nothing; admins run the exercise; every form needs its CSRF token."""

from __future__ import annotations

import re
from fractions import Fraction

from sqlalchemy import func, select

from naas.models import ItemStandard, StandardRating
from naas.standards import services

from ..helpers import csrf_token, login, make_user
from .conftest import NOW, rate_all


def ratings_count(session):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(StandardRating))


def page_fields(html):
    return re.findall(r'name="(rating-\d+)"', html)


def signed_in(app, user):
    client = app.test_client()
    login(client, user.email)
    return client


def test_a_judge_rates_a_page_of_items_and_sees_their_ratings_again(
    app, session, exercise, panel, clock
):
    client = signed_in(app, panel[0])
    assert "Practitioner standard" in client.get("/standards/").get_data(as_text=True)
    page = client.get(f"/standards/{exercise.id}/pages/0").get_data(as_text=True)
    fields = page_fields(page)
    assert len(fields) == 4 and "First?" in page and "Key:" in page and "Round 1 is blind" in page
    token = csrf_token(client, f"/standards/{exercise.id}/pages/0")
    data = {"csrf_token": token, "round": "1", **{name: "0.5" for name in fields}}
    data[fields[1]] = "1.25"
    saved = client.post(f"/standards/{exercise.id}/pages/0", data=data)
    assert saved.status_code == 302 and ratings_count(session) == 4
    again = client.post(
        f"/standards/{exercise.id}/pages/0", data=data
    )  # a double submit changes nothing
    assert again.status_code == 302 and ratings_count(session) == 4
    page = client.get(f"/standards/{exercise.id}/pages/0").get_data(as_text=True)
    assert 'value="1.25"' in page and "(0 changed)" in page
    assert session.scalar(
        select(StandardRating.rating).where(
            StandardRating.item_version_id == int(fields[1].removeprefix("rating-"))
        )
    ) == Fraction(5, 4)


def test_round_1_is_blind_and_round_2_shows_the_spread_and_facility(
    app, session, exercise, admin, panel, clock
):
    rate_all(session, exercise, panel[1:], 1, level=Fraction(1, 2))
    client = signed_in(app, panel[0])
    page = client.get(f"/standards/{exercise.id}/pages/0").get_data(as_text=True)
    assert 'value="0.' not in page and "median" not in page  # nobody else's ratings in round 1
    rate_all(session, exercise, panel[:1], 1)
    services.begin_round2(session, exercise, admin, NOW)
    session.commit()
    page = client.get(f"/standards/{exercise.id}/pages/0").get_data(as_text=True)
    assert "Round 2 is final" in page and "median" in page and "no sittings yet" in page
    assert (
        "lowest 0.4, median 0.5, highest 0.7" in page
    )  # a 1-mark item: four judges at 0.4..0.55, one at 0.7


def test_a_rating_outside_0_to_marks_or_not_a_number_is_refused_and_nothing_on_the_page_is_stored(
    app, session, exercise, panel, clock
):
    client = signed_in(app, panel[0])
    path = f"/standards/{exercise.id}/pages/0"
    fields = page_fields(client.get(path).get_data(as_text=True))
    token = csrf_token(client, path)
    data = {"csrf_token": token, "round": "1", **{name: "0.5" for name in fields}}
    data[fields[0]] = "7"
    data[fields[1]] = "two"
    refused = client.post(path, data=data)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "There is a problem" in html
    assert f'href="#{fields[0]}"' in html and "this item is worth 1 mark(s)" in html
    assert (
        "such as 0.5 or 1.25" in html and 'value="two"' in html
    )  # what they typed stays to be corrected
    assert ratings_count(session) == 0


def test_a_rating_for_an_item_not_in_the_exercise_is_refused(app, session, exercise, panel, clock):
    client = signed_in(app, panel[0])
    path = f"/standards/{exercise.id}/pages/0"
    token = csrf_token(client, path)
    refused = client.post(path, data={"csrf_token": token, "round": "1", "rating-999999": "1"})
    assert refused.status_code == 422 and "not in this exercise" in refused.get_data(as_text=True)
    assert ratings_count(session) == 0


def test_a_rating_in_a_closed_round_is_refused(app, session, exercise, admin, panel, clock):
    client = signed_in(app, panel[0])
    path = f"/standards/{exercise.id}/pages/0"
    fields = page_fields(client.get(path).get_data(as_text=True))
    token = csrf_token(client, path)
    rate_all(session, exercise, panel, 1)
    services.begin_round2(session, exercise, admin, NOW)
    session.commit()
    before = ratings_count(session)
    late = client.post(
        path, data={"csrf_token": token, "round": "1", **{name: "0" for name in fields}}
    )
    assert late.status_code == 409 and "Round 1 of this exercise is closed" in late.get_data(
        as_text=True
    )
    assert ratings_count(session) == before


def test_someone_not_on_the_panel_cannot_see_or_rate(app, session, exercise, panel, clock):
    outsider = make_user(session, "standard_setter")
    client = signed_in(app, outsider)
    path = f"/standards/{exercise.id}/pages/0"
    assert client.get(path).status_code == 403
    token = csrf_token(client, "/standards/")
    items = services.live_item_versions(session, "practitioner")
    refused = client.post(
        path, data={"csrf_token": token, "round": "1", f"rating-{items[0].id}": "1"}
    )
    assert refused.status_code == 403 and "not on this exercise" in refused.get_data(as_text=True)
    candidate = signed_in(app, make_user(session, "candidate"))
    assert candidate.get("/standards/").status_code == 403
    assert ratings_count(session) == 0


def test_posts_without_a_csrf_token_are_refused(app, session, exercise, admin, panel, clock):
    judge = signed_in(app, panel[0])
    items = services.live_item_versions(session, "practitioner")
    refused = judge.post(
        f"/standards/{exercise.id}/pages/0", data={"round": "1", f"rating-{items[0].id}": "1"}
    )
    assert refused.status_code == 400 and ratings_count(session) == 0
    admin_client = signed_in(app, admin)
    for path in (
        "/admin/standards/new",
        f"/admin/standards/{exercise.id}/judges",
        f"/admin/standards/{exercise.id}/round2",
        f"/admin/standards/{exercise.id}/approve",
        f"/admin/standards/{exercise.id}/released",
        f"/admin/standards/{exercise.id}/close",
        f"/admin/standards/{exercise.id}/judges/{panel[0].id}/remove",
    ):
        assert admin_client.post(path, data={}).status_code == 400, path
    assert len(services.judges(session, exercise)) == 5


def test_an_admin_creates_an_exercise_with_hofstee_bounds_and_bad_bounds_are_named(
    app, session, loaded, admin, clock
):
    client = signed_in(app, admin)
    token = csrf_token(client, "/admin/standards/new")
    bad = client.post(
        "/admin/standards/new",
        data={
            "csrf_token": token,
            "tier": "practitioner",
            "title": "Panel",
            "hofstee_min_cut": "50",
            "hofstee_max_cut": "lots",
        },
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "enter a number from 0 to 100" in html
    bad = client.post(
        "/admin/standards/new",
        data={
            "csrf_token": token,
            "tier": "practitioner",
            "title": "Panel",
            "hofstee_min_cut": "50",
        },
    )
    assert bad.status_code == 422 and "Give all four Hofstee bounds, or none." in bad.get_data(
        as_text=True
    )
    created = client.post(
        "/admin/standards/new",
        data={
            "csrf_token": token,
            "tier": "practitioner",
            "title": "Practitioner standard",
            "hofstee_min_cut": "50",
            "hofstee_max_cut": "75",
            "hofstee_min_fail": "5",
            "hofstee_max_fail": "40",
        },
    )
    assert created.status_code == 302
    detail = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Practitioner standard" in detail and "16 live item version(s)" in detail


def test_an_admin_adds_and_removes_judges_and_an_ineligible_one_is_refused(
    app, session, exercise, admin, setters, clock
):
    client = signed_in(app, admin)
    path = f"/admin/standards/{exercise.id}"
    token = csrf_token(client, path)
    added = client.post(f"{path}/judges", data={"csrf_token": token, "email": setters[0].email})
    assert added.status_code == 302
    employer = make_user(session, "employer")
    refused = client.post(f"{path}/judges", data={"csrf_token": token, "email": employer.email})
    assert (
        refused.status_code == 422
        and "neither a standard setter nor an assessor" in refused.get_data(as_text=True)
    )
    removed = client.post(f"{path}/judges/{setters[0].id}/remove", data={"csrf_token": token})
    assert removed.status_code == 302 and services.judges(session, exercise) == []


def test_round_2_and_approval_are_refused_with_what_is_missing(
    app, session, exercise, admin, panel, clock
):
    client = signed_in(app, admin)
    path = f"/admin/standards/{exercise.id}"
    token = csrf_token(client, path)
    refused = client.post(f"{path}/round2", data={"csrf_token": token}, follow_redirects=True)
    assert "Round 2 has not begun" in refused.get_data(
        as_text=True
    ) and "has rated 0 of 16" in refused.get_data(as_text=True)
    refused = client.post(f"{path}/approve", data={"csrf_token": token}, follow_redirects=True)
    html = refused.get_data(as_text=True)
    assert "The exercise was not approved" in html and "from round 2" in html
    rate_all(session, exercise, panel, 1)
    assert client.post(f"{path}/round2", data={"csrf_token": token}).status_code == 302
    rate_all(session, exercise, panel[:4], 2)
    refused = client.post(f"{path}/approve", data={"csrf_token": token}, follow_redirects=True)
    assert f"Items are unrated in round 2: {panel[4].name} has rated 0 of 16" in refused.get_data(
        as_text=True
    )
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(ItemStandard)) == 0
    rate_all(session, exercise, panel[4:], 2)
    approved = client.post(f"{path}/approve", data={"csrf_token": token})
    assert approved.status_code == 302 and approved.headers["Location"].endswith("/report")
    again = client.post(f"{path}/approve", data={"csrf_token": token}, follow_redirects=True)
    assert "cannot be approved twice" in again.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(ItemStandard)) == 16
    report = client.get(f"{path}/report").get_data(as_text=True)
    # the fifth judge rated round 2 alone, leaning like the first: 0.7 of the marks
    assert (
        "76.0% of marks" in report
        and "a cut of about 15.2 marks" in report
        and "ICC(2,1)" in report
    )


def test_a_standard_setter_sees_their_exercises_on_the_dashboard_and_an_assessor_on_no_panel_does_not(
    app, session, exercise, panel, clock
):
    page = signed_in(app, panel[0]).get("/dashboard").get_data(as_text=True)
    assert "Standard setting" in page and "Practitioner standard" in page
    assessor = make_user(session, "assessor")
    page = signed_in(app, assessor).get("/dashboard").get_data(as_text=True)
    assert "Standard setting" not in page
