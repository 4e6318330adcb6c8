"""The admin statistics pages read the latest run; notes go back to the bank's writers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from naas.models import AuditEvent, ItemReviewNote
from naas.statistics import services

from ..helpers import PASSWORD, csrf_token, login
from ..sitting.conftest import START


def signed_in_admin(app, admin):
    client = app.test_client()
    assert login(client, admin.email, PASSWORD).status_code == 302
    return client


def test_before_any_run_the_pages_say_how_to_compute(app, session, loaded, make_admin):
    client = signed_in_admin(app, make_admin)
    page = client.get("/admin/statistics/").get_data(as_text=True)
    assert "Not computed yet" in page and "naas stats items --tier TIER" in page
    tier = client.get("/admin/statistics/practitioner").get_data(as_text=True)
    assert "No statistics have been computed for this tier yet" in tier
    assert client.get("/admin/statistics/practitioner/items.csv").status_code == 404
    assert client.get("/admin/statistics/wizard").status_code == 404


def test_the_tier_page_shows_reliability_sets_items_and_the_csv(app, session, cohort, make_admin):
    services.compute(
        session, "practitioner", "released", actor_id=None, now=START + timedelta(days=50)
    )
    session.commit()
    client = signed_in_admin(app, make_admin)
    page = client.get("/admin/statistics/practitioner").get_data(as_text=True)
    assert "from 60" in page and "Cronbach" in page and "Standard error of measurement" in page
    assert "Candidates within one SEM of their form" in page
    assert "p-case-a-1@1" in page and "Scenarios as sets" in page
    csv_response = client.get("/admin/statistics/practitioner/items.csv")
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    assert "p-case-a-1,1,p-case-a,single" in csv_response.get_data(as_text=True)


def test_an_item_page_shows_its_text_key_figures_and_takes_a_note(app, session, cohort, make_admin):
    run = services.compute(
        session, "practitioner", "released", actor_id=None, now=START + timedelta(days=50)
    )
    session.commit()
    client = signed_in_admin(app, make_admin)
    # forms draw two of the four scenarios at random: take the single item most candidates met
    key = max(
        (k for k in run.payload["items"] if k.endswith("-1@1")),
        key=lambda k: run.payload["items"][k]["n"],
    )
    assert run.payload["items"][key]["n"] >= 30
    url = f"/admin/statistics/practitioner/items/{key}"
    page = client.get(url).get_data(as_text=True)
    assert "First?" in page and "(key)" in page and "Options chosen, by thirds" in page
    refused = client.post(url, data={"csrf_token": csrf_token(client, url), "note": "   "})
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "There is a problem" in body and "<title>Error:" in body
    assert session.scalar(select(ItemReviewNote)) is None
    added = client.post(
        url, data={"csrf_token": csrf_token(client, url), "note": "Option b draws the top third."}
    )
    assert added.status_code == 302
    note = session.scalar(select(ItemReviewNote))
    assert note.note == "Option b draws the top third." and note.created_by == make_admin.id
    assert (
        session.scalar(select(AuditEvent).where(AuditEvent.action == "item.review_note"))
        is not None
    )
    assert "Option b draws the top third." in client.get(url).get_data(as_text=True)


def test_an_unknown_item_is_not_found(app, session, cohort, make_admin):
    services.compute(
        session, "practitioner", "released", actor_id=None, now=START + timedelta(days=50)
    )
    session.commit()
    client = signed_in_admin(app, make_admin)
    assert client.get("/admin/statistics/practitioner/items/p-nothing@1").status_code == 404


def test_the_release_page_shows_how_many_decisions_lie_within_one_sem_of_the_cut(
    app, session, cohort, make_admin
):
    run = services.compute(
        session, "practitioner", "released", actor_id=None, now=START + timedelta(days=50)
    )
    session.commit()
    band = run.payload["band"]
    page = signed_in_admin(app, make_admin).get("/admin/marking/").get_data(as_text=True)
    assert (
        f"{band['within']} of {band['decided']} candidates were within one standard error of measurement"
        in page
    )


def test_an_admin_computes_a_tiers_statistics_as_a_job_and_sees_its_outcome(
    app, session, cohort, make_admin
):
    client = signed_in_admin(app, make_admin)
    token = csrf_token(client, "/admin/statistics/")
    answer = client.post(
        "/admin/statistics/practitioner/compute", data={"csrf_token": token, "scope": "released"}
    )
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/admin/jobs/")
    job_page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Finished." in job_page and "Computed statistics for practitioner" in job_page
    assert services.latest(session, "practitioner").computed_by == make_admin.id
    refused = client.post(
        "/admin/statistics/practitioner/compute", data={"csrf_token": token, "scope": "all"}
    )
    assert refused.status_code == 400
    assert (
        client.post("/admin/statistics/wizard/compute", data={"csrf_token": token}).status_code
        == 404
    )
    assert client.post("/admin/statistics/practitioner/compute").status_code == 400  # no token
