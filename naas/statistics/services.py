"""Computing a tier's item analysis and reliability and keeping it (a StatisticsRun), review
notes raised from it, and its CSV export. Statistics are never computed inside a page
request: `naas stats items` computes them (a background job once jobs exist), and the pages
read the latest run, saying when it was computed."""

from __future__ import annotations

import csv
import io
import math
import time
from dataclasses import asdict
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from naas import audit
from naas.engine.itemanalysis import (
    MIN_SITTINGS,
    form_reliability,
    item_statistics,
    set_statistics,
    tier_reliability,
)
from naas.models import ItemReviewNote, ItemVersion, StatisticsRun

from .data import load_tier

MAX_NOTE = 2000


class StatisticsRefused(Exception):
    """Something a user asked for that cannot be done, with the reason to show them."""


def _clean(value: Any) -> Any:
    """Plain JSON: NaN and infinities become null, numpy numbers plain numbers."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else round(float(value), 6)
    if isinstance(value, np.integer):
        return int(value)
    return value


def compute(
    session: Session, tier: str, scope: str, actor_id: int | None, now: datetime
) -> StatisticsRun:
    started = time.perf_counter()
    data = load_tier(session, tier, scope)
    responses = data.responses
    items = item_statistics(data.items, responses)
    sets = set_statistics(data.items, responses)
    reliability = tier_reliability(data.items, responses)
    totals = responses.totals()
    forms = []
    form_ids, counts = np.unique(responses.sitting_form, return_counts=True)
    for form, count in zip(form_ids, counts, strict=True):
        if count >= MIN_SITTINGS:
            cuts = data.cut[responses.sitting_form == form]
            cut = float(np.nanmean(cuts)) if np.isfinite(cuts).any() else None
            forms.append(asdict(form_reliability(data.items, responses, int(form), cut)))
    known = np.isfinite(data.cut)
    band = None
    if reliability.sem is not None and known.any():
        distance = np.abs(totals[known] - data.cut[known])
        band = {
            "sem": reliability.sem,
            "mean_cut": float(data.cut[known].mean()),
            "within": int((distance <= reliability.sem).sum()),
            "decided": int(known.sum()),
        }
    payload = _clean(
        {
            "items": {s.info.key: {**asdict(s), "info": asdict(s.info)} for s in items},
            "sets": [asdict(s) for s in sets],
            "tier": {k: v for k, v in asdict(reliability).items() if k != "forms"},
            "forms": forms,
            "band": band,
            "item_versions": dict(
                zip((i.key for i in data.items), data.item_version_ids, strict=True)
            ),
            "min_sittings": MIN_SITTINGS,
        }
    )
    run = StatisticsRun(
        tier=tier,
        scope=scope,
        computed_at=now,
        computed_by=actor_id,
        sittings=data.sittings,
        responses=len(responses.score),
        seconds=round(time.perf_counter() - started, 3),
        payload=payload,
    )
    session.add(run)
    session.flush()
    return run


def latest(session: Session, tier: str, scope: str | None = None) -> StatisticsRun | None:
    query = select(StatisticsRun).where(StatisticsRun.tier == tier)
    if scope:
        query = query.where(StatisticsRun.scope == scope)
    return session.scalar(
        query.order_by(StatisticsRun.computed_at.desc(), StatisticsRun.id.desc()).limit(1)
    )


def sem_band(session: Session, tier: str) -> dict[str, Any] | None:
    """How many candidates' totals lay within one SEM of their form's cut in the tier's latest
    statistics, with when they were computed: the decisions least certain."""
    run = latest(session, tier)
    if run is None or not run.payload.get("band"):
        return None
    return {**run.payload["band"], "computed_at": run.computed_at, "scope": run.scope}


def flagged(run: StatisticsRun) -> list[dict[str, Any]]:
    return [entry for entry in run.payload["items"].values() if entry["flags"]]


def add_review_note(
    session: Session, run: StatisticsRun, key: str, note: str, actor_id: int, now: datetime
) -> ItemReviewNote:
    """Send an item version back to the bank's writers with a reason, audited."""
    note = (note or "").strip()
    if not note:
        raise StatisticsRefused("Write the note: what should the writers look at, and why?")
    if len(note) > MAX_NOTE:
        raise StatisticsRefused(f"The note is {len(note)} characters; keep it to {MAX_NOTE}.")
    version_id = run.payload.get("item_versions", {}).get(key)
    if version_id is None or session.get(ItemVersion, version_id) is None:
        raise StatisticsRefused("That item version is not in these statistics.")
    record = ItemReviewNote(
        item_version_id=version_id,
        source="statistics",
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
        data={"note_id": record.id, "source": "statistics", "run": run.id},
    )
    return record


def notes_for(session: Session, item_version_id: int) -> list[ItemReviewNote]:
    return list(
        session.scalars(
            select(ItemReviewNote)
            .where(ItemReviewNote.item_version_id == item_version_id)
            .order_by(ItemReviewNote.created_at)
        )
    )


CSV_COLUMNS = (
    "item",
    "version",
    "scenario",
    "type",
    "area",
    "marks",
    "sittings",
    "facility",
    "item_rest",
    "upper_lower",
    "flags",
)


def to_csv(run: StatisticsRun) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for entry in run.payload["items"].values():
        info = entry["info"]
        if entry["too_few"]:
            figures = ["too few sittings"] * 3
        else:
            figures = [
                "" if entry[k] is None else f"{entry[k]:.3f}"
                for k in ("facility", "item_rest", "upper_lower")
            ]
        writer.writerow(
            [
                info["item_id"],
                info["version"],
                info["scenario"],
                info["type"],
                info["area"],
                info["marks"],
                entry["n"],
                *figures,
                "; ".join(entry["flags"]),
            ]
        )
    return out.getvalue()
