"""Marking: queues, blind double marking, moderation, reviews, release, marker reliability.

Every mark, moderation decision, release and review leaves an audit record. Allocation is
a compare-and-set on the script's holder plus a unique slot per script, so two assessors
racing for work can never be given the same marking of the same script.
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from random import Random, SystemRandom
from typing import Any, cast

from sqlalchemy import CursorResult, and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from naas import audit
from naas.bank import Scenario
from naas.bank_store import scenario_from_version
from naas.engine.items import ItemType
from naas.engine.items.free_text import FreeText
from naas.engine.psychometrics import Agreement, Deviation, agreement, deviation, kappa_by_scale
from naas.mail import notices
from naas.models import (
    ControlScript,
    Endorsement,
    FormItem,
    ItemVersion,
    Mark,
    Organisation,
    Response,
    Result,
    ReviewRequest,
    ScenarioVersion,
    Script,
    Sitting,
    TierSetting,
    User,
)
from naas.models.marking import SLOTS

HOLD = timedelta(hours=4)  # an allocation not submitted by then goes back to the queue
CONTROL_RATE = (
    0.2  # the chance that a script an assessor takes is a control, where one is left for them
)
DEFAULT_DRIFT_THRESHOLD = Decimal(1)  # a tier's until an admin sets its own
CLAIM_ATTEMPTS = 25  # scripts tried in one take before giving up (each refusal is a lost race)
MIN_SCRIPTS_FOR_FLAG = 5
KAPPA_FLOOR = 0.6


class MarkingRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# -- settings ------------------------------------------------------------------------------
def settings_for(session: Session, tier: str) -> TierSetting:
    """The tier's settings, or the defaults (not stored: reading never writes)."""
    setting = session.get(TierSetting, tier)
    if setting is None:
        setting = TierSetting(
            tier=tier,
            tolerance=Decimal(1),
            review_window_days=14,
            drift_threshold=DEFAULT_DRIFT_THRESHOLD,
        )
    return setting


def update_settings(
    session: Session,
    tier: str,
    tolerance: Decimal,
    review_window_days: int,
    drift_threshold: Decimal,
    actor_id: int,
    now: datetime,
) -> TierSetting:
    if tolerance < 0 or drift_threshold < 0 or review_window_days < 0:
        raise MarkingRefused("Settings cannot be negative.")
    setting = settings_for(session, tier)
    if setting not in session:
        session.add(setting)
    before = {
        "tolerance": str(setting.tolerance),
        "review_window_days": setting.review_window_days,
        "drift_threshold": str(setting.drift_threshold),
    }
    setting.tolerance, setting.review_window_days, setting.drift_threshold = (
        tolerance,
        review_window_days,
        drift_threshold,
    )
    audit.record(
        session,
        action="marking.settings",
        subject_type="tier",
        subject_id=tier,
        actor_id=actor_id,
        now=now,
        data={
            "before": before,
            "after": {
                "tolerance": str(tolerance),
                "review_window_days": review_window_days,
                "drift_threshold": str(drift_threshold),
            },
        },
    )
    return setting


# -- queueing --------------------------------------------------------------------------------
def queue_written_answers(
    session: Session,
    sitting: Sitting,
    loaded_form: Any,
    responses: dict[int, Response],
    now: datetime,
) -> list[Script]:
    """At submission: each answered written item becomes a script to be marked twice."""
    endorsement = session.get(Endorsement, sitting.endorsement_id)
    scripts = []
    for entry in loaded_form.items:
        if entry.item.auto_scored:
            continue
        response = responses[entry.form_item.id]
        if not entry.item.is_complete(response.answer):
            continue  # an unanswered written item scores 0 and needs no marker
        script = Script(
            reference=_reference(),
            kind="candidate",
            tier=sitting.tier,
            item_version_id=entry.form_item.item_version_id,
            response_id=response.id,
            sitting_id=sitting.id,
            candidate_id=sitting.candidate_id,
            organisation_id=endorsement.organisation_id if endorsement else None,
            status="marking",
            queued_at=now,
        )
        session.add(script)
        scripts.append(script)
    session.flush()
    return scripts


def _reference() -> str:
    return "S-" + secrets.token_hex(5).upper()


def add_control(
    session: Session,
    item_version: ItemVersion,
    text: str,
    agreed_marks: list[int],
    actor_id: int,
    now: datetime,
) -> ControlScript:
    """Seed a control script: a written answer with an agreed mark, marked by every assessor.

    Each assessor is given it as a script of their own, with its own reference, when it comes."""
    item = _item(session, item_version)
    if not isinstance(item, FreeText):
        raise MarkingRefused("Control scripts are for written-answer items only.")
    if not text.strip():
        raise MarkingRefused("A control script needs the text of an answer.")
    try:
        total = item.score_marks(agreed_marks)
    except ValueError as exc:
        raise MarkingRefused(f"The agreed marks do not fit the rubric: {exc}") from None
    control = ControlScript(
        item_version_id=item_version.id,
        text=text.strip(),
        agreed_marks=agreed_marks,
        agreed_total=total,
        created_by=actor_id,
        created_at=now,
    )
    session.add(control)
    session.flush()
    audit.record(
        session,
        action="marking.control_added",
        subject_type="control_script",
        subject_id=control.id,
        actor_id=actor_id,
        now=now,
        data={"item": item_version.item_id, "agreed_total": str(total)},
    )
    session.flush()
    return control


# -- what a marker sees ----------------------------------------------------------------------
def _item(session: Session, item_version: ItemVersion) -> ItemType:
    scenario = scenario_from_version(
        session.get_one(ScenarioVersion, item_version.scenario_version_id)
    )
    return next(
        i for i in scenario.stages[item_version.stage_index].items if i.id == item_version.item_id
    )


def item_of(session: Session, item_version: ItemVersion) -> FreeText:
    """The written-answer item of a version: the only kind of item a script is made for."""
    item = _item(session, item_version)
    if not isinstance(item, FreeText):
        raise MarkingRefused("Only written-answer items are marked by assessors.")
    return item


@dataclass(frozen=True)
class ScriptView:
    """Everything a marker may see of a script, and nothing that identifies a candidate."""

    reference: str
    scenario: Scenario
    stage_index: int
    item: FreeText
    text: str


def script_view(session: Session, script: Script) -> ScriptView:
    item_version = session.get_one(ItemVersion, script.item_version_id)
    scenario = scenario_from_version(
        session.get_one(ScenarioVersion, item_version.scenario_version_id)
    )
    item = item_of(session, item_version)
    if script.kind == "control":
        text = session.get_one(ControlScript, script.control_id).text
    else:
        text = session.get_one(Response, script.response_id).answer or ""
    return ScriptView(script.reference, scenario, item_version.stage_index, item, text)


# -- allocation ----------------------------------------------------------------------------------
def _conflict_free(assessor: User):
    """Scripts this assessor may mark: not their own, not from their own organisation."""
    conditions = [or_(Script.candidate_id.is_(None), Script.candidate_id != assessor.id)]
    if assessor.organisation_id is not None:
        conditions.append(
            or_(
                Script.organisation_id.is_(None), Script.organisation_id != assessor.organisation_id
            )
        )
    return and_(*conditions)


def _not_marked_by(assessor: User):
    return ~exists().where(
        Mark.script_id == Script.id, Mark.assessor_id == assessor.id, Mark.status != "lapsed"
    )


def open_marks(session: Session, assessor: User) -> list[Mark]:
    return list(
        session.scalars(
            select(Mark)
            .where(Mark.assessor_id == assessor.id, Mark.status.in_(("allocated", "draft")))
            .order_by(Mark.id)
        )
    )


def _hold_ran_out(session: Session, mark: Mark, now: datetime) -> bool:
    script = session.get_one(Script, mark.script_id)
    return (
        script.held_by != mark.assessor_id
        or script.held_since is None
        or script.held_since < now - HOLD
    )


def _lapse(session: Session, mark: Mark, now: datetime) -> None:
    """A hold that ran out: the marking lapses and the script goes back to the queue."""
    script = session.get_one(Script, mark.script_id)
    mark.status, mark.slot = "lapsed", None
    if script.held_by == mark.assessor_id:
        script.held_by, script.held_since = None, None
    audit.record(
        session,
        action="marking.lapse",
        subject_type="script",
        subject_id=script.reference,
        actor_id=None,
        now=now,
        data={
            "mark_id": mark.id,
            "assessor_id": mark.assessor_id,
            "purpose": mark.purpose,
            "allocated_at": mark.allocated_at.isoformat(),
        },
    )
    session.flush()


def current_hold(session: Session, assessor: User, now: datetime) -> Mark | None:
    """The marking the assessor holds and has not finished, if any; any whose hold ran out lapses.

    An assessor holds at most one script at a time, so nobody can sit on a pile of work."""
    for mark in open_marks(session, assessor):
        if _hold_ran_out(session, mark, now):
            _lapse(session, mark, now)
        else:
            return mark
    return None


def take_next(
    session: Session,
    assessor: User,
    now: datetime,
    purpose: str = "marking",
    rng: Random | None = None,
    control_rate: float = CONTROL_RATE,
) -> Mark | None:
    """Give the assessor the next script they may mark (purpose 'marking'), moderate
    ('moderation') or review ('review'), oldest first; None when there is none. An assessor
    who still holds an unfinished script is given that one back instead.

    When marking, a control script left for the assessor comes with chance `control_rate`
    (drawn from `rng`), and whenever no candidate's script waits for them: so neither its
    place in the sequence nor the waiting count tells it apart."""
    # One take at a time per assessor (a double click sends two): the second waits here for the
    # first to commit, then finds its hold below, instead of claiming a second script. A write
    # that changes nothing locks the assessor's row on PostgreSQL, and on SQLite (where a plain
    # read holds no lock) it takes the database's write lock, with the same effect.
    session.execute(update(User).where(User.id == assessor.id).values(id=User.id))
    held = current_hold(session, assessor, now)
    if held is not None:
        return held
    rng = rng if rng is not None else SystemRandom()
    if purpose == "marking" and rng.random() < control_rate:
        control = _take_control(session, assessor, now)
        if control is not None:
            return control
    status = {"marking": "marking", "moderation": "moderation", "review": "review"}[purpose]
    passed_over: list[int] = []
    for _ in range(CLAIM_ATTEMPTS):
        script_id = session.scalar(_next_script(assessor, now, status, passed_over))
        if script_id is None:
            break
        mark = _claim(session, script_id, assessor, now, status)
        if mark is not None:
            return mark
        passed_over.append(script_id)
    if purpose == "marking":
        return _take_control(session, assessor, now)
    return None


def _next_script(assessor: User, now: datetime, status: str, passed_over: list[int]):
    """The oldest script waiting for `status` that this assessor may take, locked for the take.

    On PostgreSQL, SKIP LOCKED passes over a script another assessor is taking at this very
    moment (their transaction holds its row), so that concurrent takes neither wait for each
    other nor all reach for the same oldest script. SQLite ignores the clause: it lets one
    writer at a time, and the compare-and-set in `_claim` settles the rest."""
    query = select(Script.id).where(
        Script.kind == "candidate",
        Script.status == status,
        _free(now),
        _conflict_free(assessor),
        _not_marked_by(assessor),
    )
    if passed_over:
        query = query.where(Script.id.not_in(passed_over))
    return (
        query.order_by(Script.queued_at, Script.id)
        .limit(1)
        .with_for_update(of=Script, skip_locked=True)
    )


def _free(now: datetime):
    return or_(Script.held_by.is_(None), Script.held_since < now - HOLD)


def _claim(
    session: Session, script_id: int, assessor: User, now: datetime, status: str
) -> Mark | None:
    """Hold the script if it is still free and still waiting for `status`, then fill its slot."""
    # The status is checked again here, in the compare-and-set: between the query that found the
    # script and this claim, a second mark may have sent it to moderation.
    claimed = cast(
        CursorResult[Any],  # an UPDATE's result has a rowcount; Session.execute's types say Result
        session.execute(
            update(Script)
            .where(
                Script.id == script_id,
                Script.kind == "candidate",
                Script.status == status,
                _free(now),
            )
            .values(held_by=assessor.id, held_since=now)
        ),
    )
    if claimed.rowcount != 1:
        return None  # another assessor got there first, or the script has moved on
    script = session.get_one(Script, script_id)
    session.refresh(script)
    for stale in session.scalars(
        select(Mark).where(Mark.script_id == script_id, Mark.status.in_(("allocated", "draft")))
    ).all():
        _lapse(session, stale, now)  # its hold ran out: the work goes to someone else
    purpose = _purpose_for(session, script)
    mark = Mark(
        script_id=script_id,
        assessor_id=assessor.id,
        purpose=purpose,
        slot=SLOTS[purpose],
        status="allocated",
        allocated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(mark)
    except IntegrityError:
        # the slot went to someone else: let go of the script rather than block it for hours
        session.execute(
            update(Script)
            .where(Script.id == script_id, Script.held_by == assessor.id)
            .values(held_by=None, held_since=None)
        )
        session.refresh(script)
        return None
    audit.record(
        session,
        action="marking.allocate",
        subject_type="script",
        subject_id=script.reference,
        actor_id=assessor.id,
        now=now,
        data={"purpose": purpose},
    )
    return mark


def _purpose_for(session: Session, script: Script) -> str:
    if script.status == "moderation":
        return "moderation"
    if script.status == "review":
        return "review"
    submitted = session.scalar(
        select(func.count())
        .select_from(Mark)
        .where(Mark.script_id == script.id, Mark.status == "submitted", Mark.purpose == "first")
    )
    return "second" if submitted else "first"


def _controls_left(assessor: User):
    """Active control scripts this assessor has not marked (a lapsed marking does not count)."""
    return select(ControlScript).where(
        ControlScript.active.is_(True),
        ~exists().where(
            Script.control_id == ControlScript.id,
            Mark.script_id == Script.id,
            Mark.assessor_id == assessor.id,
            Mark.status != "lapsed",
        ),
    )


def _take_control(session: Session, assessor: User, now: datetime) -> Mark | None:
    control = session.scalar(_controls_left(assessor).order_by(ControlScript.id).limit(1))
    if control is None:
        return None
    item_version = session.get_one(ItemVersion, control.item_version_id)
    # a script of this assessor's own: a reference shared by every assessor would give a control away
    script = Script(
        reference=_reference(),
        kind="control",
        tier=item_version.tier,
        item_version_id=item_version.id,
        control_id=control.id,
        status="marking",
        queued_at=now,
        held_by=assessor.id,
        held_since=now,
    )
    session.add(script)
    session.flush()
    mark = Mark(
        script_id=script.id,
        assessor_id=assessor.id,
        purpose="control",
        slot=None,
        status="allocated",
        allocated_at=now,
    )
    session.add(mark)
    audit.record(
        session,
        action="marking.allocate",
        subject_type="script",
        subject_id=script.reference,
        actor_id=assessor.id,
        now=now,
        data={"purpose": "control"},
    )
    session.flush()
    return mark


# -- recording marks ------------------------------------------------------------------------------
def check_criterion_marks(item: FreeText, raw: list[Any]) -> list[int]:
    if len(raw) != len(item.rubric):
        raise MarkingRefused("Give one mark for every criterion.")
    marks = []
    for criterion, value in zip(item.rubric, raw, strict=True):
        try:
            mark = int(value)
        except (TypeError, ValueError):
            raise MarkingRefused(f"Give a mark for '{criterion.criterion}'.") from None
        if not 0 <= mark <= criterion.marks:
            raise MarkingRefused(
                f"'{criterion.criterion}' takes 0 to {criterion.marks} marks, not {mark}."
            )
        marks.append(mark)
    return marks


def record_mark(
    session: Session,
    mark: Mark,
    assessor: User,
    raw_marks: list[Any],
    comment: str,
    submit: bool,
    now: datetime,
) -> Mark:
    """Save a draft, or submit: a submitted mark is final and moves the script on."""
    if mark.assessor_id != assessor.id:
        raise MarkingRefused("This marking is not yours.")
    if mark.status not in ("allocated", "draft"):
        raise MarkingRefused(
            "This marking has already been submitted or has been passed to someone else."
        )
    script = session.get_one(Script, mark.script_id)
    item = item_of(session, session.get_one(ItemVersion, script.item_version_id))
    comment = (comment or "").strip()
    if not submit:
        # a draft keeps what has been typed so far: a mark left blank is None
        typed = [int(v) if str(v).isdigit() else None for v in raw_marks]
        mark.criterion_marks = typed[: len(item.rubric)]
        mark.comment = comment
        mark.status = "draft"
        session.flush()
        return mark
    marks = check_criterion_marks(item, raw_marks)
    if not comment:
        raise MarkingRefused(
            "Add a comment that explains your marks."
            if mark.purpose != "moderation"
            else "Give the reason for the final mark."
        )
    mark.criterion_marks = list(marks)  # a copy typed as the column is, blanks allowed
    mark.comment = comment
    if script.kind == "candidate" and script.held_by != assessor.id:
        raise MarkingRefused(
            "Your hold on this script ran out and it was passed to another assessor."
        )
    mark.total = Fraction(sum(marks))
    mark.status = "submitted"
    mark.submitted_at = now
    script.held_by, script.held_since = None, None
    audit.record(
        session,
        action=f"marking.{mark.purpose}",
        subject_type="script",
        subject_id=script.reference,
        actor_id=assessor.id,
        now=now,
        data={
            "mark_id": mark.id,
            "criterion_marks": marks,
            "total": str(mark.total),
            "comment": comment,
        },
    )
    _advance(session, script, mark, now)
    session.flush()
    return mark


def _advance(session: Session, script: Script, mark: Mark, now: datetime) -> None:
    if script.kind == "control":
        return
    if mark.purpose == "second":
        first = session.scalars(
            select(Mark).where(
                Mark.script_id == script.id, Mark.purpose == "first", Mark.status == "submitted"
            )
        ).one()  # a second marking is given out only once the first is submitted
        tolerance = Fraction(str(settings_for(session, script.tier).tolerance))
        difference = abs(_total(first) - _total(mark))
        if difference > tolerance:
            script.status = "moderation"
            audit.record(
                session,
                action="marking.to_moderation",
                subject_type="script",
                subject_id=script.reference,
                actor_id=None,
                now=now,
                data={"difference": str(difference), "tolerance": str(tolerance)},
            )
        else:
            _finalise(session, script, (_total(first) + _total(mark)) / 2, "agreed", now)
    elif mark.purpose == "moderation":
        _finalise(session, script, _total(mark), "moderated", now)
    elif mark.purpose == "review":
        _complete_review(session, script, mark, now)


def _total(mark: Mark) -> Fraction:
    """A submitted mark's total, which submitting it set."""
    if mark.total is None:
        raise ValueError(f"Mark {mark.id} has no total: it has not been submitted.")
    return mark.total


def _finalise(
    session: Session, script: Script, final: Fraction, source: str, now: datetime
) -> None:
    script.status, script.final_mark, script.final_source, script.finalised_at = (
        "final",
        final,
        source,
        now,
    )
    audit.record(
        session,
        action="marking.final",
        subject_type="script",
        subject_id=script.reference,
        actor_id=None,
        now=now,
        data={"final_mark": str(final), "source": source},
    )
    session.flush()
    refresh_result(session, _sitting_of(session, script), now)


def _sitting_of(session: Session, script: Script) -> Sitting:
    """A candidate's script's sitting (a control script, which has none, is never finalised)."""
    if script.sitting_id is None:
        raise ValueError(f"Script {script.reference} is a control script: it has no sitting.")
    return session.get_one(Sitting, script.sitting_id)


def final_marks(session: Session, sitting: Sitting) -> dict[int, Fraction]:
    """The sitting's finally marked written answers: form item id -> agreed mark."""
    scripts = session.scalars(select(Script).where(Script.sitting_id == sitting.id)).all()
    response_items = {
        r.id: r.form_item_id
        for r in session.scalars(select(Response).where(Response.sitting_id == sitting.id))
    }
    # a sitting's scripts are candidates' answers (each has its response), and a final one its mark
    return {
        response_items[s.response_id]: s.final_mark
        for s in scripts
        if s.status == "final" and s.response_id is not None and s.final_mark is not None
    }


def refresh_result(session: Session, sitting: Sitting, now: datetime) -> Result:
    """Recompute a sitting's result from its responses, pinned items and final marks."""
    from naas.sitting import services as sitting_services

    # submitting a sitting writes its result, which later marking and reviews bring up to date
    result = session.scalars(select(Result).where(Result.sitting_id == sitting.id)).one()
    loaded = sitting_services.load_form(session, sitting.form)
    # a released result keeps the standard it was released under unless an admin applies a newer one
    standards = sitting_services.form_standards(session, loaded, result.released_at)
    outcome = sitting_services.score(
        loaded,
        sitting_services.responses_of(session, sitting),
        final_marks(session, sitting),
        standards,
    )
    result.total = outcome.total
    result.max_marks = outcome.max_marks
    result.area_scores = sitting_services.area_scores_json(outcome)
    result.passed = outcome.passed
    result.cut_score = outcome.cut
    result.cut_basis = outcome.cut_basis
    result.status = "final" if outcome.passed is not None else "awaiting_marking"
    result.computed_at = now
    session.flush()
    return result


# -- release ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReleaseState:
    tier: str
    sittings: int  # submitted and not yet released
    scripts_remaining: int
    in_moderation: int
    ready: int  # results final and waiting for release


def release_state(session: Session, tier: str) -> ReleaseState:
    unreleased = (
        select(Result.sitting_id)
        .join(Sitting, Sitting.id == Result.sitting_id)
        .where(Sitting.tier == tier, Result.released_at.is_(None))
    )
    sittings = session.scalars(select(func.count()).select_from(unreleased.subquery())).one()
    remaining = session.scalars(
        select(func.count())
        .select_from(Script)
        .where(Script.sitting_id.in_(unreleased), Script.status != "final")
    ).one()
    moderation = session.scalars(
        select(func.count())
        .select_from(Script)
        .where(Script.sitting_id.in_(unreleased), Script.status == "moderation")
    ).one()
    ready = session.scalars(
        select(func.count())
        .select_from(Result)
        .join(Sitting, Sitting.id == Result.sitting_id)
        .where(Sitting.tier == tier, Result.released_at.is_(None), Result.status == "final")
    ).one()
    return ReleaseState(tier, sittings, remaining, moderation, ready)


def release(session: Session, tier: str, actor_id: int | None, now: datetime) -> int:
    """Make every result of the tier visible to its candidate, once every script is final."""
    refuse_release_while_marking(session, tier)
    return release_some(session, tier, actor_id, now)


def refuse_release_while_marking(session: Session, tier: str) -> ReleaseState:
    state = release_state(session, tier)
    if state.scripts_remaining:
        raise MarkingRefused(
            f"{state.scripts_remaining} script(s) of {tier} sittings are not finally marked yet "
            f"({state.in_moderation} in moderation): nothing was released."
        )
    return state


def release_some(
    session: Session, tier: str, actor_id: int | None, now: datetime, limit: int | None = None
) -> int:
    """Release up to `limit` of the tier's final, unreleased results (all of them without a
    limit), oldest first; each with its audit record, its notice and, for a pass, its
    certificate. Releasing what is already released is impossible, so a release carried on
    after a crash, in steps, releases each result once (the release job, naas/jobs/kinds.py)."""
    query = (
        select(Result)
        .join(Sitting, Sitting.id == Result.sitting_id)
        .where(Sitting.tier == tier, Result.released_at.is_(None), Result.status == "final")
        .order_by(Result.id)
    )
    if limit is not None:
        query = query.limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        # two releases at once (a job and the command, say) never take the same rows
        query = query.with_for_update(of=Result, skip_locked=True)
    results = session.scalars(query).all()
    for result in results:
        result.released_at, result.released_by = now, actor_id
        audit.record(
            session,
            action="result.release",
            subject_type="result",
            subject_id=result.id,
            actor_id=actor_id,
            now=now,
            data={
                "passed": result.passed,
                "total": str(result.total),
                "max_marks": result.max_marks,
            },
        )
        notices.result_released(session, result, now)
        if result.passed:
            _issue_certificate(session, result, now)
    session.flush()
    return len(results)


def _issue_certificate(session: Session, result: Result, now: datetime) -> None:
    try:
        from naas.certificates.services import issue_for_result
    except ImportError:  # certificates are not installed in this build
        return
    issue_for_result(session, result, now)


# -- reviews -------------------------------------------------------------------------------------
def reviewable_scripts(session: Session, sitting: Sitting) -> list[Script]:
    return list(
        session.scalars(select(Script).where(Script.sitting_id == sitting.id).order_by(Script.id))
    )


ALREADY_ASKED = "You have already asked for a review of this answer."


def released_result(session: Session, script: Script) -> Result | None:
    """The script's result if it has been released to the candidate, else None."""
    result = session.scalar(select(Result).where(Result.sitting_id == script.sitting_id))
    return result if result is not None and result.released_at is not None else None


def request_review(
    session: Session, candidate: User, script: Script, reason: str, now: datetime
) -> ReviewRequest:
    if script.candidate_id != candidate.id:
        raise MarkingRefused("There is no such answer.")
    result = released_result(session, script)
    if result is None or result.released_at is None:
        raise MarkingRefused("You can ask for a review once your result is released.")
    window = settings_for(session, script.tier).review_window_days
    if now > result.released_at + timedelta(days=window):
        raise MarkingRefused(
            f"Reviews can be asked for within {window} days of the release of results."
        )
    if review_of(session, script) is not None:
        raise MarkingRefused(ALREADY_ASKED)
    if len(reason.strip()) < 20:
        raise MarkingRefused(
            "Give your reason for the review in a sentence or two (at least 20 characters)."
        )
    request = ReviewRequest(
        script_id=script.id,
        candidate_id=candidate.id,
        reason=reason.strip(),
        requested_at=now,
        status="open",
        mark_before=script.final_mark,
    )
    try:
        # a double submit can pass the check above twice: the unique script_id settles it
        with session.begin_nested():
            session.add(request)
    except IntegrityError:
        raise MarkingRefused(ALREADY_ASKED) from None
    script.status = "review"
    script.queued_at = now
    audit.record(
        session,
        action="review.request",
        subject_type="script",
        subject_id=script.reference,
        actor_id=candidate.id,
        now=now,
        data={"reason": reason.strip()},
    )
    session.flush()
    return request


def _complete_review(session: Session, script: Script, mark: Mark, now: datetime) -> None:
    # a script is reviewed only at its candidate's request, once their result is released
    request = session.scalars(
        select(ReviewRequest).where(ReviewRequest.script_id == script.id)
    ).one()
    sitting = _sitting_of(session, script)
    result = session.scalars(select(Result).where(Result.sitting_id == sitting.id)).one()
    passed_before = result.passed
    script.status, script.final_mark, script.final_source, script.finalised_at = (
        "final",
        mark.total,
        "reviewed",
        now,
    )
    session.flush()
    refresh_result(session, sitting, now)
    request.status, request.completed_at, request.mark_after = "completed", now, mark.total
    request.outcome_changed = result.passed != passed_before
    audit.record(
        session,
        action="review.complete",
        subject_type="script",
        subject_id=script.reference,
        actor_id=mark.assessor_id,
        now=now,
        data={
            "mark_before": str(request.mark_before),
            "mark_after": str(mark.total),
            "passed_before": passed_before,
            "passed_after": result.passed,
        },
    )
    notices.review_completed(session, request.id, sitting, now)
    if request.outcome_changed:
        _outcome_changed(session, result, passed_before, now)


def _outcome_changed(
    session: Session, result: Result, passed_before: bool | None, now: datetime
) -> None:
    audit.record(
        session,
        action="result.changed_on_review",
        subject_type="result",
        subject_id=result.id,
        actor_id=None,
        now=now,
        data={"passed_before": passed_before, "passed_after": result.passed},
    )
    if result.passed:
        _issue_certificate(session, result, now)
        return
    try:
        from naas.certificates.services import revoke_for_result
    except ImportError:
        return
    revoke_for_result(session, result, "The result was changed on review.", now)


def review_of(session: Session, script: Script) -> ReviewRequest | None:
    return session.scalar(select(ReviewRequest).where(ReviewRequest.script_id == script.id))


REMOVED = "[removed]"


def reason_for_reviewer(session: Session, request: ReviewRequest) -> str:
    """The candidate's reason as the reviewing moderator sees it: their name (and each part
    of it), email, registration number and organisation taken out. The request form asks
    candidates not to identify themselves; this catches the obvious slips, not every one."""
    candidate = session.get_one(User, request.candidate_id)
    script = session.get_one(Script, request.script_id)
    identifying = [candidate.email, candidate.name, *candidate.name.split()]
    if candidate.profile is not None:
        identifying.append(candidate.profile.registration_number)
    if script.organisation_id is not None:
        identifying.append(session.get_one(Organisation, script.organisation_id).name)
    reason = request.reason
    for text in sorted({t for t in identifying if t and len(t) >= 3}, key=len, reverse=True):
        reason = re.sub(re.escape(text), REMOVED, reason, flags=re.IGNORECASE)
    return reason


# -- reliability --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReliabilityRules:
    """How control figures are judged and shown (set from the app's NAAS_MARKING_* config)."""

    drift_window: int = 10  # the flag looks at the assessor's last this-many controls of each tier
    control_block: int = (
        5  # an assessor sees their control figures only over whole blocks of this many
    )
    control_delay: timedelta = timedelta(days=7)  # ...each control marked at least this long ago


@dataclass(frozen=True)
class MonthFigures:
    month: str  # YYYY-MM
    scripts_marked: int
    agreement: Agreement
    kappa: float | None
    controls: Deviation  # admins only


@dataclass(frozen=True)
class ControlBlock:
    first: int  # 1-based positions of the block's controls in the order they were marked
    last: int
    deviation: Deviation


@dataclass(frozen=True)
class Reliability:
    assessor: User
    scripts_marked: int  # every submitted marking, control scripts included
    agreement: Agreement
    kappa: float | None  # quadratic-weighted, per mark scale
    controls: Deviation  # every control marked: admins only
    recent: dict[str, Deviation]  # per tier, the last `drift_window` controls: admins only
    control_blocks: list[ControlBlock]  # what the assessor sees of their controls
    by_month: list[MonthFigures]
    flagged: bool
    flag_reasons: list[str]


def reliability(
    session: Session, assessor: User, now: datetime, rules: ReliabilityRules = ReliabilityRules()
) -> Reliability:
    """An assessor's agreement with other markers and with control scripts' agreed marks.

    Admins see every figure. The assessor's own page shows control figures only as
    `control_blocks`: were it to change after each control, it would give away which script was
    a control and, from the change, its agreed mark."""
    return reliabilities(session, [assessor], now, rules)[0]


def reliabilities(
    session: Session,
    people: list[User],
    now: datetime,
    rules: ReliabilityRules = ReliabilityRules(),
) -> list[Reliability]:
    """`reliability` for several assessors at once, in four queries however many they are:
    the admin overview reads one page of assessors this way, not each one's history in turn."""
    if not people:
        return []
    ids = [person.id for person in people]
    other = aliased(Mark)
    pairs = session.execute(
        select(Mark.assessor_id, Mark.total, other.total, Mark.submitted_at, ItemVersion.marks)
        .join(
            other,
            and_(
                other.script_id == Mark.script_id,
                other.id != Mark.id,
                other.purpose.in_(("first", "second")),
                other.status == "submitted",
            ),
        )
        .join(Script, Script.id == Mark.script_id)
        .join(ItemVersion, ItemVersion.id == Script.item_version_id)
        .where(
            Mark.assessor_id.in_(ids),
            Mark.purpose.in_(("first", "second")),
            Mark.status == "submitted",
        )
        .order_by(Mark.submitted_at, Mark.id)
    ).all()
    submitted = session.execute(
        select(Mark.assessor_id, Mark.submitted_at).where(
            Mark.assessor_id.in_(ids), Mark.status == "submitted"
        )
    ).all()
    controls = session.execute(
        select(
            Mark.assessor_id, Mark.total, ControlScript.agreed_total, Mark.submitted_at, Script.tier
        )
        .join(Script, Script.id == Mark.script_id)
        .join(ControlScript, ControlScript.id == Script.control_id)
        .where(Mark.assessor_id.in_(ids), Mark.purpose == "control", Mark.status == "submitted")
        .order_by(Mark.submitted_at, Mark.id)
    ).all()
    thresholds = {
        setting.tier: float(setting.drift_threshold)
        for setting in session.scalars(select(TierSetting))
    }
    by_assessor: dict[int, dict[str, list]] = defaultdict(
        lambda: {"pairs": [], "submitted": [], "controls": []}
    )
    for pair in pairs:
        by_assessor[pair[0]]["pairs"].append(tuple(pair[1:]))
    for assessor_id, submitted_at in submitted:
        by_assessor[assessor_id]["submitted"].append(submitted_at)
    for control in controls:
        by_assessor[control[0]]["controls"].append(tuple(control[1:]))
    return [
        _figures(person, **by_assessor[person.id], thresholds=thresholds, now=now, rules=rules)
        for person in people
    ]


def _control_deviation(rows) -> Deviation:
    return deviation([r[0] for r in rows], [r[1] for r in rows])


def _paired(rows) -> tuple[Agreement, float | None]:
    return (
        agreement([r[0] for r in rows], [r[1] for r in rows]),
        kappa_by_scale((int(r[0]), int(r[1]), r[3]) for r in rows),
    )


def _figures(
    assessor: User,
    pairs: list[tuple],
    submitted: list[datetime],
    controls: list[tuple],
    thresholds: dict[str, float],
    now: datetime,
    rules: ReliabilityRules,
) -> Reliability:
    """One assessor's figures from their rows: pairs (mine, theirs, submitted_at, out_of),
    submission times, and controls (mine, agreed, submitted_at, tier), each in marking order."""
    overall, kappa = _paired(pairs)
    months: dict[str, dict[str, list]] = defaultdict(
        lambda: {"marked": [], "pairs": [], "controls": []}
    )
    for at in submitted:
        months[at.strftime("%Y-%m")]["marked"].append(at)
    for row in pairs:
        months[row[2].strftime("%Y-%m")]["pairs"].append(row)
    for row in controls:
        months[row[2].strftime("%Y-%m")]["controls"].append(row)
    by_month = [
        MonthFigures(
            month, len(v["marked"]), *_paired(v["pairs"]), _control_deviation(v["controls"])
        )
        for month, v in sorted(months.items())
    ]

    by_tier: dict[str, list] = defaultdict(list)
    for row in controls:
        by_tier[row[3]].append(row)
    recent = {
        tier: _control_deviation(rows[-rules.drift_window :])
        for tier, rows in sorted(by_tier.items())
    }
    reasons = []
    for tier, drift in recent.items():
        off, bias = drift.mean_absolute, drift.bias
        if off is None or bias is None:
            continue  # no control marked (never so here: each tier is listed for its controls)
        threshold = thresholds.get(tier, float(DEFAULT_DRIFT_THRESHOLD))
        if off > threshold:
            direction = "above" if bias > 0 else "below" if bias < 0 else "either side of"
            reasons.append(
                f"{tier} control scripts: over the last {drift.count}, marks lie {off:.2f} "
                f"from the agreed mark on average (threshold {threshold:.2f}), {direction} it "
                f"(bias {bias:+.2f})"
            )
    if kappa is not None and overall.pairs >= MIN_SCRIPTS_FOR_FLAG and kappa < KAPPA_FLOOR:
        reasons.append(
            f"agreement with second markers: weighted kappa {kappa:.2f} is below {KAPPA_FLOOR}"
        )

    settled = [row for row in controls if row[2] <= now - rules.control_delay]
    size = max(rules.control_block, 1)
    blocks = [
        ControlBlock(start + 1, start + size, _control_deviation(settled[start : start + size]))
        for start in range(0, len(settled) - size + 1, size)
    ]
    return Reliability(
        assessor,
        len(submitted),
        overall,
        kappa,
        _control_deviation(controls),
        recent,
        blocks,
        by_month,
        bool(reasons),
        reasons,
    )


def assessors_query():
    """Everyone who marks or moderates, for the admin overview to page through."""
    from naas.models import UserRole

    return select(User).where(
        User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(("assessor", "moderator"))))
    )


def marks_for_moderation(session: Session, script: Script) -> list[Mark]:
    return list(
        session.scalars(
            select(Mark)
            .where(
                Mark.script_id == script.id,
                Mark.purpose.in_(("first", "second")),
                Mark.status == "submitted",
            )
            .order_by(Mark.slot)
        )
    )


def queue_counts(session: Session, assessor: User, now: datetime) -> dict[str, int]:
    """How many scripts this assessor could be given now, by status. 'marking' counts the
    control scripts left for them like any other script: a count of candidates' scripts alone
    would give a control away whenever it showed none and a script still came."""
    counts = {}
    for status in ("marking", "moderation", "review"):
        counts[status] = session.scalars(
            select(func.count())
            .select_from(Script)
            .where(
                Script.kind == "candidate",
                Script.status == status,
                _free(now),
                _conflict_free(assessor),
                _not_marked_by(assessor),
            )
        ).one()
    counts["marking"] += session.scalars(
        select(func.count()).select_from(_controls_left(assessor).subquery())
    ).one()
    return counts


def scripts_of_sitting_by_item(session: Session, sitting: Sitting) -> dict[int, Script]:
    """The sitting's scripts keyed by form item, for the candidate's result page."""
    rows = session.execute(
        select(Script, Response.form_item_id)
        .join(Response, Response.id == Script.response_id)
        .where(Script.sitting_id == sitting.id)
    ).all()
    return {form_item_id: script for script, form_item_id in rows}


def form_item_number(session: Session, form_item_id: int) -> int:
    return session.get_one(FormItem, form_item_id).position + 1
