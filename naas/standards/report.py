"""What an exercise shows: the spread between rounds, and the report (standards, judges'
deviations, agreement, the tier's standard, Hofstee's check, and the effect on released
results). Reads only; the figures come from the pure engine (naas/engine/standards.py)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from naas.bank_store import current_tier_version, tier_from_version
from naas.engine import standards as engine
from naas.marking.services import final_marks
from naas.models import (
    ItemStandard,
    ItemVersion,
    Result,
    Sitting,
    StandardExercise,
    StatisticsRun,
    User,
)
from naas.sitting import services as sitting_services

from .services import item_key, judges, live_item_versions, ratings_of, released_before


# -- facility between rounds ----------------------------------------------------------------------
@dataclass(frozen=True)
class Facility:
    value: float | None
    note: str  # what to show when there is no value

    def __str__(self) -> str:
        return f"{self.value:.2f}" if self.value is not None else self.note


NO_SITTINGS = Facility(None, "no sittings yet")


def facilities(session: Session, tier: str) -> dict[str, Facility]:
    """Each item version's facility from the tier's latest statistics run, by item key."""
    run = session.scalar(
        select(StatisticsRun)
        .where(StatisticsRun.tier == tier)
        .order_by(StatisticsRun.computed_at.desc(), StatisticsRun.id.desc())
        .limit(1)
    )
    items = (run.payload or {}).get("items") if run is not None else None
    if not isinstance(items, dict):
        return {}
    found = {}
    for key, figures in items.items():
        value = figures.get("facility") if isinstance(figures, dict) else None
        found[key] = (
            Facility(float(value), "")
            if isinstance(value, (int, float))
            else Facility(None, "too few sittings")
        )
    return found


@dataclass(frozen=True)
class Spread:
    low: Fraction
    median: Fraction
    high: Fraction
    judges: int


def round1_spread(session: Session, exercise: StandardExercise) -> dict[int, Spread]:
    """Item version id -> the spread of the panel's round-1 ratings, shown to judges in round 2."""
    by_item: dict[int, list[Fraction]] = {}
    for (_, item_version_id), rating in ratings_of(session, exercise, 1).items():
        by_item.setdefault(item_version_id, []).append(rating)
    return {
        i: Spread(min(v), Fraction(statistics.median(v)), max(v), len(v))
        for i, v in by_item.items()
    }


# -- the report -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ItemLine:
    version: ItemVersion
    figures: engine.ItemStandard
    facility: Facility


@dataclass(frozen=True)
class JudgeLine:
    judge: User
    deviation: engine.JudgeDeviation


@dataclass(frozen=True)
class Impact:
    """How released results would be decided under the approved standard."""

    results: int
    pass_to_fail: int
    fail_to_pass: int


@dataclass(frozen=True)
class Report:
    exercise: StandardExercise
    round: int  # whose ratings the figures use
    summary: engine.PanelSummary | None
    items: list[ItemLine]
    judges: list[JudgeLine]
    form_marks: int | None  # marks on a typical form (the blueprint's total)
    hofstee: engine.Hofstee | None
    hofstee_note: str | None
    cohort: int
    impact: Impact | None

    @property
    def form_cut(self) -> float | None:
        if self.summary is None or not self.form_marks:
            return None
        return self.summary.percent * self.form_marks / 100


def report(session: Session, exercise: StandardExercise) -> Report:
    round_ = 1 if exercise.round2_at is None else 2  # the latest round opened
    versions = {v.id: v for v in live_item_versions(session, exercise.tier)}
    if exercise.status == "approved":  # the versions it set standards for, live or since retired
        stored = session.scalars(
            select(ItemVersion)
            .join(ItemStandard, ItemStandard.item_version_id == ItemVersion.id)
            .where(ItemStandard.exercise_id == exercise.id)
        )
        versions = {v.id: v for v in stored}
    panel_judges = {str(j.id): j for j in judges(session, exercise)}
    ratings = {
        (str(u), item_key(versions[i])): r
        for (u, i), r in ratings_of(session, exercise, round_).items()
        if i in versions
    }
    by_key = {item_key(v): v for v in versions.values()}
    found = facilities(session, exercise.tier)
    summary = (
        engine.panel(
            ratings,
            {k: v.marks for k, v in by_key.items()},
            {k: f.value for k, f in found.items() if f.value is not None},
        )
        if ratings
        else None
    )
    items = (
        [ItemLine(by_key[s.item_key], s, found.get(s.item_key, NO_SITTINGS)) for s in summary.items]
        if summary
        else []
    )
    judge_lines = (
        [JudgeLine(panel_judges[d.judge], d) for d in summary.judges if d.judge in panel_judges]
        if summary
        else []
    )
    tier_version = current_tier_version(session, exercise.tier)
    form_marks = tier_from_version(tier_version).blueprint.total_marks if tier_version else None
    percents = cohort_percents(session, exercise.tier)
    hofstee, note = None, None
    min_cut, max_cut = exercise.hofstee_min_cut, exercise.hofstee_max_cut
    min_fail, max_fail = exercise.hofstee_min_fail, exercise.hofstee_max_fail
    if min_cut is None or max_cut is None or min_fail is None or max_fail is None:
        note = "No Hofstee bounds were set for this exercise."
    elif summary is None:
        note = "No ratings yet."
    elif not percents:
        note = "No released results of this tier yet: there is no cohort to compare with."
    else:
        hofstee = engine.hofstee(
            percents,
            min_cut,
            max_cut,
            min_fail / 100,
            max_fail / 100,
            summary.percent,
        )
    impact = (
        released_impact(session, exercise)
        if exercise.status == "approved" and exercise.released_decision is None
        else None
    )
    return Report(
        exercise,
        round_,
        summary,
        items,
        judge_lines,
        form_marks,
        hofstee,
        note,
        len(percents),
        impact,
    )


def cohort_percents(session: Session, tier: str) -> list[float]:
    """The tier's released, final results as percentages of their forms' marks."""
    rows = session.execute(
        select(Result.total, Result.max_marks)
        .join(Sitting, Sitting.id == Result.sitting_id)
        .where(Sitting.tier == tier, Result.released_at.is_not(None), Result.status == "final")
    )
    return [float(total / marks * 100) for total, marks in rows if marks]


def released_impact(session: Session, exercise: StandardExercise) -> Impact:
    """Re-decide, without storing anything, every result released before approval against the
    exercise's standards, and count the decisions that would change."""
    standards = dict(
        session.execute(
            select(ItemStandard.item_version_id, ItemStandard.standard).where(
                ItemStandard.exercise_id == exercise.id
            )
        ).all()
    )
    affected = released_before(session, exercise)
    to_fail = to_pass = 0
    for result, sitting in affected:
        loaded = sitting_services.load_form(session, sitting.form)
        outcome = sitting_services.score(
            loaded,
            sitting_services.responses_of(session, sitting),
            final_marks(session, sitting),
            standards,
        )
        if result.passed and outcome.passed is False:
            to_fail += 1
        elif result.passed is False and outcome.passed:
            to_pass += 1
    return Impact(len(affected), to_fail, to_pass)
