"""Statistics computed from the database agree with the results and with the engine."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from naas.models import Result, Script, StatisticsRun
from naas.statistics import services
from naas.statistics.data import load_tier

from ..sitting.conftest import START


def test_the_cohort_sits_marks_and_releases_through_the_real_services(session, cohort):
    assert cohort.candidates == 60 and cohort.released == 60
    assert session.scalar(select(func.count(Script.id)).where(Script.status != "final")) == 0
    assert 0 < cohort.passed < 60  # abilities spread: some pass, some do not


def test_loaded_scores_add_up_to_every_results_total(session, cohort):
    data = load_tier(session, "practitioner", "released")
    totals = data.responses.totals()
    results = dict(session.execute(select(Result.sitting_id, Result.total)).all())
    for sitting_id, total in zip(data.sitting_ids, totals, strict=True):
        assert total == pytest.approx(float(results[int(sitting_id)]))
    assert data.sittings == 60 and len(data.items) == 16  # four scenarios of four items


def test_a_run_keeps_item_figures_flags_and_the_time_it_was_computed(session, cohort):
    now = START + timedelta(days=50)
    run = services.compute(session, "practitioner", "released", actor_id=None, now=now)
    session.commit()
    stored = session.get(StatisticsRun, run.id)
    assert stored.computed_at == now and stored.sittings == 60 and stored.seconds >= 0
    items = stored.payload["items"]
    first = items["p-case-a-1@1"]
    assert first["info"]["type"] == "single" and (first["n"] >= 30) != first["too_few"]
    written = max(
        (e for e in items.values() if e["info"]["type"] == "free_text"), key=lambda e: e["n"]
    )
    assert sum(written["mark_counts"]) == written["n"]
    csv_text = services.to_csv(stored)
    assert csv_text.splitlines()[0].startswith("item,version,scenario,type")
    assert len(csv_text.splitlines()) == 1 + len(items)


def test_too_few_sittings_are_said_in_words(session, loaded):
    run = services.compute(session, "practitioner", "released", actor_id=None, now=START)
    assert run.sittings == 0 and run.payload["tier"]["too_few"] is True
    assert run.payload["items"] == {}


def test_a_review_note_needs_words_and_a_known_item(session, cohort, make_admin):
    run = services.compute(
        session, "practitioner", "released", actor_id=None, now=START + timedelta(days=50)
    )
    with pytest.raises(services.StatisticsRefused, match="Write the note"):
        services.add_review_note(session, run, "p-case-a-1@1", "  ", make_admin.id, START)
    with pytest.raises(services.StatisticsRefused, match="not in these statistics"):
        services.add_review_note(session, run, "p-nothing-1@1", "Look at it", make_admin.id, START)
    note = services.add_review_note(
        session, run, "p-case-a-1@1", "Distractor b draws the strongest.", make_admin.id, START
    )
    assert (
        note.source == "statistics"
        and note.item_version_id == run.payload["item_versions"]["p-case-a-1@1"]
    )


def test_totals_are_numpy_sums_of_the_responses(session, cohort):
    data = load_tier(session, "practitioner", "submitted")
    manual = np.zeros(data.sittings)
    for s, score in zip(data.responses.sitting, data.responses.score, strict=True):
        manual[s] += score
    assert np.allclose(manual, data.responses.totals())
