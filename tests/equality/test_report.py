"""The fairness report on a simulated cohort with planted group answers: it finds the planted
DIF, suppresses small groups, is computed by a command and kept, and an admin can send a
flagged item to review."""

from __future__ import annotations

import json

import numpy as np
from sqlalchemy import select

from naas.equality import services
from naas.equality.report import _suppress, flag, score_bands
from naas.models import AuditEvent, FairnessRun, ItemReviewNote

from ..helpers import PASSWORD, csrf_token, login
from .conftest import NOW


def group(payload, key, label):
    question = next(q for q in payload["groups"] if q["key"] == key)
    return next(g for g in question["groups"] if g["label"] == label)


def dif(entry, comparison):
    return next(d for d in entry["dif"] if d["comparison"] == comparison)


# -- pure rules ------------------------------------------------------------------------------
def test_matching_bands_hold_at_least_ten_and_keep_equal_scores_together():
    percent = np.repeat(np.arange(0, 100, 5, dtype=float), 3)  # 60 candidates, 20 score levels
    bands = score_bands(percent)
    assert np.bincount(bands).min() >= 10
    for level in np.unique(percent):
        assert len(set(bands[percent == level])) == 1
    assert (np.diff(bands[np.argsort(percent, kind="stable")]) >= 0).all()


def test_one_small_group_suppresses_the_next_smallest_so_it_cannot_be_worked_out():
    rows = [{"n": n, "pass_rate": {}, "score": {}} for n in (40, 12, 4, 0)]
    _suppress(rows)
    assert [r["suppressed"] for r in rows] == [False, True, True, True]
    assert (
        rows[0]["n"] == 40 and rows[1]["n"] is None and rows[2]["pass_rate"] == {"suppressed": True}
    )


def test_two_small_groups_need_no_secondary_suppression():
    rows = [{"n": n, "pass_rate": {}, "score": {}} for n in (40, 12, 4, 3)]
    _suppress(rows)
    assert [r["suppressed"] for r in rows] == [False, False, True, True]


def test_the_flag_rule_class_c_or_class_b_for_two_characteristics():
    def results(*pairs):
        return [{"comparison": c, "category": k} for c, k in pairs]

    assert flag(results(("ethnicity", "C")))[0]
    assert flag(results(("ethnicity", "B"), ("age", "B")))[0]
    b_once = flag(results(("ethnicity", "B"), ("ethnicity-black", "B"), ("sex", "A")))
    assert b_once[:2] == (False, True)  # one characteristic, twice: watched, not flagged
    assert flag(results(("ethnicity", "A"), ("age", None))) == (False, False, "")


# -- on the cohort -----------------------------------------------------------------------------
def test_the_report_finds_the_planted_dif_and_suppresses_small_groups(session, planted_large):
    planted = planted_large
    run = services.compute(session, "practitioner", "released", actor_id=None, now=NOW)
    session.commit()
    payload = session.get(FairnessRun, run.id).payload
    assert payload["sittings"] == 160 and payload["with_answers"] == 160
    entry = payload["items"][planted]
    found = dif(entry, "ethnicity")
    assert entry["method"] == "MH" and found["category"] == "C" and found["statistic"] < -1.5
    assert found["favours"] == "reference" and found["p_value"] < 0.01 and entry["flagged"]
    assert dif(entry, "ethnicity-black")["category"] == "C"
    single_mark = [e for e in payload["items"].values() if e["method"] == "MH"]
    largest = max(single_mark, key=lambda e: abs(dif(e, "ethnicity")["statistic"] or 0))
    assert (
        largest["info"]["key"] == planted
    )  # the planted item stands out from the other single-mark items
    # the focal group does worse overall, as planted; both groups are reported with intervals
    white, black = (
        group(payload, "ethnic_broad", "White"),
        group(payload, "ethnic_broad", "Black, Black British, Caribbean or African"),
    )
    assert white["n"] + black["n"] == 160
    assert white["pass_rate"]["low"] <= white["pass_rate"]["value"] <= white["pass_rate"]["high"]
    assert white["score"]["mean"] > black["score"]["mean"]
    # five said they are disabled: that group, and (to protect it) the other, show nothing
    disabled, not_disabled = group(payload, "disability", "Yes"), group(payload, "disability", "No")
    assert (
        disabled["suppressed"]
        and disabled["n"] is None
        and disabled["pass_rate"] == {"suppressed": True}
    )
    assert not_disabled["suppressed"] and not_disabled.get("secondary")
    assert all(
        dif(e, "disability")["too_few"] and dif(e, "disability")["n_focal"] is None
        for e in payload["items"].values()
    )
    # no one chose Mixed, prefer-not or gave no answer: nothing shown, nothing computed
    assert group(payload, "ethnic_broad", "No answer")["suppressed"]
    # written answers: marks and moderation share by group
    markers = next(m for m in payload["markers"] if m["comparison"] == "ethnicity")
    assert markers["items"] and not markers["overall"]["reference"]["mark"]["suppressed"]
    assert "candidate" not in json.dumps(payload)  # aggregates only: no one is named
    assert (
        session.scalar(select(AuditEvent).where(AuditEvent.action == "fairness.computed"))
        is not None
    )


def test_withdrawn_answers_are_left_out_of_the_report(session, planted):
    from naas.models import User
    from naas.statistics.data import load_tier

    # the first 55 candidates by id (the rows' order is not fixed without ORDER BY): which five
    # keep their answers decides which groups are too small to show
    candidates = sorted(set(load_tier(session, "practitioner", "released").candidate_ids.tolist()))
    for candidate_id in candidates[:55]:
        services.withdraw(session, session.get(User, candidate_id), NOW)
    session.commit()
    payload = services.compute(session, "practitioner", "released", actor_id=None, now=NOW).payload
    assert payload["with_answers"] == 5
    # the 55 count as giving no answer; the figure is shown unless the small groups left beside
    # it make it suppressed too (which of the cohort's groups the five fall in varies)
    no_answer = group(payload, "ethnic_broad", "No answer")
    assert no_answer["suppressed"] or no_answer["n"] == 55
    assert all(dif(e, "ethnicity")["too_few"] for e in payload["items"].values())


def test_the_command_computes_keeps_and_prints_the_report(app, runner, session, planted):
    result = runner.invoke(args=["stats", "fairness", "--tier", "practitioner"])
    assert result.exit_code == 0, result.output
    assert "60 released sitting(s), 60 with equality answers" in result.output
    assert (
        "White and all other ethnic groups:" in result.output
        and "item version(s) flagged" in result.output
    )
    assert session.scalar(select(FairnessRun)) is not None
    unknown = runner.invoke(args=["stats", "fairness", "--tier", "wizard"])
    assert unknown.exit_code == 1 and "unknown tier 'wizard'" in unknown.output


def test_the_admin_report_shows_it_and_sends_a_flagged_item_to_review(
    app, session, planted_large, make_admin
):
    planted = planted_large
    client = app.test_client()
    login(client, make_admin.email, PASSWORD)
    assert "No fairness report has been computed" in client.get(
        "/admin/fairness/practitioner"
    ).get_data(as_text=True)
    run = services.compute(session, "practitioner", "released", actor_id=None, now=NOW)
    session.commit()
    page = client.get("/admin/fairness/practitioner").get_data(as_text=True)
    assert (
        "Outcomes by group" in page
        and "fewer than 10" in page
        and planted in page
        and "Flagged" in page
    )
    assert "markers never see" in page
    assert "Not computed yet" not in client.get("/admin/fairness/").get_data(as_text=True)
    url = f"/admin/fairness/practitioner/items/{planted}"
    assert "White and all other ethnic groups" in client.get(url).get_data(as_text=True)
    empty = client.post(url, data={"csrf_token": csrf_token(client, url), "note": "  "})
    assert empty.status_code == 422 and "There is a problem" in empty.get_data(as_text=True)
    assert client.post(url, data={"note": "No token."}).status_code == 400
    sent = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "note": "Harder for Black candidates at equal total: check the wording.",
        },
    )
    assert sent.status_code == 302
    note = session.scalar(select(ItemReviewNote))
    assert (
        note.source == "fairness"
        and note.item_version_id == run.payload["items"][planted]["item_version_id"]
    )
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "item.review_note"))
    assert event.data["source"] == "fairness" and event.actor_id == make_admin.id
    calm = next(k for k, e in run.payload["items"].items() if not e["flagged"] and not e["watch"])
    refused = client.post(
        f"/admin/fairness/practitioner/items/{calm}",
        data={"csrf_token": csrf_token(client, url), "note": "Look at this."},
    )
    assert refused.status_code == 422 and "nothing to send" in refused.get_data(as_text=True)
    assert client.get("/admin/fairness/wizard").status_code == 404
    assert client.get("/admin/fairness/practitioner/items/nope@1").status_code == 404


def test_an_admin_computes_the_fairness_report_as_a_job(app, session, planted, make_admin):
    client = app.test_client()
    login(client, make_admin.email, PASSWORD)
    token = csrf_token(client, "/admin/fairness/")
    answer = client.post("/admin/fairness/practitioner/compute", data={"csrf_token": token})
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/admin/jobs/")
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Finished." in page and "Computed the fairness report for practitioner" in page
    assert services.latest(session, "practitioner").computed_by == make_admin.id
    assert "Not computed yet" not in client.get("/admin/fairness/").get_data(as_text=True)
    wizard = client.post("/admin/fairness/wizard/compute", data={"csrf_token": token})
    assert wizard.status_code == 404
    assert client.post("/admin/fairness/practitioner/compute").status_code == 400  # no token
