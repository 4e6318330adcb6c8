"""A form's result from its items' scores, exactly as the bank contract says.

A candidate passes when the total reaches the form's cut score and, where the tier sets
domain_floor_percent, every KSS area worth at least domain_floor_min_marks on the form
reaches that percentage too. The cut score is the sum, over the form's items, of the
approved standard for each item version (a panel's expected mark for a borderline
candidate), with pass_mark_percent of the marks of any item version the panel has not
rated; with no standard at all it is pass_mark_percent of the form's marks. Scores stay
exact (Fractions); only display rounds.
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
    standard: Fraction | None = None  # the approved borderline mark; None: not rated


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
    cut: Fraction = Fraction(0)  # the score this form needs
    standard_marks: int = 0  # marks whose share of the cut came from an approved standard
    floored_areas: tuple[str, ...] = field(default=())  # areas big enough for the floor to decide

    @property
    def cut_basis(self) -> str:
        """Which cut the form used and why, in words a candidate or a tribunal can read."""
        if self.standard_marks == 0:
            return "pass mark: no approved standard covers this form's items"
        if self.standard_marks == self.max_marks:
            return "approved standard: the sum of the panel's ratings of this form's item versions"
        return (
            f"approved standard for {self.standard_marks} of {self.max_marks} marks; the pass mark "
            "for item versions the panel has not rated"
        )

    @property
    def fraction(self) -> Fraction:
        return self.total / self.max_marks if self.max_marks else Fraction(0)


def percent(value: int | float) -> Fraction:
    """A percentage from tiers.yaml as an exact fraction (60 -> 3/5, 62.5 -> 5/8)."""
    return Fraction(str(value)) / 100


DEFAULT_FLOOR_MIN_MARKS = 10


def outcome(
    items: Iterable[ScoredItem],
    pass_mark_percent: int | float,
    domain_floor_percent: int | float | None,
    domain_floor_min_marks: int = DEFAULT_FLOOR_MIN_MARKS,
) -> Outcome:
    total = Fraction(0)
    max_marks = 0
    pending = 0
    scores: dict[str, Fraction] = {}
    marks: dict[str, int] = {}
    cut = Fraction(0)
    standard_marks = 0
    for item in items:
        if item.standard is not None:
            if not 0 <= item.standard <= item.marks:
                raise ValueError(f"a standard of {item.standard} is outside 0..{item.marks}")
            cut += item.standard
            standard_marks += item.marks
        else:
            cut += percent(pass_mark_percent) * item.marks
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
    # An area worth a handful of marks is reported but decides nothing: two items are too few
    # to fail anyone on.
    floored = (
        tuple(a for a, s in areas.items() if s.marks >= domain_floor_min_marks)
        if domain_floor_percent is not None
        else ()
    )
    if pending:
        return Outcome(
            total, max_marks, areas, pending, None, (), cut, standard_marks, floored_areas=floored
        )
    failed: tuple[str, ...] = ()
    if domain_floor_percent is not None:
        floor = percent(domain_floor_percent)
        failed = tuple(a for a in floored if areas[a].fraction < floor)
    passed = max_marks > 0 and total >= cut and not failed
    return Outcome(
        total, max_marks, areas, 0, passed, failed, cut, standard_marks, floored_areas=floored
    )


def _area_order(code: str) -> tuple[str, int]:
    return (code[:1], int(code[1:]) if code[1:].isdigit() else 0)
