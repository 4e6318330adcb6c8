"""The staff dashboard: every endorsed member of staff with tier and status, counts, filters,
sorting, CSV export; the per-area profile only with the candidate's consent."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from naas.models import AuditEvent, Certificate, Sitting
from naas.sitting.services import start_sitting

from ..helpers import csrf_token, login
from .conftest import START, STATES, endorse, make_candidate, sitting_for, staff_in_state

EXPECTED = {
    "endorsed": "Endorsed",
    "in_progress": "In progress",
    "awaiting_marking": "Awaiting marking",
    "awaiting_release": "Awaiting release",
    "passed": "Passed (accredited until 1 March 2029)",
    "not_passed": "Not passed (resit from 21 April 2026)",
    "expiring_soon": "Expiring soon (accredited until 1 April 2026)",
    "expired": "Expired (expired on 20 February 2026)",
    "revoked": "Revoked (revoked on 28 February 2026)",
}


@pytest.fixture
def everyone(session, org, employer, loaded):
    return {state: staff_in_state(session, org, employer, state) for state in STATES}


def export(client, query=""):
    response = client.get("/employer/staff.csv" + query)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def visible_text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_each_kind_of_candidate_is_listed_with_its_status(signed_in, everyone):
    page = visible_text(signed_in.get("/employer/staff").get_data(as_text=True))
    for state, text in EXPECTED.items():
        assert f"Staff {state}" in page
        assert text in page, state


def test_the_csv_export_gives_each_kind_of_candidate_its_status_and_date(signed_in, everyone):
    rows = {row["name"]: row for row in export(signed_in)}
    assert {name: row["status detail"] for name, row in rows.items()} == {
        f"Staff {state}": text for state, text in EXPECTED.items()
    }
    assert rows["Staff passed"]["date"] == "2029-03-01" and rows["Staff endorsed"]["date"] == ""
    assert rows["Staff passed"]["certificate number"].startswith("NAAS-")
    assert rows["Staff endorsed"]["tier"] == "Approved child and family practitioner"


def test_counts_per_status_are_shown_and_link_to_the_filtered_list(
    signed_in, session, org, employer, everyone
):
    staff_in_state(session, org, employer, "passed", name="Second Passer")
    page = visible_text(signed_in.get("/employer/staff").get_data(as_text=True))
    assert "All: 10" in page and "Passed: 2" in page and "Revoked: 1" in page
    filtered = signed_in.get("/employer/staff?status=passed").get_data(as_text=True)
    assert (
        "Second Passer" in filtered
        and "Staff passed" in filtered
        and "Staff revoked" not in filtered
    )


def test_the_dashboard_panel_shows_the_counts_and_links_to_the_staff_list(signed_in, everyone):
    page = signed_in.get("/dashboard").get_data(as_text=True)
    assert 'data-roles="employer"' in page and "9 endorsement(s) of your staff" in page
    assert (
        'href="/employer/staff"' in page and 'href="/employer/staff?status=expiring_soon"' in page
    )


def test_the_staff_list_filters_by_tier_and_search(signed_in, session, org, employer, everyone):
    staff_in_state(session, org, employer, "endorsed", name="Zofia Nowak", registration="SW8080")
    assert [r["name"] for r in export(signed_in, "?q=zofia")] == ["Zofia Nowak"]
    assert [r["name"] for r in export(signed_in, "?q=SW8080")] == ["Zofia Nowak"]
    assert len(export(signed_in, "?tier=practitioner")) == 10
    assert export(signed_in, "?tier=supervisor") == []


def test_an_unknown_filter_or_sort_is_ignored_not_an_error(signed_in, everyone):
    assert len(export(signed_in, "?status=nonsense&sort=evil&order=sideways")) == 9


@pytest.mark.parametrize(
    "sort, first, last",
    [
        ("name", "Staff awaiting_marking", "Staff revoked"),
        ("status", "Staff endorsed", "Staff revoked"),
        ("date", "Staff expired", "Staff in_progress"),
    ],
)
def test_the_staff_list_sorts(signed_in, everyone, sort, first, last):
    names = [r["name"] for r in export(signed_in, f"?sort={sort}")]
    assert (names[0], names[-1]) == (first, last)
    reversed_names = [r["name"] for r in export(signed_in, f"?sort={sort}&order=desc")]
    assert reversed_names[0] == last


def test_the_csv_export_escapes_cells_a_spreadsheet_would_run_as_formulas(
    signed_in, session, org, employer
):
    staff_in_state(session, org, employer, "endorsed", name='=HYPERLINK("http://evil.example","x")')
    staff_in_state(session, org, employer, "endorsed", name="@SUM(A1)")
    text = signed_in.get("/employer/staff.csv").get_data(as_text=True)
    names = [row["name"] for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))]
    assert sorted(names) == ['\'=HYPERLINK("http://evil.example","x")', "'@SUM(A1)"]


def test_an_in_progress_sitting_past_its_deadline_reads_as_submitted(
    signed_in, session, org, employer, clock
):
    candidate = make_candidate(session, org, name="Walked Away")
    endorsement = endorse(session, candidate, org, employer)
    start_sitting(session, candidate, endorsement, START - timedelta(minutes=10))
    session.commit()
    clock.advance(hours=2)
    rows = export(signed_in)
    assert rows[0]["status"] in ("Awaiting marking", "Awaiting release")
    session.expire_all()
    sitting = session.scalar(select(Sitting).where(Sitting.endorsement_id == endorsement.id))
    assert sitting.status == "submitted" and sitting.submitted_by == "deadline"


def test_the_status_follows_the_latest_sitting_under_the_endorsement(
    signed_in, session, org, employer
):
    endorsement = staff_in_state(session, org, employer, "not_passed", name="Resitter")
    sitting_for(session, endorsement, status="in_progress", started=START - timedelta(minutes=5))
    assert export(signed_in)[0]["status"] == "In progress"


# -- what the employer sees of one member of staff -----------------------------------------
def test_the_staff_page_shows_outcome_and_dates_never_answers(signed_in, session, org, employer):
    endorsement = staff_in_state(session, org, employer, "passed", name="Amara Okafor")
    page = signed_in.get(f"/employer/staff/{endorsement.id}").get_data(as_text=True)
    assert "Amara Okafor" in page and "accredited until 1 March 2029" in page
    assert "Passed" in page and "NAAS-" in page
    assert "has not chosen to share their profile" in page
    assert "P1:" not in page and "answer" not in visible_text(page).lower()


def test_the_per_area_profile_is_shown_only_when_the_candidate_shares_it(
    app, signed_in, session, org, employer
):
    endorsement = staff_in_state(session, org, employer, "passed", name="Amara Okafor")
    candidate_client = app.test_client()
    candidate = endorsement.candidate
    login(candidate_client, candidate.email)
    share(candidate_client, "yes")
    page = signed_in.get(f"/employer/staff/{endorsement.id}").get_data(as_text=True)
    assert "P1: Relationships" in page and "7.00 of 10 (70%)" in page
    share(candidate_client, "no")
    page = signed_in.get(f"/employer/staff/{endorsement.id}").get_data(as_text=True)
    assert "P1: Relationships" not in page and "has not chosen to share" in page


def test_an_unreleased_result_shows_no_profile_even_when_shared(signed_in, session, org, employer):
    endorsement = staff_in_state(session, org, employer, "awaiting_release")
    endorsement.candidate.profile.share_profile_with_employer = True
    session.commit()
    page = signed_in.get(f"/employer/staff/{endorsement.id}").get_data(as_text=True)
    assert "P1:" not in page and "no released result yet" in page


def test_the_certificate_pdf_is_linked_only_once_that_page_exists(
    app, signed_in, session, org, employer
):
    endorsement = staff_in_state(session, org, employer, "passed")
    page = signed_in.get(f"/employer/staff/{endorsement.id}").get_data(as_text=True)
    assert ("Download the certificate" in page) == ("certificates.pdf" in app.view_functions)


def test_the_staff_page_links_the_pdf_and_the_credential_and_both_download(
    app, signed_in, session, org, employer
):
    endorsement = staff_in_state(session, org, employer, "passed")
    page = signed_in.get(f"/employer/staff/{endorsement.id}").get_data(as_text=True)
    links = re.findall(r'href="(/certificates/[^"]+)"', page)
    assert any(link.endswith(".pdf") for link in links) and any(
        link.endswith("credential.jwt") for link in links
    )
    for link in links:
        assert signed_in.get(link).status_code == 200, link


def test_a_revoked_certificate_offers_no_credential(signed_in, session, org, employer):
    endorsement = staff_in_state(session, org, employer, "revoked")
    page = signed_in.get(f"/employer/staff/{endorsement.id}").get_data(as_text=True)
    assert "Download the certificate" in page and "credential.jwt" not in page


# -- the candidate's consent -----------------------------------------------------------------
def share(client, choice):
    return client.post(
        "/account/sharing", data={"share": choice, "csrf_token": csrf_token(client, "/account")}
    )


def test_a_candidate_chooses_to_share_their_profile_and_it_is_audited(client, session, org, clock):
    candidate = make_candidate(session, org)
    login(client, candidate.email)
    assert "Share your profile" in client.get("/account").get_data(as_text=True)
    assert share(client, "yes").status_code == 302
    session.expire_all()
    assert candidate.profile.share_profile_with_employer is True
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.share_profile"))
    assert (
        event.actor_id == candidate.id
        and event.data == {"from": False, "to": True}
        and event.at == START
    )


def test_choosing_the_same_again_records_nothing(client, session, org, clock):
    candidate = make_candidate(session, org)
    login(client, candidate.email)
    response = share(client, "no")
    assert "already recorded" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.share_profile"))
        is None
    )


def test_a_sharing_choice_that_is_neither_yes_nor_no_changes_nothing(client, session, org, clock):
    candidate = make_candidate(session, org)
    login(client, candidate.email)
    response = share(client, "maybe")
    assert "Nothing was changed" in client.get(response.headers["Location"]).get_data(as_text=True)
    session.expire_all()
    assert candidate.profile.share_profile_with_employer is False


def test_the_sharing_choice_needs_a_csrf_token(client, session, org, clock):
    candidate = make_candidate(session, org)
    login(client, candidate.email)
    assert client.post("/account/sharing", data={"share": "yes"}).status_code == 400
    session.expire_all()
    assert candidate.profile.share_profile_with_employer is False


def test_the_account_page_is_for_candidates_only(signed_in):
    assert signed_in.get("/account").status_code == 403
    assert (
        signed_in.post(
            "/account/sharing",
            data={"share": "yes", "csrf_token": csrf_token(signed_in, "/dashboard")},
        ).status_code
        == 403
    )


def test_the_candidates_dashboard_links_to_the_sharing_choice(client, session, org, clock):
    candidate = make_candidate(session, org)
    login(client, candidate.email)
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/account"' in page and "sees your outcome and its dates" in page


def test_a_certificate_changed_without_the_key_reads_as_unverifiable_not_passed(
    signed_in, session, org, employer
):
    endorsement = staff_in_state(session, org, employer, "expired", name="Altered Dates")
    certificate = session.scalar(
        select(Certificate).where(Certificate.candidate_id == endorsement.candidate_id)
    )
    certificate.expires_on = date(2039, 1, 1)  # someone extends it in the database, without the key
    session.commit()
    page = signed_in.get("/employer/staff").get_data(as_text=True)
    assert "Cannot be verified — contact the issuer" in page and "2039" not in page
    assert "Cannot be verified — contact the issuer: 1" in page
