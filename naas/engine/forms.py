"""Assembling a form: which scenarios, in which order, with each candidate's option order.

`assemble` is a pure function of the tier, the live scenarios, a seed and the scenarios
to avoid, so a recorded seed rebuilds exactly the same form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from random import Random
from typing import Any

from .assembly import Rules, draw


@dataclass(frozen=True)
class PlannedItem:
    scenario_id: str
    stage_index: int  # within its scenario
    page: int  # the page of the form, from 0: one page per stage
    item_id: str
    state: Mapping[str, Any]


@dataclass(frozen=True)
class FormPlan:
    seed: int
    scenario_ids: tuple[str, ...]
    pages: tuple[tuple[str, int], ...]  # (scenario id, stage index) per page
    items: tuple[PlannedItem, ...]
    total_marks: int


class CannotAssemble(ValueError):
    """The live bank cannot fill the blueprint: an administrator has to act."""


def assemble(
    tier: Any, scenarios: Sequence[Any], seed: int, avoid: frozenset[str] = frozenset()
) -> FormPlan:
    rng = Random(seed)
    chosen = draw(scenarios, Rules(tier.blueprint, tier.area_codes), rng, avoid)
    if chosen is None:
        raise CannotAssemble(f"the live scenarios of tier '{tier.id}' cannot fill its blueprint")
    pages: list[tuple[str, int]] = []
    items: list[PlannedItem] = []
    for scenario in chosen:
        for stage_index, stage in enumerate(scenario.stages):
            page = len(pages)
            pages.append((scenario.id, stage_index))
            for item in stage.items:
                items.append(
                    PlannedItem(scenario.id, stage_index, page, item.id, dict(item.start(rng)))
                )
    return FormPlan(
        seed, tuple(s.id for s in chosen), tuple(pages), tuple(items), sum(s.marks for s in chosen)
    )
