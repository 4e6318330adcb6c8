"""Demo data: a standard-setting panel of five simulated judges who have rated every live item
version of the tier in both rounds, left for an admin to review and approve. Each judge's
rating is the expected mark of a borderline candidate under the cohort's simulation model,
with a lean of their own and some noise; in round 2 each moves halfway to the panel's mean."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from random import Random

from sqlalchemy import select
from sqlalchemy.orm import Session

from naas.auth.services import create_user, find_user
from naas.models import ItemVersion, StandardExercise
from naas.statistics.cohort import p_right

from . import services

BORDERLINE = -0.2  # the simulated borderline candidate's ability
JUDGES = 5


def seed(session: Session, tier: str, emails: list[str], now: datetime) -> str | None:
    if (
        session.scalar(select(StandardExercise.id).where(StandardExercise.tier == tier).limit(1))
        is not None
    ):
        return None  # the demo's panel exists already (or an admin has run one)
    rng = Random(f"standards:{tier}")
    admin = find_user(session, "admin@demo.naas.test")
    if admin is None:  # not the demo database
        return None
    judges = []
    for number in range(1, JUDGES + 1):
        email = f"panel-{tier}-{number}@example.org"
        judges.append(
            find_user(session, email)
            or create_user(
                session,
                email=email,
                name=f"Simulated panel member {number} ({tier})",
                roles=("standard_setter",),
            )
        )
    session.flush()
    bounds = services.check_hofstee(
        {
            "hofstee_min_cut": 50.0,
            "hofstee_max_cut": 70.0,
            "hofstee_min_fail": 10.0,
            "hofstee_max_fail": 40.0,
        }
    )
    exercise = services.create_exercise(session, tier, f"Demo panel ({tier})", bounds, admin, now)
    for judge in judges:
        services.add_judge(session, exercise, judge.email, admin, now)
    versions = services.live_item_versions(session, tier)
    leans = {judge.id: rng.gauss(0, 0.06) for judge in judges}
    first: dict[tuple[int, int], float] = {}
    for judge in judges:
        for version in versions:
            share = p_right(BORDERLINE, version.item_id) + leans[judge.id] + rng.gauss(0, 0.08)
            first[(judge.id, version.id)] = min(1.0, max(0.0, share)) * version.marks
        services.save_ratings(session, exercise, judge, 1, _as_text(first, judge.id, versions), now)
    services.begin_round2(session, exercise, admin, now)
    final = {}
    for version in versions:
        mean = sum(first[(j.id, version.id)] for j in judges) / len(judges)
        for judge in judges:
            final[(judge.id, version.id)] = (first[(judge.id, version.id)] + mean) / 2
    for judge in judges:
        services.save_ratings(session, exercise, judge, 2, _as_text(final, judge.id, versions), now)
    return (
        f"a standard-setting panel of {JUDGES} simulated judges has rated {len(versions)} item versions in "
        "both rounds, ready for an admin to approve"
    )


def _as_text(
    ratings: dict[tuple[int, int], float], judge_id: int, versions: list[ItemVersion]
) -> dict[int, str]:
    """Ratings as a judge types them: to a quarter of a mark."""
    return {v.id: str(Fraction(round(ratings[(judge_id, v.id)] * 4), 4)) for v in versions}
