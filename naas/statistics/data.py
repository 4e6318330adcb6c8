"""A tier's scored responses read from the database into the plain arrays the engine's
item analysis takes (naas/engine/itemanalysis.py).

Scores are recomputed from each response and the item version the form pinned, exactly as
results are (objective items by the item type's `score`; written answers from their final
mark; an unanswered item scores 0), so the statistics and the results cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from naas.bank import Scenario
from naas.engine.itemanalysis import ItemInfo, Responses
from naas.engine.items.base import ItemType, OptionItem
from naas.models import (
    FormItem,
    ItemVersion,
    Response,
    Result,
    ScenarioVersion,
    Script,
    Sitting,
    TestForm,
)

SCOPES = ("released", "submitted")  # released results only, or every submitted sitting (admins)


@dataclass
class TierData:
    tier: str
    scope: str
    items: list[ItemInfo]
    item_version_ids: list[int]
    responses: Responses
    sitting_ids: np.ndarray
    candidate_ids: np.ndarray
    passed: np.ndarray  # 1 passed, 0 not passed, -1 undecided
    cut: np.ndarray  # the cut score each sitting's result was decided against (NaN if unknown)

    @property
    def sittings(self) -> int:
        return len(self.sitting_ids)


def item_key(item_id: str, version: int) -> str:
    return f"{item_id}@{version}"


def load_tier(session: Session, tier: str, scope: str = "released") -> TierData:
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    query = (
        select(
            Sitting.id,
            Sitting.candidate_id,
            Sitting.form_id,
            TestForm.total_marks,
            Result.passed,
            Result.cut_score,
            Result.max_marks,
        )
        .join(TestForm, TestForm.id == Sitting.form_id)
        .join(Result, Result.sitting_id == Sitting.id)
        .where(Sitting.tier == tier, Sitting.status == "submitted")
        .order_by(Sitting.id)
    )
    if scope == "released":
        query = query.where(Result.released_at.is_not(None))
    rows = session.execute(query).all()
    sitting_index = {row.id: i for i, row in enumerate(rows)}
    form_ids = sorted({row.form_id for row in rows})

    # every item version these forms pinned, rebuilt from its scenario version's definition
    pinned = (
        session.execute(
            select(
                FormItem.id,
                FormItem.form_id,
                FormItem.item_version_id,
                ItemVersion.item_id,
                ItemVersion.version,
                ItemVersion.scenario_version_id,
            )
            .join(ItemVersion, ItemVersion.id == FormItem.item_version_id)
            .where(FormItem.form_id.in_(form_ids))
        ).all()
        if form_ids
        else []
    )
    scenario_ids = {p.scenario_version_id for p in pinned}
    scenarios: dict[int, Scenario] = {}
    for version in session.scalars(
        select(ScenarioVersion).where(ScenarioVersion.id.in_(scenario_ids))
    ):
        scenarios[version.id] = Scenario.from_spec(version.spec)
    definitions: dict[int, tuple[ItemType, str]] = {}
    versions: dict[int, int] = {}
    for p in pinned:
        if p.item_version_id not in definitions:
            scenario = scenarios[p.scenario_version_id]
            item = next(i for i in scenario.items if i.id == p.item_id)
            definitions[p.item_version_id] = (item, scenario.id)
            versions[p.item_version_id] = p.version
    version_ids = sorted(
        definitions, key=lambda v: (definitions[v][1], _position(definitions[v][0].id))
    )
    column = {v: j for j, v in enumerate(version_ids)}
    items = []
    for v in version_ids:
        item, scenario_id = definitions[v]
        number = versions[v]
        options, keyed = (
            (tuple(item.options), item.keyed()) if isinstance(item, OptionItem) else ((), ())
        )
        items.append(
            ItemInfo(
                item_key(item.id, number),
                item.id,
                number,
                scenario_id,
                item.name,
                item.area,
                item.marks,
                options,
                keyed,
            )
        )

    answers = {}
    if rows:
        for r in session.execute(
            select(Response.id, Response.sitting_id, Response.form_item_id, Response.answer).where(
                Response.sitting_id.in_(sitting_index)
            )
        ):
            answers[r.form_item_id] = (r.id, r.answer)
    finals: dict[int, Fraction | None] = {}
    if answers:
        for s in session.execute(
            select(Script.response_id, Script.final_mark).where(
                Script.sitting_id.in_(sitting_index), Script.status == "final"
            )
        ):
            finals[s.response_id] = s.final_mark
    sitting_of_form = {row.form_id: sitting_index[row.id] for row in rows}
    records = []
    for p in pinned:
        item, _ = definitions[p.item_version_id]
        response_id, answer = answers.get(p.id, (None, None))
        score = item.score(answer)
        if score is None:  # written: its final mark, or 0 unanswered or not yet final
            score = finals.get(response_id) or Fraction(0)
        mask = 0
        if isinstance(item, OptionItem) and answer is not None:
            labels = list(item.options)
            for label in item.chosen_labels(answer):
                mask |= 1 << labels.index(label)
        records.append((sitting_of_form[p.form_id], column[p.item_version_id], float(score), mask))
    responses = Responses.build(
        records, [row.form_id for row in rows], [float(row.total_marks) for row in rows]
    )
    return TierData(
        tier,
        scope,
        items,
        version_ids,
        responses,
        np.array([row.id for row in rows], dtype=np.int64),
        np.array([row.candidate_id for row in rows], dtype=np.int64),
        np.array([-1 if row.passed is None else int(row.passed) for row in rows], dtype=np.int64),
        np.array([float(row.cut_score) if row.cut_score is not None else np.nan for row in rows]),
    )


def _position(item_id: str) -> int:
    tail = item_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0
