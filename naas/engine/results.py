"""A form's result from its items' scores, exactly as the bank contract says.

A candidate passes when total / marks available >= pass_mark_percent and, where the tier
sets domain_floor_percent, every KSS area on the form reaches it too. Scores stay exact
(Fractions); only display rounds.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True)
class ScoredItem:
    area: str
    marks: int
    score: Fraction | None  # None: waiting for human marking


@dataclass(frozen=True)
class AreaScore:
    score: Fraction
    marks: int

    @property
    def fraction(self) -> Fraction:
        return self.score / self.marks if self.marks else Fraction(0)


@dataclass(frozen=True)
class Outcome:
    total: Fraction
    max_marks: int
    areas: Mapping[str, AreaScore]
    pending: int  # items still to be marked
    passed: bool | None  # None until nothing is pending
    failed_areas: tuple[str, ...] = field(default=())

    @property
    def fraction(self) -> Fraction:
        return self.total / self.max_marks if self.max_marks else Fraction(0)


def percent(value: int | float) -> Fraction:
    """A percentage from tiers.yaml as an exact fraction (60 -> 3/5, 62.5 -> 5/8)."""
    return Fraction(str(value)) / 100


def outcome(items: Iterable[ScoredItem], pass_mark_percent: int | float,
            domain_floor_percent: int | float | None) -> Outcome:
    total = Fraction(0)
    max_marks = 0
    pending = 0
    scores: dict[str, Fraction] = {}
    marks: dict[str, int] = {}
    for item in items:
        max_marks += item.marks
        marks[item.area] = marks.get(item.area, 0) + item.marks
        scores.setdefault(item.area, Fraction(0))
        if item.score is None:
            pending += 1
            continue
        if not 0 <= item.score <= item.marks:
            raise ValueError(f"a score of {item.score} is outside 0..{item.marks}")
        total += item.score
        scores[item.area] += item.score
    areas = {area: AreaScore(scores[area], marks[area]) for area in sorted(marks, key=_area_order)}
    if pending:
        return Outcome(total, max_marks, areas, pending, None)
    failed = ()
    if domain_floor_percent is not None:
        floor = percent(domain_floor_percent)
        failed = tuple(a for a, s in areas.items() if s.fraction < floor)
    passed = max_marks > 0 and total / max_marks >= percent(pass_mark_percent) and not failed
    return Outcome(total, max_marks, areas, 0, passed, failed)


def _area_order(code: str) -> tuple[str, int]:
    return (code[:1], int(code[1:]) if code[1:].isdigit() else 0)
