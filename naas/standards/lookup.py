"""Which approved standard decides a result: read by scoring, so it imports only models.

A result not yet released is decided against the tier's latest approved exercise. A result
already released keeps the standard it was released under: a later exercise reaches it
only if it was approved before the release, or if an admin chose to apply it to released
results (docs/standard-setting.md). The rule reads only stored facts, so a result
recomputed again later (on review, say) is decided against the same standard each time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from fractions import Fraction

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from naas.models import ItemStandard, ItemVersion, StandardExercise

APPROVED = "approved"


def deciding_exercise(
    session: Session, tier: str, released_at: datetime | None = None
) -> StandardExercise | None:
    """The approved exercise whose standard decides a result of `tier` (released at
    `released_at`, or not yet released); None where no exercise applies."""
    query = select(StandardExercise).where(
        StandardExercise.tier == tier, StandardExercise.status == APPROVED
    )
    if released_at is not None:
        query = query.where(
            or_(
                StandardExercise.approved_at <= released_at,
                StandardExercise.released_decision == "applied",
            )
        )
    return session.scalar(
        query.order_by(StandardExercise.approved_at.desc(), StandardExercise.id.desc()).limit(1)
    )


def approved_standards(
    session: Session, item_version_ids: Iterable[int], released_at: datetime | None = None
) -> dict[int, Fraction]:
    """item version id -> its approved borderline mark, for the versions the deciding
    exercise of their tier rated. Versions it did not rate are absent (the pass mark
    covers them)."""
    ids = set(item_version_ids)
    if not ids:
        return {}
    tiers = session.scalars(select(ItemVersion.tier).where(ItemVersion.id.in_(ids)).distinct())
    exercises = [
        e.id
        for e in (deciding_exercise(session, tier, released_at) for tier in tiers)
        if e is not None
    ]
    if not exercises:
        return {}
    rows = session.execute(
        select(ItemStandard.item_version_id, ItemStandard.standard).where(
            ItemStandard.exercise_id.in_(exercises), ItemStandard.item_version_id.in_(ids)
        )
    )
    return {item_version_id: standard for item_version_id, standard in rows}
