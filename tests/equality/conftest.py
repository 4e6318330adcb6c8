"""Equality fixtures: the sitting tests' small bank and endorsed candidate, and the statistics
tests' simulated cohort given planted equality answers."""

from __future__ import annotations

from datetime import timedelta
from random import Random

import pytest

from naas.equality import services
from naas.models import User
from naas.statistics.cohort import seed_cohort
from naas.statistics.data import load_tier

from ..helpers import PASSWORD, login, make_user
from ..sitting.conftest import START, Clock, candidate, clock, employer, loaded, org, small_bank  # noqa: F401
from ..statistics.conftest import cohort  # noqa: F401

ANSWERS = {
    "ethnic_group": "white-gypsy-traveller",
    "sex": "female",
    "age_band": "45-54",
    "disability": "yes",
    "years_qualified": "10-plus",
    "practice_setting": "youth-justice",
}
# labels that appear nowhere else on the platform's pages
DISTINCTIVE = ("Gypsy or Irish Traveller", "Youth justice")
NOW = START + timedelta(days=60)


@pytest.fixture
def signed_in(app, candidate):  # noqa: F811
    client = app.test_client()
    assert login(client, candidate.email, PASSWORD).status_code == 302
    return client


@pytest.fixture
def make_admin(session):
    return make_user(session, "admin", name="Admin Fairness")


def plant(session, tier: str = "practitioner", seed: int = 17, disabled: int = 5) -> str:
    """Give the cohort's candidates equality answers so that one single-mark item is harder for
    Black candidates at the same total score: of the sittings that met it, three in four who got
    it wrong are Black and three in four who got it right are White (the exceptions spread over
    the range of total scores); elsewhere the two are mixed at random. Age, sex and years since
    qualifying are independent of everything. `disabled` candidates say they are disabled (a
    group too small to report), the rest say not. Returns the planted item's key."""
    data = load_tier(session, tier, "released")
    responses = data.responses
    totals = responses.totals()
    singles = [i for i, info in enumerate(data.items) if info.type == "single"]

    def information(i: int) -> float:  # DIF shows best on a well-sat item of middling difficulty
        scores = responses.score[responses.item == i]
        return len(scores) * scores.mean() * (1 - scores.mean())

    target = max(singles, key=information)
    on_target = responses.item == target
    score_on_target = dict(
        zip(
            responses.sitting[on_target].tolist(),
            responses.score[on_target].tolist(),
            strict=True,
        )
    )
    rng = Random(seed)
    black = {}
    for right in (0.0, 1.0):
        met = sorted(
            (s for s, v in score_on_target.items() if v == right), key=lambda s: (totals[s], s)
        )
        for rank, sitting in enumerate(met):
            black[sitting] = (right == 0.0) != (rank % 6 == 2)
    for index, candidate_id in enumerate(data.candidate_ids.tolist()):
        is_black = black[index] if index in black else rng.random() < 0.5
        answers = {
            "ethnic_group": rng.choice(["black-african", "black-caribbean"])
            if is_black
            else "white-british",
            "sex": rng.choice(["female", "male"]),
            "age_band": rng.choice(["25-34", "35-44", "45-54", "55-64"]),
            "disability": "yes" if index < disabled else "no",
            "years_qualified": rng.choice(["under-2", "2-5", "5-10", "10-plus"]),
            "practice_setting": "la-cin-cp",
        }
        services.save_answers(session, session.get(User, int(candidate_id)), answers, True, NOW)
    session.commit()
    return data.items[target].key


@pytest.fixture
def planted(session, cohort):  # noqa: F811
    """The statistics tests' cohort of 60, with planted answers."""
    return plant(session)


@pytest.fixture
def planted_large(session, loaded):  # noqa: F811
    """A cohort of 160 with planted answers: enough sittings per item (about 80) for DIF to be
    found reliably, where 60 (about 30 per item) leaves it to chance."""
    seed_cohort(session, "practitioner", 160, START + timedelta(days=40))
    session.commit()
    return plant(session)
