"""Standard-setting exercises (modified Angoff): the panel, the two rounds of ratings, approval,
and what happens to results already released.

Every change goes through a function here that also writes its audit record. Time (`now`) and
the acting user are parameters; nothing here reads a clock. A refusal raises StandardsRefused
before anything is written, so a refused request stores nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from naas import audit
from naas.bank import Scenario
from naas.bank_store import current_tier_version, scenario_from_version
from naas.certificates.services import issue_for_result, revoke_for_result
from naas.engine.items import ItemType
from naas.engine.standards import MIN_JUDGES, trimmed_mean
from naas.marking.services import refresh_result
from naas.models import (
    ItemStandard,
    ItemVersion,
    Result,
    ScenarioVersion,
    Sitting,
    StandardExercise,
    StandardJudge,
    StandardRating,
    User,
)

JUDGE_ROLES = ("standard_setter", "assessor")
OPEN = ("round1", "round2")


class StandardsRefused(Exception):
    """An operation the rules refuse; `problems` maps a form field (or "" for the page) to
    what is wrong with it."""

    def __init__(
        self, message: str, problems: Mapping[str, str] | None = None, code: str = "refused"
    ):
        super().__init__(message)
        self.message = message
        self.problems = dict(problems or {})
        self.code = code


# -- the items an exercise rates ------------------------------------------------------------
@dataclass(frozen=True)
class ExerciseItem:
    version: ItemVersion
    item: ItemType

    @property
    def key(self) -> str:
        return item_key(self.version)


@dataclass(frozen=True)
class Page:
    """One scenario's live items: a judge rates them on one page, with the case in front of them."""

    number: int
    scenario: Scenario
    items: tuple[ExerciseItem, ...]


def item_key(version: ItemVersion) -> str:
    """How statistics runs name an item version (naas/models/statistics.py)."""
    return f"{version.item_id}@{version.version}"


def live_item_versions(session: Session, tier: str) -> list[ItemVersion]:
    """Every live item version of the tier: what the panel must rate. A bank loaded during an
    exercise changes the list (a new version must be rated before approval)."""
    return list(
        session.scalars(
            select(ItemVersion)
            .join(ScenarioVersion, ScenarioVersion.id == ItemVersion.scenario_version_id)
            .where(ScenarioVersion.tier == tier, ScenarioVersion.status == "live")
            .order_by(ScenarioVersion.scenario_id, ItemVersion.position)
        )
    )


def pages(session: Session, tier: str) -> list[Page]:
    result: list[Page] = []
    by_scenario: dict[int, list[ItemVersion]] = {}
    for version in live_item_versions(session, tier):
        by_scenario.setdefault(version.scenario_version_id, []).append(version)
    for number, versions in enumerate(by_scenario.values()):
        scenario = scenario_from_version(versions[0].scenario_version)
        items = {i.id: i for i in scenario.items}
        result.append(
            Page(number, scenario, tuple(ExerciseItem(v, items[v.item_id]) for v in versions))
        )
    return result


# -- exercises and their panel ----------------------------------------------------------------
@dataclass(frozen=True)
class HofsteeBounds:
    """The panel's acceptable range of cut score and of failure rate, both in percent."""

    min_cut: float
    max_cut: float
    min_fail: float
    max_fail: float


def check_hofstee(values: Mapping[str, float | None]) -> HofsteeBounds | None:
    """All four bounds, or none of them; each a percentage, each minimum below its maximum."""
    given = {k: v for k, v in values.items() if v is not None}
    if not given:
        return None
    problems = {k: "Give all four Hofstee bounds, or none." for k in values if values[k] is None}
    for name, value in given.items():
        if not 0 <= value <= 100:
            problems[name] = "A Hofstee bound is a percentage from 0 to 100."
    if not problems:  # then all four are given
        if given["hofstee_min_cut"] >= given["hofstee_max_cut"]:
            problems["hofstee_max_cut"] = "The highest acceptable cut must be above the lowest."
        if given["hofstee_min_fail"] >= given["hofstee_max_fail"]:
            problems["hofstee_max_fail"] = (
                "The highest acceptable failure rate must be above the lowest."
            )
    if problems:
        raise StandardsRefused("The Hofstee bounds were not accepted.", problems)
    return HofsteeBounds(
        given["hofstee_min_cut"],
        given["hofstee_max_cut"],
        given["hofstee_min_fail"],
        given["hofstee_max_fail"],
    )


def create_exercise(
    session: Session,
    tier: str,
    title: str,
    hofstee: HofsteeBounds | None,
    actor: User,
    now: datetime,
) -> StandardExercise:
    if current_tier_version(session, tier) is None:
        raise StandardsRefused(
            f"There is no tier called {tier!r} in the loaded bank.", {"tier": "Choose a tier."}
        )
    if not live_item_versions(session, tier):
        raise StandardsRefused(
            f"{tier} has no live items to rate.", {"tier": f"{tier} has no live items to rate."}
        )
    running = session.scalar(
        select(StandardExercise).where(
            StandardExercise.tier == tier, StandardExercise.status.in_(OPEN)
        )
    )
    if running is not None:
        message = f"{tier} already has an exercise under way ({running.title}): finish it first."
        raise StandardsRefused(message, {"tier": message})
    exercise = StandardExercise(
        tier=tier, title=title.strip(), status="round1", created_by=actor.id, created_at=now
    )
    if hofstee is not None:
        exercise.hofstee_min_cut, exercise.hofstee_max_cut = hofstee.min_cut, hofstee.max_cut
        exercise.hofstee_min_fail, exercise.hofstee_max_fail = hofstee.min_fail, hofstee.max_fail
    session.add(exercise)
    session.flush()
    audit.record(
        session,
        action="standards.create",
        subject_type="standard_exercise",
        subject_id=exercise.id,
        actor_id=actor.id,
        now=now,
        data={
            "tier": tier,
            "title": exercise.title,
            "hofstee": hofstee.__dict__ if hofstee else None,
        },
    )
    return exercise


def judges(session: Session, exercise: StandardExercise) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(StandardJudge, StandardJudge.user_id == User.id)
            .where(StandardJudge.exercise_id == exercise.id)
            .order_by(User.name, User.id)
        )
    )


def is_judge(session: Session, exercise: StandardExercise, user: User) -> bool:
    return (
        session.scalar(
            select(StandardJudge.id).where(
                StandardJudge.exercise_id == exercise.id, StandardJudge.user_id == user.id
            )
        )
        is not None
    )


def judge_exercises(session: Session, user: User) -> list[StandardExercise]:
    return list(
        session.scalars(
            select(StandardExercise)
            .join(StandardJudge)
            .where(StandardJudge.user_id == user.id)
            .order_by(StandardExercise.created_at.desc(), StandardExercise.id.desc())
        )
    )


def _panel_open(exercise: StandardExercise) -> None:
    if exercise.status != "round1":
        raise StandardsRefused(
            "The panel is fixed once round 2 has begun: judges can be added or removed "
            "only in round 1."
        )


def add_judge(
    session: Session, exercise: StandardExercise, email: str, actor: User, now: datetime
) -> User:
    _panel_open(exercise)
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        raise StandardsRefused(
            "No active account has that email address.",
            {"email": "No active account has that email address."},
        )
    if not user.has_role(*JUDGE_ROLES):
        message = f"{user.name} is neither a standard setter nor an assessor: give them the standard_setter role first."
        raise StandardsRefused(message, {"email": message})
    if is_judge(session, exercise, user):
        raise StandardsRefused(
            f"{user.name} is already on this panel.",
            {"email": f"{user.name} is already on this panel."},
        )
    try:
        with session.begin_nested():
            session.add(StandardJudge(exercise_id=exercise.id, user_id=user.id, added_at=now))
    except IntegrityError:  # the same judge added twice at once
        raise StandardsRefused(f"{user.name} is already on this panel.") from None
    audit.record(
        session,
        action="standards.judge_add",
        subject_type="standard_exercise",
        subject_id=exercise.id,
        actor_id=actor.id,
        now=now,
        data={"judge_id": user.id},
    )
    return user


def remove_judge(
    session: Session, exercise: StandardExercise, user_id: int, actor: User, now: datetime
) -> User:
    """A judge's ratings stay stored but no longer count: only the panel's judges are counted."""
    _panel_open(exercise)
    row = session.scalar(
        select(StandardJudge).where(
            StandardJudge.exercise_id == exercise.id, StandardJudge.user_id == user_id
        )
    )
    if row is None:
        raise StandardsRefused("That person is not on this panel.")
    user = session.get_one(User, user_id)
    session.delete(row)
    session.flush()
    audit.record(
        session,
        action="standards.judge_remove",
        subject_type="standard_exercise",
        subject_id=exercise.id,
        actor_id=actor.id,
        now=now,
        data={"judge_id": user_id},
    )
    return user


# -- ratings --------------------------------------------------------------------------------------
_NUMBER = re.compile(r"[+-]?(\d+(\.\d+)?|\.\d+)|[+-]?\d+/\d+")


def parse_rating(raw: str, marks: int) -> Fraction:
    """A rating as typed (2, 0.5, 1.25 or 1/3), exactly; ValueError with the judge's message."""
    text = raw.strip()
    if len(text) > 20 or not _NUMBER.fullmatch(text):
        raise ValueError(f"Enter a number from 0 to {marks}, such as 0.5 or 1.25.")
    try:
        value = Fraction(text)
    except ZeroDivisionError:
        raise ValueError(f"Enter a number from 0 to {marks}, such as 0.5 or 1.25.") from None
    if not 0 <= value <= marks:
        raise ValueError(f"Enter a number from 0 to {marks}: this item is worth {marks} mark(s).")
    return value


def rating_text(value: Fraction) -> str:
    """A rating as a judge would type it: 0.5, 1.25, 2; a third stays 1/3 (re-entered exactly)."""
    for places in range(5):
        scaled = value * 10**places
        if scaled.denominator == 1:
            return str(Decimal(scaled.numerator).scaleb(-places))
    return f"{value.numerator}/{value.denominator}"


def current_round(exercise: StandardExercise) -> int | None:
    return {"round1": 1, "round2": 2}.get(exercise.status)


def ratings_of(
    session: Session, exercise: StandardExercise, round_: int, user_id: int | None = None
) -> dict[tuple[int, int], Fraction]:
    """(user id, item version id) -> rating, counting only the panel's current judges."""
    query = (
        select(StandardRating.user_id, StandardRating.item_version_id, StandardRating.rating)
        .join(
            StandardJudge,
            (StandardJudge.exercise_id == StandardRating.exercise_id)
            & (StandardJudge.user_id == StandardRating.user_id),
        )
        .where(StandardRating.exercise_id == exercise.id, StandardRating.round == round_)
    )
    if user_id is not None:
        query = query.where(StandardRating.user_id == user_id)
    return {(u, i): r for u, i, r in session.execute(query)}


def save_ratings(
    session: Session,
    exercise: StandardExercise,
    judge: User,
    round_: int,
    raw: Mapping[int, str],
    now: datetime,
) -> int:
    """Store a page of one judge's ratings (item version id -> what they typed), all or none.

    Saving the same page again changes nothing; a changed value replaces the judge's rating
    for this round, until the round closes. Blank values are left unrated. Returns how many
    ratings changed."""
    if not is_judge(session, exercise, judge):
        raise StandardsRefused(
            "You are not on this exercise's panel: your ratings were not saved.", code="not_judge"
        )
    if current_round(exercise) != round_:
        closed = "approved" if exercise.status == "approved" else "closed"
        raise StandardsRefused(
            f"Round {round_} of this exercise is {closed}: your ratings were not saved.",
            code="closed",
        )
    items = {v.id: v for v in live_item_versions(session, exercise.tier)}
    problems: dict[str, str] = {}
    values: dict[int, Fraction] = {}
    for item_version_id, text in raw.items():
        version = items.get(item_version_id)
        if version is None:
            problems[f"rating-{item_version_id}"] = (
                "An item that is not in this exercise was rated: reload the page and try again."
            )
            continue
        if not text.strip():
            continue
        try:
            values[item_version_id] = parse_rating(text, version.marks)
        except ValueError as exc:
            problems[f"rating-{item_version_id}"] = f"{version.item_id}: {exc}"
    if problems:
        raise StandardsRefused(
            "Your ratings were not saved: correct the problems below.", problems, code="invalid"
        )
    try:
        with session.begin_nested():
            changed = _store(session, exercise, judge, round_, values, now)
    except IntegrityError:
        # the same page saved twice at once: the other save inserted first, so this one updates
        with session.begin_nested():
            changed = _store(session, exercise, judge, round_, values, now)
    if changed:
        audit.record(
            session,
            action="standards.rate",
            subject_type="standard_exercise",
            subject_id=exercise.id,
            actor_id=judge.id,
            now=now,
            data={
                "round": round_,
                "ratings": {item_key(items[i]): str(v) for i, v in changed.items()},
            },
        )
    return len(changed)


def _store(
    session: Session,
    exercise: StandardExercise,
    judge: User,
    round_: int,
    values: dict[int, Fraction],
    now: datetime,
) -> dict[int, Fraction]:
    existing = {
        r.item_version_id: r
        for r in session.scalars(
            select(StandardRating).where(
                StandardRating.exercise_id == exercise.id,
                StandardRating.user_id == judge.id,
                StandardRating.round == round_,
                StandardRating.item_version_id.in_(values),
            )
        )
    }
    changed = {}
    for item_version_id, value in values.items():
        row = existing.get(item_version_id)
        if row is None:
            session.add(
                StandardRating(
                    exercise_id=exercise.id,
                    user_id=judge.id,
                    item_version_id=item_version_id,
                    round=round_,
                    rating=value,
                    rated_at=now,
                )
            )
        elif row.rating != value:
            row.rating, row.rated_at = value, now
        else:
            continue
        changed[item_version_id] = value
    session.flush()
    return changed


# -- progress, rounds and approval -------------------------------------------------------------
@dataclass(frozen=True)
class JudgeProgress:
    judge: User
    round1: int
    round2: int


@dataclass(frozen=True)
class Progress:
    items: int
    judges: list[JudgeProgress] = field(default_factory=list)

    def missing(self, round_: int) -> list[JudgeProgress]:
        return [j for j in self.judges if (j.round1 if round_ == 1 else j.round2) < self.items]


def progress(session: Session, exercise: StandardExercise) -> Progress:
    items = [v.id for v in live_item_versions(session, exercise.tier)]
    counts = (
        {
            (user_id, round_): count
            for user_id, round_, count in session.execute(
                select(StandardRating.user_id, StandardRating.round, func.count())
                .where(
                    StandardRating.exercise_id == exercise.id,
                    StandardRating.item_version_id.in_(items),
                )
                .group_by(StandardRating.user_id, StandardRating.round)
            )
        }
        if items
        else {}
    )
    return Progress(
        len(items),
        [
            JudgeProgress(j, counts.get((j.id, 1), 0), counts.get((j.id, 2), 0))
            for j in judges(session, exercise)
        ],
    )


def _names(rows: list[JudgeProgress], round_: int, items: int) -> str:
    return "; ".join(
        f"{r.judge.name} has rated {r.round1 if round_ == 1 else r.round2} of {items}" for r in rows
    )


def round2_problems(session: Session, exercise: StandardExercise) -> list[str]:
    if exercise.status != "round1":
        return [f"Round 2 can begin only from round 1; this exercise is {status_label(exercise)}."]
    state = progress(session, exercise)
    problems = []
    if len(state.judges) < MIN_JUDGES:
        problems.append(
            f"The panel has {len(state.judges)} judge(s); it needs at least {MIN_JUDGES}, and judges "
            "cannot be added after round 1."
        )
    if state.missing(1):
        problems.append(
            f"Not every judge has rated every item in round 1: {_names(state.missing(1), 1, state.items)}."
        )
    return problems


def begin_round2(session: Session, exercise: StandardExercise, actor: User, now: datetime) -> None:
    problems = round2_problems(session, exercise)
    if problems:
        raise StandardsRefused("Round 2 has not begun. " + " ".join(problems))
    _change_status(session, exercise, "round1", status="round2", round2_at=now)
    audit.record(
        session,
        action="standards.round2",
        subject_type="standard_exercise",
        subject_id=exercise.id,
        actor_id=actor.id,
        now=now,
        data={"judges": len(judges(session, exercise))},
    )


def approval_problems(session: Session, exercise: StandardExercise) -> list[str]:
    """Everything that stands between the exercise and approval, each in a sentence."""
    if exercise.status == "approved":
        return [
            f"This exercise was already approved on {exercise.approved_at:%d %B %Y}: it cannot be approved "
            "twice."
        ]
    problems = []
    if exercise.status != "round2":
        problems.append(
            f"An exercise is approved from round 2; this one is {status_label(exercise)}."
        )
    state = progress(session, exercise)
    if len(state.judges) < MIN_JUDGES:
        problems.append(
            f"The panel has {len(state.judges)} judge(s); approval needs at least {MIN_JUDGES}."
        )
    if state.items == 0:
        problems.append("The tier has no live items.")
    elif state.missing(2):
        problems.append(
            f"Items are unrated in round 2: {_names(state.missing(2), 2, state.items)}."
        )
    return problems


def approve(session: Session, exercise: StandardExercise, actor: User, now: datetime) -> int:
    """Store each item version's standard (the trimmed mean of the judges' round-2 ratings);
    from now on every result of the tier not yet released is decided against it. Returns how
    many item standards were stored."""
    problems = approval_problems(session, exercise)
    if problems:
        raise StandardsRefused(
            "The exercise was not approved. " + " ".join(problems), code="approval"
        )
    try:
        _change_status(
            session, exercise, "round2", status="approved", approved_at=now, approved_by=actor.id
        )
    except StandardsRefused:
        raise StandardsRefused(
            "This exercise has just been approved by someone else: it cannot be approved twice.",
            code="approval",
        ) from None
    ratings = ratings_of(session, exercise, 2)
    by_item: dict[int, list[Fraction]] = {}
    for (_, item_version_id), rating in ratings.items():
        by_item.setdefault(item_version_id, []).append(rating)
    items = [v.id for v in live_item_versions(session, exercise.tier)]
    for item_version_id in items:
        session.add(
            ItemStandard(
                exercise_id=exercise.id,
                item_version_id=item_version_id,
                standard=trimmed_mean(by_item[item_version_id]),
            )
        )
    session.flush()
    redecided = _redecide_unreleased(session, exercise, actor, now)
    audit.record(
        session,
        action="standards.approve",
        subject_type="standard_exercise",
        subject_id=exercise.id,
        actor_id=actor.id,
        now=now,
        data={
            "tier": exercise.tier,
            "items": len(items),
            "judges": len({u for u, _ in ratings}),
            "unreleased_results_changed": redecided,
        },
    )
    return len(items)


def _redecide_unreleased(
    session: Session, exercise: StandardExercise, actor: User, now: datetime
) -> int:
    """Results not yet released have been seen by no candidate: they are decided against the
    approved standard at once, each change audited."""
    changed = 0
    for result, sitting in session.execute(
        select(Result, Sitting)
        .join(Sitting, Sitting.id == Result.sitting_id)
        .where(Sitting.tier == exercise.tier, Result.released_at.is_(None))
        .order_by(Result.id)
    ).all():
        before, cut_before = result.passed, result.cut_score
        refresh_result(session, sitting, now)
        if result.passed != before or result.cut_score != cut_before:
            changed += result.passed != before
            audit.record(
                session,
                action="result.redecide",
                subject_type="result",
                subject_id=result.id,
                actor_id=actor.id,
                now=now,
                data={
                    "exercise_id": exercise.id,
                    "released": False,
                    "passed_before": before,
                    "passed_after": result.passed,
                    "cut_before": str(cut_before),
                    "cut_after": str(result.cut_score),
                },
            )
    return changed


def _change_status(session: Session, exercise: StandardExercise, expected: str, **values) -> None:
    """Compare-and-set: of two admins pressing the same button at once, one succeeds."""
    changed = session.execute(
        update(StandardExercise)
        .where(StandardExercise.id == exercise.id, StandardExercise.status == expected)
        .values(**values)
        .returning(StandardExercise.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    session.refresh(exercise)
    if changed is None:
        raise StandardsRefused(f"This exercise is no longer in {expected}.")


def close_exercise(
    session: Session, exercise: StandardExercise, actor: User, now: datetime
) -> None:
    """Abandon an exercise before approval: its ratings stay stored, it sets no standard, and
    the tier may open another."""
    if exercise.status not in OPEN:
        raise StandardsRefused(
            f"Only an exercise under way can be closed; this one is {status_label(exercise)}."
        )
    _change_status(session, exercise, exercise.status, status="closed")
    audit.record(
        session,
        action="standards.close",
        subject_type="standard_exercise",
        subject_id=exercise.id,
        actor_id=actor.id,
        now=now,
        data={},
    )


STATUS_LABELS = {
    "round1": "in round 1",
    "round2": "in round 2",
    "approved": "approved",
    "closed": "closed",
}


def status_label(exercise: StandardExercise) -> str:
    return STATUS_LABELS.get(exercise.status, exercise.status)


# -- results released before approval -----------------------------------------------------------
def released_before(session: Session, exercise: StandardExercise) -> list[tuple[Result, Sitting]]:
    """The tier's results released before the exercise was approved: decided under the old cut."""
    if exercise.approved_at is None:
        return []
    return list(
        session.execute(
            select(Result, Sitting)
            .join(Sitting, Sitting.id == Result.sitting_id)
            .where(
                Sitting.tier == exercise.tier,
                Result.released_at.is_not(None),
                Result.released_at < exercise.approved_at,
            )
            .order_by(Result.id)
        ).all()
    )


DECISIONS = {
    "applied": "apply the standard to released results",
    "kept": "keep released results as decided",
}


def decide_released(
    session: Session, exercise: StandardExercise, decision: str, actor: User, now: datetime
) -> int:
    """The admin's choice for results released before approval: re-decide each against the
    approved standard (audited per result, certificates issued or revoked to match), or keep
    them as decided. Made once. Returns how many decisions changed."""
    if decision not in DECISIONS:
        raise StandardsRefused(
            "Choose whether to apply the standard to released results or keep them as decided."
        )
    if exercise.status != "approved":
        raise StandardsRefused(
            "Released results can be decided on only after the exercise is approved."
        )
    if exercise.released_decision is not None:
        raise StandardsRefused(
            f"This was already decided on {exercise.released_decided_at:%d %B %Y}: released "
            f"results were {'re-decided' if exercise.released_decision == 'applied' else 'kept'}."
        )
    changed = session.execute(
        update(StandardExercise)
        .where(StandardExercise.id == exercise.id, StandardExercise.released_decision.is_(None))
        .values(released_decision=decision, released_decided_at=now)
        .returning(StandardExercise.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    session.refresh(exercise)
    if changed is None:
        raise StandardsRefused("Someone else has just decided this: nothing more was changed.")
    affected = released_before(session, exercise)
    flipped = 0
    if decision == "applied":
        flipped = _apply_to_released(session, exercise, affected, actor, now)
    audit.record(
        session,
        action="standards.released_decision",
        subject_type="standard_exercise",
        subject_id=exercise.id,
        actor_id=actor.id,
        now=now,
        data={"decision": decision, "results": len(affected), "decisions_changed": flipped},
    )
    return flipped


def _apply_to_released(
    session: Session,
    exercise: StandardExercise,
    affected: list[tuple[Result, Sitting]],
    actor: User,
    now: datetime,
) -> int:
    flipped = 0
    for result, sitting in affected:
        before, cut_before = result.passed, result.cut_score
        refresh_result(
            session, sitting, now
        )  # the lookup now finds this exercise applied to released results
        audit.record(
            session,
            action="result.redecide",
            subject_type="result",
            subject_id=result.id,
            actor_id=actor.id,
            now=now,
            data={
                "exercise_id": exercise.id,
                "released": True,
                "passed_before": before,
                "passed_after": result.passed,
                "cut_before": str(cut_before),
                "cut_after": str(result.cut_score),
            },
        )
        if result.passed == before:
            continue
        flipped += 1
        if result.passed:
            issue_for_result(session, result, now)
        else:
            revoke_for_result(
                session, result, "The result was re-decided against an approved standard.", now
            )
    return flipped
