"""Equality monitoring: a candidate's answers, their consent and its withdrawal; the fairness
report computed and kept per tier; and a flagged item sent back to review.

Only this package reads the equality answers (tests/equality/test_separation.py): marking,
employers, certificates and results never see them. The audit log records that a candidate
gave, changed or withdrew their answers, never what the answers are.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from naas import audit
from naas.models import (
    EqualityResponse,
    FairnessRun,
    ItemReviewNote,
    ItemVersion,
    Mark,
    Script,
    User,
)
from naas.statistics.data import load_tier

from .questions import BY_NAME, QUESTION_NAMES
from .report import build_report

MAX_NOTE = 2000
CONSENT_NEEDED = (
    "Tick the box to agree that we may keep your answers. Without your agreement nothing is stored."
)


class EqualityRefused(Exception):
    """Answers that cannot be stored, with a message per question (or "consent")."""

    def __init__(self, problems: Mapping[str, str]):
        self.problems = dict(problems)
        super().__init__("; ".join(self.problems.values()))


class FairnessRefused(Exception):
    """Something an admin asked of the fairness report that cannot be done, with the reason."""


# -- the candidate's answers -------------------------------------------------------------
def answers_of(session: Session, candidate_id: int) -> EqualityResponse | None:
    return session.scalar(
        select(EqualityResponse).where(EqualityResponse.candidate_id == candidate_id)
    )


def has_consented(record: EqualityResponse | None) -> bool:
    return record is not None and record.consent_at is not None and record.withdrawn_at is None


def should_invite(session: Session, candidate_id: int) -> bool:
    """Invite a candidate who has never been asked; one who answered or withdrew has chosen."""
    return answers_of(session, candidate_id) is None


def check_answers(answers: Mapping[str, Any], consent: bool) -> dict[str, str | None]:
    """The answers as they will be stored, or EqualityRefused naming each problem. An empty
    answer means the question was left unanswered, which is allowed."""
    problems: dict[str, str] = {}
    clean: dict[str, str | None] = {}
    unknown = set(answers) - set(QUESTION_NAMES)
    if unknown:
        problems["form"] = (
            "These answers are not questions we ask: " + ", ".join(sorted(unknown)) + "."
        )
    for name in QUESTION_NAMES:
        value = answers.get(name)
        if value in (None, ""):
            clean[name] = None
        elif not isinstance(value, str) or value not in BY_NAME[name].codes:
            problems[name] = (
                f"Choose one of the answers listed for “{BY_NAME[name].legend}”, or "
                "“Prefer not to say”."
            )
        else:
            clean[name] = value
    if not consent:
        problems["consent"] = CONSENT_NEEDED
    if problems:
        raise EqualityRefused(problems)
    return clean


def save_answers(
    session: Session, candidate: User, answers: Mapping[str, Any], consent: bool, now: datetime
) -> EqualityResponse:
    """Store (or change) a candidate's answers with their consent, audited without the answers.
    Nothing is stored unless every answer is one of its list and consent was given."""
    clean = check_answers(answers, consent)
    record = answers_of(session, candidate.id)
    action = "equality.answers_changed" if has_consented(record) else "equality.consent_given"
    if record is None:
        record = EqualityResponse(candidate_id=candidate.id)
        session.add(record)
    for name, value in clean.items():
        setattr(record, name, value)
    record.consent_at, record.withdrawn_at, record.updated_at = now, None, now
    session.flush()
    audit.record(
        session,
        action=action,
        subject_type="user",
        subject_id=candidate.id,
        actor_id=candidate.id,
        now=now,
    )
    return record


def withdraw(session: Session, candidate: User, now: datetime) -> bool:
    """Withdraw consent: every answer is cleared at once, and the record keeps only when.
    False when there was nothing to withdraw."""
    record = answers_of(session, candidate.id)
    if record is None or not has_consented(record):
        return False
    for name in QUESTION_NAMES:
        setattr(record, name, None)
    record.consent_at, record.withdrawn_at, record.updated_at = None, now, now
    session.flush()
    audit.record(
        session,
        action="equality.consent_withdrawn",
        subject_type="user",
        subject_id=candidate.id,
        actor_id=candidate.id,
        now=now,
    )
    return True


def answers_by_candidate(
    session: Session, candidate_ids: Iterable[int]
) -> dict[int, dict[str, str | None]]:
    """The consented answers of these candidates, for the fairness report only."""
    wanted = sorted({int(c) for c in candidate_ids})
    found: dict[int, dict[str, str | None]] = {}
    for start in range(0, len(wanted), 1000):  # keep each IN list short
        chunk = wanted[start : start + 1000]
        for record in session.scalars(
            select(EqualityResponse).where(
                EqualityResponse.candidate_id.in_(chunk),
                EqualityResponse.consent_at.is_not(None),
                EqualityResponse.withdrawn_at.is_(None),
            )
        ):
            found[record.candidate_id] = {name: getattr(record, name) for name in QUESTION_NAMES}
    return found


# -- the fairness report -----------------------------------------------------------------
def compute(
    session: Session, tier: str, scope: str, actor_id: int | None, now: datetime
) -> FairnessRun:
    """Compute a tier's fairness report and keep it: a command (or, later, a background job)
    calls this, never a page."""
    started = time.perf_counter()
    data = load_tier(session, tier, scope)
    answers = answers_by_candidate(session, data.candidate_ids.tolist())
    moderated = _moderated_scripts(session, data.sitting_ids.tolist())
    payload = build_report(data, answers, moderated)
    run = FairnessRun(
        tier=tier,
        scope=scope,
        computed_at=now,
        computed_by=actor_id,
        sittings=data.sittings,
        seconds=round(time.perf_counter() - started, 3),
        payload=payload,
    )
    session.add(run)
    session.flush()
    audit.record(
        session,
        action="fairness.computed",
        subject_type="tier",
        subject_id=tier,
        actor_id=actor_id,
        now=now,
        data={"run": run.id, "scope": scope, "sittings": data.sittings},
    )
    return run


def _moderated_scripts(session: Session, sitting_ids: list[int]) -> dict[tuple[int, int], bool]:
    """(sitting id, item version id) -> whether that written answer went to moderation (the
    two first marks differed by more than the tolerance): it has a moderation mark, or waits for one."""
    found: dict[tuple[int, int], bool] = {}
    for start in range(0, len(sitting_ids), 1000):
        chunk = sitting_ids[start : start + 1000]
        to_moderation = select(Mark.script_id).where(Mark.purpose == "moderation")
        for row in session.execute(
            select(
                Script.sitting_id,
                Script.item_version_id,
                Script.status,
                Script.id.in_(to_moderation).label("moderated"),
            ).where(Script.sitting_id.in_(chunk), Script.kind == "candidate")
        ):
            found[(row.sitting_id, row.item_version_id)] = (
                bool(row.moderated) or row.status == "moderation"
            )
    return found


def latest(session: Session, tier: str) -> FairnessRun | None:
    return session.scalar(
        select(FairnessRun)
        .where(FairnessRun.tier == tier)
        .order_by(FairnessRun.computed_at.desc(), FairnessRun.id.desc())
        .limit(1)
    )


def send_to_review(
    session: Session, run: FairnessRun, key: str, note: str, actor_id: int, now: datetime
) -> ItemReviewNote:
    """Send an item version back to the bank's writers for its DIF, with the admin's reason,
    audited. Only an item the report flagged or marked to watch may be sent from here."""
    note = (note or "").strip()
    if not note:
        raise FairnessRefused("Write the note: what should the writers look at, and why?")
    if len(note) > MAX_NOTE:
        raise FairnessRefused(f"The note is {len(note)} characters; keep it to {MAX_NOTE}.")
    entry = run.payload.get("items", {}).get(key)
    if entry is None or session.get(ItemVersion, entry["item_version_id"]) is None:
        raise FairnessRefused("That item version is not in this fairness report.")
    if not (entry["flagged"] or entry["watch"]):
        raise FairnessRefused(
            "This item shows no DIF beyond class A in this report: there is nothing to send."
        )
    record = ItemReviewNote(
        item_version_id=entry["item_version_id"],
        source="fairness",
        note=note,
        created_by=actor_id,
        created_at=now,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        action="item.review_note",
        subject_type="item_version",
        subject_id=key,
        actor_id=actor_id,
        now=now,
        data={"note_id": record.id, "source": "fairness", "run": run.id},
    )
    return record


def fairness_notes(session: Session, item_version_id: int) -> list[ItemReviewNote]:
    return list(
        session.scalars(
            select(ItemReviewNote)
            .where(
                ItemReviewNote.item_version_id == item_version_id,
                ItemReviewNote.source == "fairness",
            )
            .order_by(ItemReviewNote.created_at, ItemReviewNote.id)
        )
    )
