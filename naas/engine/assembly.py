"""Which scenarios make a form: the blueprint's rules, and a seeded draw among them.

A form is a set of whole scenarios (a case is never cut in half). It must have exactly
`blueprint.scenarios` of them, reach `min_items_per_area` items in every area of the tier
and, where the blueprint sets `total_marks`, add up to exactly that.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from random import Random
from typing import Protocol


class ScenarioLike(Protocol):
    id: str

    @property
    def marks(self) -> int: ...

    @property
    def area_counts(self) -> Counter[str]: ...


class BlueprintLike(Protocol):
    scenarios: int
    min_items_per_area: int
    total_marks: int | None


@dataclass(frozen=True)
class Rules:
    blueprint: BlueprintLike
    areas: tuple[str, ...]

    def fits(self, chosen: Sequence[ScenarioLike]) -> bool:
        if len(chosen) != self.blueprint.scenarios:
            return False
        if self.blueprint.total_marks is not None and sum(s.marks for s in chosen) != self.blueprint.total_marks:
            return False
        counts: Counter[str] = Counter()
        for scenario in chosen:
            counts.update(scenario.area_counts)
        return all(counts[area] >= self.blueprint.min_items_per_area for area in self.areas)


def _search(pool: Sequence[ScenarioLike], rules: Rules) -> Iterator[tuple[ScenarioLike, ...]]:
    """Every fitting choice, in the order of `pool`, pruning choices that cannot fit."""
    k, total = rules.blueprint.scenarios, rules.blueprint.total_marks
    need = rules.blueprint.min_items_per_area
    # the most items of each area that any `slots` scenarios from position i on could add
    best_per_area = {a: sorted((s.area_counts[a] for s in pool), reverse=True) for a in rules.areas}

    def extend(start: int, chosen: list[ScenarioLike], marks: int, counts: Counter[str]):
        if len(chosen) == k:
            if rules.fits(chosen):
                yield tuple(chosen)
            return
        slots = k - len(chosen)
        if total is not None and marks >= total:
            return
        for area in rules.areas:
            if counts[area] + sum(best_per_area[area][:slots]) < need:
                return
        for index in range(start, len(pool) - slots + 1):
            scenario = pool[index]
            if total is not None and marks + scenario.marks > total:
                continue
            chosen.append(scenario)
            yield from extend(index + 1, chosen, marks + scenario.marks, counts + scenario.area_counts)
            chosen.pop()

    yield from extend(0, [], 0, Counter())


def fitting_forms(scenarios: Iterable[ScenarioLike], rules: Rules, limit: int = 100_000) -> list[tuple[str, ...]]:
    """The ids of every fitting form (up to `limit`), each sorted."""
    pool = sorted(scenarios, key=lambda s: s.id)
    found = []
    for chosen in _search(pool, rules):
        found.append(tuple(s.id for s in chosen))
        if len(found) >= limit:
            break
    return found


def draw(scenarios: Iterable[ScenarioLike], rules: Rules, rng: Random,
         avoid: frozenset[str] = frozenset()) -> tuple[ScenarioLike, ...] | None:
    """A fitting form chosen by `rng`, preferring scenarios not in `avoid` (already seen).

    Scenarios are tried in a shuffled order, so the same seed always gives the same form.
    A form of unseen scenarios is drawn where the bank allows one; otherwise the form with
    the fewest seen scenarios that still fits. None if no form fits at all.
    """
    pool = sorted(scenarios, key=lambda s: s.id)
    rng.shuffle(pool)
    fresh = [s for s in pool if s.id not in avoid]
    first = next(_search(fresh, rules), None)
    if first is not None or not avoid:
        return first
    best, best_seen = None, None
    for chosen in _search(pool, rules):
        seen = sum(s.id in avoid for s in chosen)
        if best_seen is None or seen < best_seen:
            best, best_seen = chosen, seen
    return best


def distinct_forms(forms: Sequence[tuple[str, ...]], overlap_at_most: float = 0.5) -> list[tuple[str, ...]]:
    """A greedy set of forms each pair of which differs in at least half its scenarios."""
    chosen: list[tuple[str, ...]] = []
    for form in forms:
        if all(len(set(form) & set(other)) <= len(form) * overlap_at_most for other in chosen):
            chosen.append(form)
    return chosen

