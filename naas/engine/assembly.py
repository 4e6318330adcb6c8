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
from typing import Protocol, TypeVar


# Read-only members, so that the bank's frozen dataclasses fit.
class ScenarioLike(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def marks(self) -> int: ...

    @property
    def area_counts(self) -> Counter[str]: ...


S = TypeVar("S", bound=ScenarioLike)


class BlueprintLike(Protocol):
    @property
    def scenarios(self) -> int: ...

    @property
    def min_items_per_area(self) -> int: ...

    @property
    def total_marks(self) -> int | None: ...


@dataclass(frozen=True)
class Rules:
    blueprint: BlueprintLike
    areas: tuple[str, ...]

    def fits(self, chosen: Sequence[ScenarioLike]) -> bool:
        if len(chosen) != self.blueprint.scenarios:
            return False
        if (
            self.blueprint.total_marks is not None
            and sum(s.marks for s in chosen) != self.blueprint.total_marks
        ):
            return False
        counts: Counter[str] = Counter()
        for scenario in chosen:
            counts.update(scenario.area_counts)
        return all(counts[area] >= self.blueprint.min_items_per_area for area in self.areas)


# The search below never explores a choice whose marks cannot reach the blueprint's total
# (that is decided exactly, by dynamic programming), nor one whose areas obviously cannot
# be covered. Whether some areas can be covered together is the hard part (it is a set
# cover problem), so a search that has spent MAX_STEPS steps on choices that led nowhere
# gives up rather than hang: callers are told the answer is unknown, not "no".
MAX_STEPS = 200_000


class _GaveUp(Exception):
    pass


class _Budget:
    def __init__(self, steps: int, per_form: int):
        self.left = steps
        self.per_form = per_form

    def step(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise _GaveUp

    def found(self) -> None:
        self.left += self.per_form  # the steps that led to a form are not wasted


def _reachable(pool: Sequence[ScenarioLike], k: int, total: int) -> list[list[int]]:
    """reach[i][c]: the mark totals (as bits of an int) that c scenarios of pool[i:] add up to."""
    mask = (1 << (total + 1)) - 1
    reach = [[1] + [0] * k]
    for scenario in reversed(pool):
        after = reach[-1]
        reach.append(
            [after[0]]
            + [after[c] | ((after[c - 1] << scenario.marks) & mask) for c in range(1, k + 1)]
        )
    reach.reverse()
    return reach


def _search(
    pool: Sequence[S],
    rules: Rules,
    budget: _Budget,
    seen_at_most: tuple[frozenset[str], int] | None = None,
) -> Iterator[tuple[S, ...]]:
    """Every fitting choice, in the order of `pool` (so a shuffled pool gives a seeded draw),
    optionally with at most `n` scenarios from a set of seen ones. Raises _GaveUp."""
    k, total = rules.blueprint.scenarios, rules.blueprint.total_marks
    need = rules.blueprint.min_items_per_area
    n = len(pool)
    if k > n:
        return
    reach = _reachable(pool, k, total) if total is not None else None
    # the most items of each area (and, for all areas together, the most items that still
    # count towards `need`) that any `slots` scenarios of the pool could add
    best = {a: _prefix_sums(s.area_counts[a] for s in pool) for a in rules.areas}
    useful = _prefix_sums(sum(min(s.area_counts[a], need) for a in rules.areas) for s in pool)
    seen, seen_limit = seen_at_most if seen_at_most else (frozenset(), k)

    def extend(
        start: int, chosen: list[S], marks: int, counts: Counter[str], seen_count: int
    ) -> Iterator[tuple[S, ...]]:
        budget.step()
        slots = k - len(chosen)
        if slots == 0:
            if rules.fits(chosen):
                budget.found()
                yield tuple(chosen)
            return
        short = [max(0, need - counts[a]) for a in rules.areas]
        if (
            any(s > best[a][slots] for s, a in zip(short, rules.areas, strict=True))
            or sum(short) > useful[slots]
        ):
            return
        for index in range(start, n - slots + 1):
            scenario = pool[index]
            if reach is not None and total is not None:
                left = total - marks - scenario.marks
                if left < 0 or not (reach[index + 1][slots - 1] >> left) & 1:
                    continue
            is_seen = scenario.id in seen
            if seen_count + is_seen > seen_limit:
                continue
            chosen.append(scenario)
            yield from extend(
                index + 1,
                chosen,
                marks + scenario.marks,
                counts + scenario.area_counts,
                seen_count + is_seen,
            )
            chosen.pop()

    yield from extend(0, [], 0, Counter(), 0)


def _prefix_sums(values: Iterable[int]) -> list[int]:
    """[0, largest, largest + second largest, ...]"""
    sums = [0]
    for value in sorted(values, reverse=True):
        sums.append(sums[-1] + value)
    return sums


@dataclass(frozen=True)
class Forms:
    ids: list[tuple[str, ...]]  # each sorted
    complete: bool  # False if the search stopped at the limit or gave up: there may be more


def fitting_forms(
    scenarios: Iterable[ScenarioLike],
    rules: Rules,
    limit: int = 100_000,
    max_steps: int | None = None,
) -> Forms:
    """The ids of the fitting forms, up to `limit` of them."""
    pool = sorted(scenarios, key=lambda s: s.id)
    found: list[tuple[str, ...]] = []
    budget = _Budget(MAX_STEPS if max_steps is None else max_steps, rules.blueprint.scenarios + 1)
    try:
        for chosen in _search(pool, rules, budget):
            found.append(tuple(s.id for s in chosen))
            if len(found) >= limit:
                return Forms(found, complete=False)
    except _GaveUp:
        return Forms(found, complete=False)
    return Forms(found, complete=True)


def can_fill(
    scenarios: Iterable[ScenarioLike], rules: Rules, max_steps: int | None = None
) -> bool | None:
    """Whether some form fits; None if the search gave up after `max_steps` fruitless steps."""
    forms = fitting_forms(scenarios, rules, limit=1, max_steps=max_steps)
    return True if forms.ids else (False if forms.complete else None)


def _first(
    pool: Sequence[S],
    rules: Rules,
    seen_at_most: tuple[frozenset[str], int] | None = None,
) -> tuple[S, ...] | None:
    try:
        return next(_search(pool, rules, _Budget(MAX_STEPS, 0), seen_at_most), None)
    except _GaveUp:
        return None


def draw(
    scenarios: Iterable[S],
    rules: Rules,
    rng: Random,
    avoid: frozenset[str] = frozenset(),
) -> tuple[S, ...] | None:
    """A fitting form chosen by `rng`, preferring scenarios not in `avoid` (already seen).

    Scenarios are tried in a shuffled order, so the same seed always gives the same form.
    A form of unseen scenarios is drawn where the bank allows one; otherwise the first form
    (in the shuffled order) with the fewest seen scenarios that still fits. None if no form
    fits at all (or the search gave up: see MAX_STEPS).
    """
    pool = sorted(scenarios, key=lambda s: s.id)
    rng.shuffle(pool)
    fresh = [s for s in pool if s.id not in avoid]
    first = _first(fresh, rules)
    if first is not None or not avoid:
        return first
    for seen in range(1, rules.blueprint.scenarios + 1):
        chosen = _first(pool, rules, (avoid, seen))
        if chosen is not None:
            return chosen
    return None


def distinct_forms(
    forms: Sequence[tuple[str, ...]], overlap_at_most: float = 0.5
) -> list[tuple[str, ...]]:
    """A greedy set of forms each pair of which differs in at least half its scenarios."""
    chosen: list[tuple[str, ...]] = []
    for form in forms:
        if all(len(set(form) & set(other)) <= len(form) * overlap_at_most for other in chosen):
            chosen.append(form)
    return chosen
