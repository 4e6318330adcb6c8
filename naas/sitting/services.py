"""Sittings: starting one, saving answers, moving on, submitting, scoring.

Every change to a sitting goes through a function here that also writes its audit record.
Time (`now`) and the acting user are always parameters; nothing here reads a clock.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any, cast

from sqlalchemy import BigInteger, String, Table, bindparam, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, defer

from naas import audit
from naas.auth.services import find_user, normalise_registration
from naas.bank import Scenario, Tier
from naas.bank_store import (
    current_tier_version,
    live_scenario_versions,
    scenario_from_version,
    tier_from_version,
)
from naas.certificates.services import uk_date
from naas.db import JSONType, UTCDateTime
from naas.engine.forms import CannotAssemble, FormPlan, assemble
from naas.engine.items import InvalidResponse, ItemType
from naas.engine.results import Outcome, ScoredItem, outcome
from naas.models import (
    CandidateProfile,
    Endorsement,
    FormItem,
    ItemVersion,
    Response,
    ResponseStep,
    Result,
    ScenarioVersion,
    Sitting,
    TestForm,
    TierVersion,
    User,
)
from naas.standards.lookup import approved_standards


class SittingRefused(Exception):
    """A request about a sitting that the rules refuse; `code` names why, for status codes."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# -- starting ------------------------------------------------------------------------
OPEN_SITTING = "You already have a test in progress: finish it first."


def open_sitting(session: Session, candidate_id: int) -> Sitting | None:
    return session.scalar(
        select(Sitting).where(Sitting.candidate_id == candidate_id, Sitting.status == "in_progress")
    )


def latest_sitting(session: Session, candidate_id: int, tier: str) -> Sitting | None:
    return session.scalar(
        select(Sitting)
        .where(Sitting.candidate_id == candidate_id, Sitting.tier == tier)
        .order_by(Sitting.started_at.desc())
        .limit(1)
    )


def may_start(session: Session, candidate: User, endorsement: Endorsement, now: datetime) -> None:
    """Raise SittingRefused unless the rules let this candidate start at this tier now."""
    if endorsement.candidate_id != candidate.id or endorsement.withdrawn_at is not None:
        raise SittingRefused("not_endorsed", "You have not been endorsed for this assessment.")
    if candidate.organisation_id not in (None, endorsement.organisation_id):
        # A candidate who moves employer is endorsed by the new one (which makes it their
        # organisation); the old one no longer vouches for them.
        raise SittingRefused(
            "former_employer",
            f"This endorsement is from {endorsement.organisation.name}, which is "
            "no longer your employer: ask your current employer to endorse you.",
        )
    if open_sitting(session, candidate.id) is not None:
        raise SittingRefused("open_sitting", OPEN_SITTING)
    previous = latest_sitting(session, candidate.id, endorsement.tier)
    if previous is None:
        return
    result = session.scalar(select(Result).where(Result.sitting_id == previous.id))
    if result is None or result.released_at is None:
        raise SittingRefused(
            "awaiting_result", "Your last test at this tier has no released result yet."
        )
    if result.passed:
        endorsed_after = endorsement.created_at > (previous.submitted_at or previous.started_at)
        if not endorsed_after:
            raise SittingRefused("already_passed", "You have already passed at this tier.")
        return
    tier = tier_from_version(session.get_one(TierVersion, previous.form.tier_version_id))
    earliest = (previous.submitted_at or previous.deadline) + timedelta(days=tier.resit_wait_days)
    if now < earliest:
        raise SittingRefused(
            "resit_wait", f"You can take this test again from {uk_date(earliest):%-d %B %Y}."
        )


def start_sitting(
    session: Session,
    candidate: User,
    endorsement: Endorsement,
    now: datetime,
    seed: int | None = None,
) -> Sitting:
    """Assemble a form from the tier's blueprint and start the clock."""
    may_start(session, candidate, endorsement, now)
    tier_version = current_tier_version(session, endorsement.tier)
    if tier_version is None:
        raise SittingRefused(
            "no_bank", "This assessment is not available yet: no question bank is loaded."
        )
    tier = tier_from_version(tier_version)
    versions = {v.scenario_id: v for v in live_scenario_versions(session, tier.id)}
    scenarios = [scenario_from_version(v) for v in versions.values()]
    seen = frozenset(
        session.scalars(
            select(ScenarioVersion.scenario_id)
            .join(FormItem, FormItem.scenario_version_id == ScenarioVersion.id)
            .join(Sitting, Sitting.form_id == FormItem.form_id)
            .where(Sitting.candidate_id == candidate.id)
        )
    )
    seed = secrets.randbits(62) if seed is None else seed
    try:
        plan = assemble(tier, scenarios, seed, avoid=seen)
    except CannotAssemble:
        raise SittingRefused(
            "no_bank",
            "This assessment cannot be assembled from the current question bank. "
            "The service team has been told; try again later.",
        ) from None
    try:
        with session.begin_nested():
            return _create_sitting(
                session, candidate, endorsement, tier, tier_version, versions, plan, seed, now
            )
    except IntegrityError:
        # Two starts at once (a double click): both passed may_start, and the database's index of
        # open sittings kept only the first. Everything this one wrote is undone with its savepoint.
        if open_sitting(session, candidate.id) is None:
            raise
        raise SittingRefused("open_sitting", OPEN_SITTING) from None


def _create_sitting(
    session: Session,
    candidate: User,
    endorsement: Endorsement,
    tier: Tier,
    tier_version: TierVersion,
    versions: dict[str, ScenarioVersion],
    plan: FormPlan,
    seed: int,
    now: datetime,
) -> Sitting:
    form = TestForm(
        tier=tier.id,
        tier_version_id=tier_version.id,
        seed=seed,
        total_marks=plan.total_marks,
        stage_count=len(plan.pages),
        created_at=now,
    )
    session.add(form)
    session.flush()
    item_versions = {
        (iv.scenario_version_id, iv.item_id): iv
        for iv in session.scalars(
            select(ItemVersion).where(
                ItemVersion.scenario_version_id.in_([versions[s].id for s in plan.scenario_ids])
            )
        )
    }
    form_items = []
    for position, planned in enumerate(plan.items):
        scenario_version = versions[planned.scenario_id]
        form_items.append(
            FormItem(
                form_id=form.id,
                position=position,
                stage_number=planned.page,
                scenario_version_id=scenario_version.id,
                item_version_id=item_versions[(scenario_version.id, planned.item_id)].id,
                state=dict(planned.state),
            )
        )
    session.add_all(form_items)
    extra = candidate.profile.extra_time_percent if candidate.profile else 0
    limit = timedelta(minutes=tier.time_limit_minutes) * (100 + extra) / 100
    sitting = Sitting(
        candidate_id=candidate.id,
        endorsement_id=endorsement.id,
        tier=tier.id,
        form_id=form.id,
        status="in_progress",
        started_at=now,
        deadline=now + limit,
        extra_time_percent=extra,
        current_stage=0,
    )
    session.add(sitting)
    session.flush()
    # One response row per item from the start: saving is then always an update, never a racing insert.
    session.add_all(
        Response(sitting_id=sitting.id, form_item_id=fi.id, answer=None, client_seq=0, saved_at=now)
        for fi in form_items
    )
    audit.record(
        session,
        action="sitting.start",
        subject_type="sitting",
        subject_id=sitting.id,
        actor_id=candidate.id,
        now=now,
        data={
            "tier": tier.id,
            "seed": seed,
            "scenarios": list(plan.scenario_ids),
            "deadline": sitting.deadline.isoformat(),
            "extra_time_percent": extra,
        },
    )
    session.flush()
    return sitting


# -- the form as the candidate sees it --------------------------------------------------
@dataclass(frozen=True)
class LoadedItem:
    form_item: FormItem
    item: ItemType
    scenario: Scenario
    stage_index: int
    number: int  # 1-based question number on the form


@dataclass(frozen=True)
class LoadedForm:
    tier: Tier
    items: tuple[LoadedItem, ...]
    pages: tuple[tuple[Scenario, int], ...]

    def page_items(self, page: int) -> list[LoadedItem]:
        return [i for i in self.items if i.form_item.stage_number == page]


def load_form(session: Session, form: TestForm) -> LoadedForm:
    """Rebuild a form's items from the versions it pinned, never from the current bank."""
    tier = tier_from_version(session.get_one(TierVersion, form.tier_version_id))
    rows = session.execute(
        _item_query().where(FormItem.form_id == form.id).order_by(FormItem.position)
    ).all()
    scenarios: dict[int, Scenario] = {}
    items = []
    pages: dict[int, tuple[Scenario, int]] = {}
    for number, (form_item, item_version, scenario_version) in enumerate(rows, start=1):
        scenario = scenarios.get(scenario_version.id)
        if scenario is None:
            scenario = scenarios[scenario_version.id] = scenario_from_version(scenario_version)
        item = next(
            i
            for i in scenario.stages[item_version.stage_index].items
            if i.id == item_version.item_id
        )
        items.append(LoadedItem(form_item, item, scenario, item_version.stage_index, number))
        pages.setdefault(form_item.stage_number, (scenario, item_version.stage_index))
    return LoadedForm(tier, tuple(items), tuple(pages[p] for p in sorted(pages)))


def load_for_save(
    session: Session, sitting_id: int, candidate_id: int, form_item_id: int
) -> tuple[Sitting, LoadedItem] | None:
    """The candidate's sitting and one item of its form, for an autosave, in one statement;
    None if either is not theirs.

    The sitting's row is share-locked until the save commits, so that a submit (which updates
    the row) either waits for the save and scores it, or goes first and the save sees the
    sitting submitted: an acknowledged save is always in the result. Saves do not wait for
    each other. SQLite ignores the lock: it serialises writers, and save_answer's update
    checks the sitting as it is when the save writes."""
    row = session.execute(
        _SAVE_TARGET,
        {"sitting_id": sitting_id, "candidate_id": candidate_id, "form_item_id": form_item_id},
    ).first()
    if row is None:
        return None
    sitting, *item_row = row
    return sitting, _loaded_item(*item_row)


def _item_query(*first: Any):
    return (
        select(*first, FormItem, ItemVersion, ScenarioVersion)
        .join(ItemVersion, ItemVersion.id == FormItem.item_version_id)
        .join(ScenarioVersion, ScenarioVersion.id == FormItem.scenario_version_id)
        .options(defer(ScenarioVersion.spec))
    )  # read only when not already built in this process


def _loaded_item(
    form_item: FormItem, item_version: ItemVersion, scenario_version: ScenarioVersion
) -> LoadedItem:
    scenario = scenario_from_version(scenario_version)
    stage = scenario.stages[item_version.stage_index]
    item = next(i for i in stage.items if i.id == item_version.item_id)
    return LoadedItem(form_item, item, scenario, item_version.stage_index, form_item.position + 1)


# Built once: a save is the busiest request of a sitting, and a statement built per call costs
# more to build than to run.
_SAVE_TARGET = (
    _item_query(Sitting)
    .join(Sitting, Sitting.form_id == FormItem.form_id)
    .where(
        Sitting.id == bindparam("sitting_id"),
        Sitting.candidate_id == bindparam("candidate_id"),
        FormItem.id == bindparam("form_item_id"),
    )
    .with_for_update(read=True, of=Sitting)
    .execution_options(populate_existing=True)
)


def _newest_step(column: Any) -> Any:
    answered = aliased(Response)
    return (
        select(column)
        .join(answered, answered.id == ResponseStep.response_id)
        .where(
            answered.sitting_id == bindparam("of_sitting"),
            answered.form_item_id == bindparam("of_item"),
        )
        .order_by(ResponseStep.id.desc())
        .limit(1)
        .scalar_subquery()
    )


# The tables behind the models, for the Core statements of a save. A declarative class with a
# __tablename__ maps a Table; DeclarativeBase types __table__ as any FromClause.
_RESPONSES = cast(Table, Response.__table__)
_RESPONSE_STEPS = cast(Table, ResponseStep.__table__)

# The compare-and-set of a save: client_seq must go up, and the sitting must be open on the
# item's stage before its deadline.
_SAVE = (
    update(_RESPONSES)
    .where(
        Response.sitting_id == bindparam("of_sitting"),
        Response.form_item_id == bindparam("of_item"),
        Response.client_seq < bindparam("new_seq"),
        exists().where(
            Sitting.id == bindparam("of_sitting"),
            Sitting.status == "in_progress",
            Sitting.current_stage == bindparam("stage"),
            Sitting.deadline > bindparam("now"),
        ),
    )
    .values(
        answer=bindparam("new_answer", type_=JSONType),
        client_seq=bindparam("new_seq"),
        saved_at=bindparam("saved_at", type_=UTCDateTime),
    )
)
_SAVE_RETURNING_ID = _SAVE.returning(Response.id)
_NEWEST_STEP = select(_newest_step(ResponseStep.id), _newest_step(ResponseStep.answer))
_ADD_STEP = insert(_RESPONSE_STEPS)


def _save_and_step() -> Any:
    """PostgreSQL: the compare-and-set and the history's step in one statement (one round trip
    instead of two). The step is added only where the answer differs from the newest step; both
    parts see the history as it was before the statement."""
    changed = _SAVE.returning(Response.id).cte("changed")
    newest = aliased(ResponseStep)
    newest_id = (
        select(func.max(newest.id))
        .where(newest.response_id == changed.c.id)
        .correlate_except(newest)
        .scalar_subquery()
    )
    answer = bindparam("new_answer", type_=JSONType)
    unchanged = exists().where(
        ResponseStep.id == newest_id, ResponseStep.answer.is_not_distinct_from(answer)
    )
    added = (
        insert(_RESPONSE_STEPS)
        .from_select(
            ["response_id", "answer", "client_seq", "saved_at", "source"],
            select(
                changed.c.id,
                answer,
                bindparam("new_seq", type_=BigInteger),
                bindparam("saved_at", type_=UTCDateTime),
                bindparam("source", type_=String),
            ).where(~unchanged),
        )
        .returning(ResponseStep.id)
        .cte("added")
    )
    # SQLAlchemy renders a CTE only where the query refers to it: the count is that reference.
    return select(changed.c.id, select(func.count()).select_from(added).scalar_subquery())


_SAVE_AND_STEP = _save_and_step()


def responses_of(session: Session, sitting: Sitting) -> dict[int, Response]:
    return {
        r.form_item_id: r
        for r in session.scalars(select(Response).where(Response.sitting_id == sitting.id))
    }


# -- saving ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SaveOutcome:
    status: str  # saved | unchanged
    seq: int
    saved_at: datetime


def check_open(sitting: Sitting, now: datetime) -> None:
    if sitting.status != "in_progress" and sitting.submitted_by == "deadline":
        raise SittingRefused(
            "time_up",
            "Time is up for this test: answers are no longer accepted. "
            "It was submitted with every answer saved by the deadline.",
        )
    if sitting.status != "in_progress":
        raise SittingRefused(
            "finished", "This test has been submitted: no more answers can be saved."
        )
    if now >= sitting.deadline:
        raise SittingRefused("time_up", "Time is up for this test: answers are no longer accepted.")


def save_answer(
    session: Session,
    sitting: Sitting,
    loaded: LoadedItem,
    raw: Any,
    client_seq: object,  # as the client sent it: checked here before it is used
    now: datetime,
    source: str,
) -> SaveOutcome:
    """Save one answer if it is newer than the one stored.

    The caller holds the sitting's row: share-locked by load_for_save for an autosave, locked
    for update by a page post. So a submit cannot slip in between this save and its commit.
    The update is a compare-and-set in one statement (client_seq must go up, the sitting
    must be open on this item's stage before its deadline), so a replayed, stale or racing
    save can never overwrite a newer answer, on SQLite as on PostgreSQL.
    """
    check_open(sitting, now)
    if loaded.form_item.stage_number < sitting.current_stage:
        raise SittingRefused(
            "locked", "You have moved on from this stage, so its answers are locked."
        )
    if loaded.form_item.stage_number > sitting.current_stage:
        raise SittingRefused("not_reached", "You have not reached this stage yet.")
    try:
        answer = loaded.item.normalise(raw)
    except InvalidResponse as exc:
        raise SittingRefused("invalid", f"Question {loaded.number}: {exc}") from None
    if (
        not isinstance(client_seq, int)
        or isinstance(client_seq, bool)
        or not 0 < client_seq < 2**62
    ):
        raise SittingRefused("invalid", "The save had no valid sequence number.")
    # Core, not the ORM: no object of this response is needed, and the ORM's bookkeeping would
    # double the cost of the busiest request.
    connection = session.connection()
    params = {
        "of_sitting": sitting.id,
        "of_item": loaded.form_item.id,
        "stage": loaded.form_item.stage_number,
        "now": now,
        "new_seq": client_seq,
        "new_answer": answer,
        "saved_at": now,
        "source": source,
    }
    on_postgresql = connection.dialect.name == "postgresql"
    changed = connection.execute(
        _SAVE_AND_STEP if on_postgresql else _SAVE_RETURNING_ID, params
    ).first()
    if changed is None:
        return _explain_refusal(session, sitting, loaded, answer, client_seq, now)
    response_id = changed[0]
    if not on_postgresql:  # the step, which PostgreSQL added in the same statement
        last_step_id, last_answer = connection.execute(_NEWEST_STEP, params).one()
        if last_step_id is None or last_answer != answer:  # history only of real changes
            connection.execute(
                _ADD_STEP,
                {
                    "response_id": response_id,
                    "answer": answer,
                    "client_seq": client_seq,
                    "saved_at": now,
                    "source": source,
                },
            )
    stale = session.identity_map.get(session.identity_key(Response, response_id))
    if stale is not None:
        session.expire(stale)  # loaded earlier in this session: read it afresh next time
    return SaveOutcome("saved", client_seq, now)


def _explain_refusal(
    session: Session,
    sitting: Sitting,
    loaded: LoadedItem,
    answer: Any,
    client_seq: int,
    now: datetime,
) -> SaveOutcome:
    session.expire(sitting)
    check_open(sitting, now)
    if loaded.form_item.stage_number != sitting.current_stage:
        raise SittingRefused(
            "locked", "You have moved on from this stage, so its answers are locked."
        )
    # every item of a sitting has its response row from the start (blank until answered)
    stored = session.scalars(
        select(Response)
        .where(Response.sitting_id == sitting.id, Response.form_item_id == loaded.form_item.id)
        .execution_options(populate_existing=True)
    ).one()
    if stored.answer == answer and client_seq <= stored.client_seq:
        return SaveOutcome("unchanged", stored.client_seq, stored.saved_at)  # a replay: harmless
    raise SittingRefused(
        "stale",
        f"A newer answer to question {loaded.number} was saved at {stored.saved_at:%H:%M:%S} "
        "(perhaps in another window or device). Reload the page to see it.",
    )


# -- moving on and submitting -------------------------------------------------------------
def move_on(
    session: Session, sitting: Sitting, from_stage: int, form: TestForm, now: datetime
) -> None:
    """Lock the current stage and open the next. Idempotent for a repeated request."""
    check_open(sitting, now)
    if from_stage != sitting.current_stage:
        if from_stage == sitting.current_stage - 1:
            return  # a repeated "continue" for a stage already locked
        raise SittingRefused("locked", "That stage is not the one you are on.")
    if sitting.current_stage >= form.stage_count - 1:
        raise SittingRefused(
            "last_stage", "This is the last stage: review and submit your answers."
        )
    moved = _change(
        session,
        sitting,
        (
            Sitting.status == "in_progress",
            Sitting.current_stage == from_stage,
            Sitting.deadline > now,
        ),
        current_stage=from_stage + 1,
    )
    if (
        not moved
    ):  # another request got there first: finished the sitting, or moved on (then nothing to do)
        check_open(sitting, now)
        if sitting.current_stage == from_stage + 1:
            return
        raise SittingRefused("locked", "That stage is not the one you are on.")
    audit.record(
        session,
        action="sitting.move_on",
        subject_type="sitting",
        subject_id=sitting.id,
        actor_id=sitting.candidate_id,
        now=now,
        data={"locked_stage": from_stage},
    )
    session.flush()


def submit(session: Session, sitting: Sitting, now: datetime, by: str) -> Result:
    """End the sitting and score its objective items; written answers wait for marking."""
    if by == "candidate" and now >= sitting.deadline:
        by = "deadline"
    # Of two requests finishing one sitting at once (two tabs, the deadline, `naas sittings
    # expire`) only one submits. The update waits for any save holding the sitting's row, and the
    # responses are read after it, so every acknowledged save is scored.
    if sitting.status != "in_progress" or not _change(
        session,
        sitting,
        (Sitting.status == "in_progress",),
        status="submitted",
        submitted_at=min(now, sitting.deadline),
        submitted_by=by,
    ):
        raise SittingRefused("finished", "This test has already been submitted.")
    loaded = load_form(session, sitting.form)
    responses = responses_of(session, sitting)
    result_outcome = score(loaded, responses, marked={}, standards=form_standards(session, loaded))
    result = Result(
        sitting_id=sitting.id,
        status="final" if result_outcome.passed is not None else "awaiting_marking",
        total=result_outcome.total,
        max_marks=result_outcome.max_marks,
        area_scores=area_scores_json(result_outcome),
        passed=result_outcome.passed,
        cut_score=result_outcome.cut,
        cut_basis=result_outcome.cut_basis,
        computed_at=now,
    )
    session.add(result)
    session.flush()
    from naas.marking.services import queue_written_answers

    queue_written_answers(session, sitting, loaded, responses, now)
    answered = sum(1 for i in loaded.items if i.item.is_complete(responses[i.form_item.id].answer))
    audit.record(
        session,
        action="sitting.submit",
        subject_type="sitting",
        subject_id=sitting.id,
        actor_id=sitting.candidate_id if by == "candidate" else None,
        now=now,
        data={
            "by": by,
            "answered": answered,
            "items": len(loaded.items),
            "objective_score": str(result_outcome.total),
            "pending": result_outcome.pending,
        },
    )
    return result


def submit_if_overdue(session: Session, sitting: Sitting, now: datetime) -> bool:
    """Submit a sitting found past its deadline; False if it was not overdue or another request
    submitted it first (the sitting then shows how it was finished)."""
    if sitting.status != "in_progress" or now < sitting.deadline:
        return False
    try:
        submit(session, sitting, now, by="deadline")
    except SittingRefused:
        return False
    return True


def _change(session: Session, sitting: Sitting, conditions: tuple[Any, ...], **values: Any) -> bool:
    """Change the sitting's row only where `conditions` still hold in the database, in one
    statement, and reload it either way. The statement waits for any request holding the row
    and then checks the row as that request left it, so two racing changes cannot both pass."""
    changed = session.execute(
        update(Sitting)
        .where(Sitting.id == sitting.id, *conditions)
        .values(revision=Sitting.revision + 1, **values)
        .returning(Sitting.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    session.refresh(sitting)
    return changed is not None


def score(
    loaded: LoadedForm,
    responses: dict[int, Response],
    marked: dict[int, Fraction],
    standards: Mapping[int, Fraction] | None = None,
) -> Outcome:
    """The engine's outcome for a form: objective items scored now, written ones from `marked`
    (form item id -> agreed mark) or pending. An unanswered written item scores 0. The cut
    comes from `standards` (item version id -> approved borderline mark; see form_standards)
    and the tier's pass mark for versions without one."""
    standards = standards or {}
    scored = []
    for entry in loaded.items:
        answer = responses[entry.form_item.id].answer if entry.form_item.id in responses else None
        value = entry.item.score(answer)
        if value is None:
            value = marked.get(entry.form_item.id)
            if value is None and not entry.item.is_complete(answer):
                value = Fraction(0)
        scored.append(
            ScoredItem(
                entry.item.area,
                entry.item.marks,
                value,
                standards.get(entry.form_item.item_version_id),
            )
        )
    return outcome(
        scored,
        loaded.tier.pass_mark_percent,
        loaded.tier.domain_floor_percent,
        loaded.tier.domain_floor_min_marks,
    )


def form_standards(
    session: Session, loaded: LoadedForm, released_at: datetime | None = None
) -> dict[int, Fraction]:
    """The approved standards that decide this form's result: the tier's latest approved
    exercise for a result not yet released; for a released one, the standard it was
    released under unless an admin applied a newer one (naas/standards/lookup.py)."""
    return approved_standards(
        session, (entry.form_item.item_version_id for entry in loaded.items), released_at
    )


def area_scores_json(result: Outcome) -> dict[str, dict[str, Any]]:
    return {
        code: {"score": str(area.score), "marks": area.marks} for code, area in result.areas.items()
    }


def overdue_sittings(
    session: Session, now: datetime, candidate_id: int | None = None
) -> list[Sitting]:
    query = (
        select(Sitting)
        .where(Sitting.status == "in_progress", Sitting.deadline <= now)
        .order_by(Sitting.id)
    )
    if candidate_id is not None:
        query = query.where(Sitting.candidate_id == candidate_id)
    return list(session.scalars(query))


def expire_overdue(session: Session, now: datetime, candidate_id: int | None = None) -> list[int]:
    """Submit every sitting whose deadline has passed, whether or not its browser came back."""
    expired = []
    for sitting in overdue_sittings(session, now, candidate_id):
        with session.begin_nested():  # each sitting on its own: one lost race undoes only itself
            if submit_if_overdue(session, sitting, now):
                expired.append(sitting.id)
    session.flush()
    return expired


def tier_for(session: Session, tier_id: str) -> Tier | None:
    version = current_tier_version(session, tier_id)
    return tier_from_version(version) if version else None


def tier_for_form(session: Session, form: TestForm) -> Tier:
    return tier_from_version(session.get_one(TierVersion, form.tier_version_id))


# Approved extra time: none, or a step of 5% up to double the time.
EXTRA_TIME_PERCENTS = tuple(range(0, 101, 5))


def find_candidate(session: Session, email_or_registration: str) -> User | None:
    """A candidate by their email address or their registration number, for an admin's look-up."""
    text = email_or_registration.strip()
    if not text:
        return None
    user = (
        find_user(session, text)
        if "@" in text
        else session.scalar(
            select(User)
            .join(CandidateProfile, CandidateProfile.user_id == User.id)
            .where(CandidateProfile.registration_number == normalise_registration(text))
        )
    )
    return user if user is not None and user.profile is not None else None


def set_extra_time(
    session: Session, candidate: User, percent: int, reason: str, actor: User, now: datetime
) -> None:
    """Record an admin's approved adjustment; every later sitting applies it at its start
    (a sitting already started keeps the deadline it started with)."""
    if candidate.profile is None:
        raise SittingRefused("invalid", f"{candidate.email} is not a candidate.")
    if not actor.has_role("admin"):
        raise SittingRefused(
            "invalid", f"{actor.email} is not an admin: only an admin records extra time."
        )
    if percent not in EXTRA_TIME_PERCENTS:
        raise SittingRefused("invalid", "Extra time must be a step of 5% from 0% to 100%.")
    if not reason.strip():
        raise SittingRefused(
            "invalid", "Give the reason for the adjustment (e.g. the assessment that supports it)."
        )
    before = candidate.profile.extra_time_percent
    candidate.profile.extra_time_percent = percent
    candidate.profile.extra_time_reason = reason.strip()
    candidate.profile.extra_time_approved_by = actor.id
    audit.record(
        session,
        action="candidate.extra_time",
        subject_type="user",
        subject_id=candidate.id,
        actor_id=actor.id,
        now=now,
        data={"from": before, "to": percent, "reason": reason.strip()},
    )
    session.flush()


def candidate_overview(session: Session, candidate: User, now: datetime) -> dict[str, Any]:
    """What the candidate's dashboard shows: endorsements, and each sitting with its state."""
    expire_overdue(session, now, candidate_id=candidate.id)
    endorsements = session.scalars(
        select(Endorsement)
        .where(Endorsement.candidate_id == candidate.id, Endorsement.withdrawn_at.is_(None))
        .order_by(Endorsement.created_at)
    ).all()
    sittings = session.scalars(
        select(Sitting)
        .where(Sitting.candidate_id == candidate.id)
        .order_by(Sitting.started_at.desc())
    ).all()
    results = {
        r.sitting_id: r
        for r in session.scalars(
            select(Result).where(Result.sitting_id.in_([s.id for s in sittings]))
        )
    }
    rows = []
    for endorsement in endorsements:
        try:
            may_start(session, candidate, endorsement, now)
            can_start, why_not = True, None
        except SittingRefused as exc:
            can_start, why_not = False, exc.message
        rows.append(
            {
                "endorsement": endorsement,
                "tier": tier_for(session, endorsement.tier),
                "can_start": can_start,
                "why_not": why_not,
            }
        )
    return {
        "endorsements": rows,
        "sittings": [(s, results.get(s.id)) for s in sittings],
        "now": now,
    }
