"""Standard setting from plain data: a modified Angoff panel's ratings turned into a standard
per item version, the panel's agreement, and Hofstee's compromise check
(docs/psychometrics.md, "Standard setting").

Each judge rates each item version: the mark a borderline candidate (one who only just
deserves to pass) would be expected to earn, 0..marks. The item's standard is a trimmed mean
of the judges' final ratings, and a form's cut score is the sum of the standards of the item
versions on it (naas/engine/results.py), so that every form asks the same of a borderline
candidate however hard its draw.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

MIN_JUDGES = 5
TRIM = Fraction(1, 10)  # a tenth of the judges cut from each end (none with fewer than 10)


def trimmed_mean(ratings: Sequence[Fraction], trim: Fraction = TRIM) -> Fraction:
    """The mean after dropping floor(trim * n) of the highest and of the lowest ratings:
    one judge far from the rest cannot move the standard alone. Exact."""
    if not ratings:
        raise ValueError("no ratings")
    ordered = sorted(ratings)
    cut = math.floor(trim * len(ordered))
    kept = ordered[cut : len(ordered) - cut] if cut else ordered
    return sum(kept, Fraction(0)) / len(kept)


@dataclass(frozen=True)
class ItemStandard:
    item_key: str
    marks: int
    ratings: int
    standard: Fraction  # the trimmed mean, 0..marks
    spread: float  # standard deviation of the ratings as a share of the marks
    facility: float | None = None  # observed, where sittings exist


@dataclass(frozen=True)
class JudgeDeviation:
    judge: str
    items: int
    mean_deviation: float  # mean of (rating - item standard) / marks: positive is harsher
    mean_absolute: float


@dataclass(frozen=True)
class PanelSummary:
    items: list[ItemStandard]
    judges: list[JudgeDeviation]
    agreement: float | None  # intraclass correlation ICC(2,1) of the ratings as shares of marks
    total_marks: int
    total_standard: Fraction

    @property
    def percent(self) -> float:
        return float(self.total_standard / self.total_marks * 100) if self.total_marks else 0.0


def panel(
    ratings: Mapping[tuple[str, str], Fraction],
    marks: Mapping[str, int],
    facility: Mapping[str, float] | None = None,
) -> PanelSummary:
    """`ratings[(judge, item_key)]`: each judge's (final) rating; `marks[item_key]`."""
    judges = sorted({j for j, _ in ratings})
    standards = []
    for key in sorted(marks):
        values = [ratings[(j, key)] for j in judges if (j, key) in ratings]
        if not values:
            continue
        shares = [float(v) / marks[key] for v in values]
        mean = sum(shares) / len(shares)
        spread = (
            math.sqrt(sum((s - mean) ** 2 for s in shares) / (len(shares) - 1))
            if len(shares) > 1
            else 0.0
        )
        standards.append(
            ItemStandard(
                key,
                marks[key],
                len(values),
                trimmed_mean(values),
                spread,
                (facility or {}).get(key),
            )
        )
    by_key = {s.item_key: s for s in standards}
    deviations = []
    for judge in judges:
        diffs = [
            float(ratings[(judge, k)] - by_key[k].standard) / marks[k]
            for k in by_key
            if (judge, k) in ratings
        ]
        if diffs:
            deviations.append(
                JudgeDeviation(
                    judge,
                    len(diffs),
                    sum(diffs) / len(diffs),
                    sum(abs(d) for d in diffs) / len(diffs),
                )
            )
    complete = [k for k in by_key if all((j, k) in ratings for j in judges)]
    agreement = icc_2_1([[float(ratings[(j, k)]) / marks[k] for j in judges] for k in complete])
    total_marks = sum(s.marks for s in standards)
    return PanelSummary(
        standards,
        deviations,
        agreement,
        total_marks,
        sum((s.standard for s in standards), Fraction(0)),
    )


def icc_2_1(rows: Sequence[Sequence[float]]) -> float | None:
    """Shrout and Fleiss's ICC(2,1): two-way random effects, absolute agreement, one judge.
    Rows are items (targets), columns judges. None where it is undefined."""
    n = len(rows)
    if n < 2 or len(rows[0]) < 2:
        return None
    k = len(rows[0])
    grand = sum(sum(r) for r in rows) / (n * k)
    row_means = [sum(r) / k for r in rows]
    col_means = [sum(r[j] for r in rows) / n for j in range(k)]
    ss_rows = k * sum((m - grand) ** 2 for m in row_means)
    ss_cols = n * sum((m - grand) ** 2 for m in col_means)
    ss_total = sum((x - grand) ** 2 for r in rows for x in r)
    ss_error = ss_total - ss_rows - ss_cols
    ms_rows = ss_rows / (n - 1)
    ms_cols = ss_cols / (k - 1)
    ms_error = ss_error / ((n - 1) * (k - 1))
    denominator = ms_rows + (k - 1) * ms_error + k * (ms_cols - ms_error) / n
    if denominator == 0:
        return None
    return (ms_rows - ms_error) / denominator


@dataclass(frozen=True)
class Hofstee:
    """Hofstee's compromise: the panel's acceptable ranges of cut (percent of marks) and of
    failure rate, set against the cohort's observed failure rate at each cut."""

    cut_percent: float | None  # where the line meets the cohort's curve; None if it does not
    fail_rate: float | None
    angoff_percent: float
    angoff_fail_rate: float
    inside: bool  # the Angoff cut falls within the panel's acceptable box


def hofstee(
    percents: Sequence[float],
    min_cut: float,
    max_cut: float,
    min_fail: float,
    max_fail: float,
    angoff_percent: float,
) -> Hofstee:
    """`percents`: the cohort's totals as percentages of their forms' marks. The line runs
    from (min_cut, max_fail) to (max_cut, min_fail); the compromise cut is where the cohort's
    failure rate at that cut (the share below it) meets the line, searched in steps of 0.1."""
    if not percents:
        raise ValueError("no cohort")
    ordered = sorted(percents)

    def fail_at(cut: float) -> float:
        below = 0
        for value in ordered:
            if value >= cut:
                break
            below += 1
        return below / len(ordered)

    found = None
    steps = int(round((max_cut - min_cut) * 10))
    for step in range(steps + 1):
        cut = min_cut + step / 10
        line = (
            max_fail - (max_fail - min_fail) * (cut - min_cut) / (max_cut - min_cut)
            if max_cut > min_cut
            else min_fail
        )
        if fail_at(cut) >= line:
            found = cut
            break
    rate = fail_at(angoff_percent)
    inside = min_cut <= angoff_percent <= max_cut and min_fail <= rate <= max_fail
    return Hofstee(found, None if found is None else fail_at(found), angoff_percent, rate, inside)
