"""The fairness report of a tier, from plain data: outcomes by group with 95% intervals,
differential item functioning (DIF) per item version for each comparison, and marker effects
on written answers (docs/fairness.md). The statistics themselves are in naas/engine/fairness.py;
this module decides the groups, the comparisons and the matching, and suppresses every group
of fewer than MIN_GROUP so that the stored report never holds a figure about a few people.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from naas.engine.fairness import (
    MIN_GROUP,
    DifResult,
    mantel_haenszel,
    mean_interval,
    standardised_mean_difference,
    wilson,
)
from naas.statistics.data import TierData

from .questions import (
    BROAD_ETHNIC_GROUPS,
    PREFER_NOT,
    PREFER_NOT_LABEL,
    QUESTIONS,
    broad_ethnic_group,
)

NO_ANSWER = "no-answer"
NO_ANSWER_LABEL = "No answer"
MIN_STRATUM = 10  # candidates matched on total score are pooled into bands of at least this many
MAX_STRATA = 20
SMALL_SAMPLE = (
    100  # below this many in either group, DIF estimates are unstable: shown with a caution
)
FREE_TEXT = "free_text"

Answers = Mapping[int, Mapping[str, str | None]]  # candidate id -> question -> code


# -- the groups of each question ---------------------------------------------------------
@dataclass(frozen=True)
class Grouping:
    key: str
    label: str
    question: str
    choices: tuple[
        tuple[str, str], ...
    ]  # (code, label) in the order shown, excluding the two below
    value: Callable[[str | None], str | None] = lambda code: code


GROUPINGS: tuple[Grouping, ...] = (
    Grouping(
        "ethnic_broad",
        "Ethnic group (broad)",
        "ethnic_group",
        tuple(BROAD_ETHNIC_GROUPS.items()),
        broad_ethnic_group,
    ),
    *(
        Grouping(
            q.name,
            q.label + (" (detailed)" if q.name == "ethnic_group" else ""),
            q.name,
            tuple(c for c in q.choices if c[0] != PREFER_NOT),
        )
        for q in QUESTIONS
    ),
)


@dataclass(frozen=True)
class Comparison:
    """Two groups compared for DIF and marker effects; every other answer is left out."""

    key: str
    characteristic: str  # which question it is about: flags count characteristics, not comparisons
    reference: str
    focal: str
    reference_codes: frozenset[str]
    focal_codes: frozenset[str]
    value: Callable[[Mapping[str, str | None]], str | None]

    @property
    def label(self) -> str:
        return f"{self.reference} and {self.focal}"

    def code(self, answers: Mapping[str, str | None] | None) -> int:
        value = self.value(answers) if answers else None
        if value in self.reference_codes:
            return 0
        if value in self.focal_codes:
            return 1
        return -1


def _ethnic(answers: Mapping[str, str | None]) -> str | None:
    return broad_ethnic_group(answers.get("ethnic_group"))


def _answer(name: str) -> Callable[[Mapping[str, str | None]], str | None]:
    return lambda answers: answers.get(name)


NOT_WHITE = frozenset(code for code in BROAD_ETHNIC_GROUPS if code != "white")
COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "ethnicity",
        "ethnic group",
        "White",
        "all other ethnic groups",
        frozenset({"white"}),
        NOT_WHITE,
        _ethnic,
    ),
    *(
        Comparison(
            f"ethnicity-{code}",
            "ethnic group",
            "White",
            BROAD_ETHNIC_GROUPS[code],
            frozenset({"white"}),
            frozenset({code}),
            _ethnic,
        )
        for code in sorted(NOT_WHITE)
    ),
    Comparison(
        "sex", "sex", "Female", "Male", frozenset({"female"}), frozenset({"male"}), _answer("sex")
    ),
    Comparison(
        "age",
        "age",
        "Under 45",
        "45 and over",
        frozenset({"under-25", "25-34", "35-44"}),
        frozenset({"45-54", "55-64", "65-plus"}),
        _answer("age_band"),
    ),
    Comparison(
        "disability",
        "disability",
        "Not disabled",
        "Disabled",
        frozenset({"no"}),
        frozenset({"yes"}),
        _answer("disability"),
    ),
    Comparison(
        "experience",
        "years since qualifying",
        "Qualified 5 years or more",
        "Qualified under 5 years",
        frozenset({"5-10", "10-plus"}),
        frozenset({"under-2", "2-5"}),
        _answer("years_qualified"),
    ),
)
BY_COMPARISON = {c.key: c for c in COMPARISONS}


# -- building blocks -----------------------------------------------------------------------
def score_bands(percent: np.ndarray) -> np.ndarray:
    """The matching strata: candidates ordered by total score (as a percentage of their form's
    marks) and pooled into bands of adjacent scores holding at least max(MIN_STRATUM, n /
    MAX_STRATA) candidates each ("thick matching"); candidates with the same score always share a band."""
    n = len(percent)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    target = max(MIN_STRATUM, math.ceil(n / MAX_STRATA))
    levels, inverse, counts = np.unique(
        np.round(percent, 6), return_inverse=True, return_counts=True
    )
    band_of_level = np.empty(len(levels), dtype=np.int64)
    band = filled = 0
    for index, count in enumerate(counts):
        band_of_level[index] = band
        filled += count
        if filled >= target:
            band, filled = band + 1, 0
    if filled and band > 0:  # a last band too small joins the one below it
        band_of_level[band_of_level == band] = band - 1
    return band_of_level[inverse.reshape(-1)]


def _plain(value: Any) -> Any:
    """JSON-ready: numpy numbers become plain numbers, NaN and infinities null, floats rounded."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else round(float(value), 6)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _rate(count: int, n: int) -> dict[str, Any]:
    if n < MIN_GROUP:
        return {"suppressed": True}
    p = wilson(count, n)
    return {
        "suppressed": False,
        "n": n,
        "count": count,
        "value": p.value,
        "low": p.low,
        "high": p.high,
    }


def _mean(values: np.ndarray) -> dict[str, Any]:
    if len(values) < MIN_GROUP:
        return {"suppressed": True}
    m = mean_interval(values)
    return {"suppressed": False, "n": m.n, "mean": m.mean, "low": m.low, "high": m.high}


# -- the report ----------------------------------------------------------------------------
def build_report(
    data: TierData, answers: Answers, moderated: Mapping[tuple[int, int], bool]
) -> dict[str, Any]:
    """The whole report as plain JSON. `answers` are the consented answers by candidate;
    `moderated` says, for each written answer's script (sitting id, item version id), whether
    it went to moderation."""
    responses = data.responses
    totals = responses.totals()
    percent = np.divide(
        totals * 100,
        responses.sitting_max,
        out=np.zeros_like(totals),
        where=responses.sitting_max > 0,
    )
    per_sitting = [answers.get(int(c)) for c in data.candidate_ids]
    groups = [_outcomes(grouping, per_sitting, data.passed, percent) for grouping in GROUPINGS]
    codes = {c.key: np.array([c.code(a) for a in per_sitting], dtype=np.int64) for c in COMPARISONS}
    comparisons = [
        {
            "key": c.key,
            "label": c.label,
            "characteristic": c.characteristic,
            "reference": c.reference,
            "focal": c.focal,
            **_counts(codes[c.key]),
        }
        for c in COMPARISONS
    ]
    items = _dif(data, percent, codes)
    markers = _markers(data, codes, moderated)
    return _plain(
        {
            "scope": data.scope,
            "sittings": data.sittings,
            "with_answers": sum(1 for a in per_sitting if a is not None),
            "min_group": MIN_GROUP,
            "groups": groups,
            "comparisons": comparisons,
            "items": items,
            "markers": markers,
        }
    )


def _counts(code: np.ndarray) -> dict[str, int | None]:
    n_ref, n_focal = int((code == 0).sum()), int((code == 1).sum())
    return {
        "n_reference": n_ref if n_ref >= MIN_GROUP else None,
        "n_focal": n_focal if n_focal >= MIN_GROUP else None,
    }


def _outcomes(
    grouping: Grouping, per_sitting: list, passed: np.ndarray, percent: np.ndarray
) -> dict[str, Any]:
    values = np.array([_group_value(grouping, a) for a in per_sitting], dtype=object)
    rows = []
    shown = [(code, label, "answer") for code, label in grouping.choices] + [
        (PREFER_NOT, PREFER_NOT_LABEL, "prefer_not"),
        (NO_ANSWER, NO_ANSWER_LABEL, "no_answer"),
    ]
    for code, label, kind in shown:
        inside = values == code
        n = int(inside.sum())
        decided = inside & (passed >= 0)
        rows.append(
            {
                "code": code,
                "label": label,
                "kind": kind,
                "n": n,
                "pass_rate": _rate(int((passed[decided] == 1).sum()), int(decided.sum())),
                "score": _mean(percent[inside]),
            }
        )
    _suppress(rows)
    return {"key": grouping.key, "label": grouping.label, "groups": rows}


def _group_value(grouping: Grouping, answers: Mapping[str, str | None] | None) -> str:
    code = answers.get(grouping.question) if answers else None
    if code is None:
        return NO_ANSWER
    return grouping.value(code) or NO_ANSWER


def _suppress(rows: list[dict[str, Any]]) -> None:
    """Groups of fewer than MIN_GROUP show no figures and no count. Where exactly one group is
    suppressed, its count and figures could be worked out from the total and the others, so the
    next smallest group is suppressed too (secondary suppression)."""
    small = [r for r in rows if 0 < r["n"] < MIN_GROUP]
    if len(small) == 1:
        others = sorted((r for r in rows if r["n"] >= MIN_GROUP), key=lambda r: r["n"])
        if others:
            others[0]["secondary"] = True
    for row in rows:
        row["suppressed"] = row["n"] < MIN_GROUP or row.get("secondary", False)
        if row["suppressed"]:
            row["n"] = None
            row["pass_rate"] = row["score"] = {"suppressed": True}


def _dif_entry(result: DifResult, method: str, comparison: Comparison) -> dict[str, Any]:
    entry = asdict(result)
    entry.update(
        comparison=comparison.key,
        method=method,
        favours=result.favours,
        small=not result.too_few and min(result.n_reference, result.n_focal) < SMALL_SAMPLE,
    )
    for side in ("n_reference", "n_focal"):
        if entry[side] < MIN_GROUP:
            entry[side] = None
    return entry


def _dif(data: TierData, percent: np.ndarray, codes: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Two stages, as ETS does (Holland and Thayer): an item with large DIF also bends the total
    score that candidates are matched on, and makes the other items on its forms look biased the
    other way. So the first stage matches on the whole total; the second, which is reported,
    matches on the total without the items the first stage put in class C for that comparison
    (the studied item itself always stays in its own matching score)."""
    responses = data.responses
    order = np.argsort(responses.item, kind="stable")
    bounds = np.searchsorted(responses.item[order], np.arange(len(data.items) + 1))
    rows_of = [order[bounds[i] : bounds[i + 1]] for i in range(len(data.items))]
    dichotomous = [
        info.marks == 1 and bool(np.isin(responses.score[rows_of[i]], (0.0, 1.0)).all())
        for i, info in enumerate(data.items)
    ]
    marks = np.array([info.marks for info in data.items], dtype=float)
    totals = responses.totals()
    results: list[list[dict[str, Any]]] = [[] for _ in data.items]
    for comparison in COMPARISONS:
        code = codes[comparison.key]
        first = [
            _one_dif(rows_of[i], dichotomous[i], code, percent, responses, comparison)
            for i in range(len(data.items))
        ]
        large = [i for i, entry in enumerate(first) if entry["category"] == "C"]
        if not large:
            for i, entry in enumerate(first):
                results[i].append(entry)
            continue
        excluded = np.isin(responses.item, large)
        less_score = np.bincount(
            responses.sitting,
            weights=np.where(excluded, responses.score, 0.0),
            minlength=len(totals),
        )
        less_marks = np.bincount(
            responses.sitting,
            weights=np.where(excluded, marks[responses.item], 0.0),
            minlength=len(totals),
        )
        for i in range(len(data.items)):
            matched_total, matched_max = totals - less_score, responses.sitting_max - less_marks
            if i in large:  # the studied item stays in its own matching score
                rows = rows_of[i]
                matched_total, matched_max = matched_total.copy(), matched_max.copy()
                matched_total[responses.sitting[rows]] += responses.score[rows]
                matched_max[responses.sitting[rows]] += marks[i]
            matched = np.divide(
                matched_total * 100,
                matched_max,
                out=np.zeros_like(matched_total),
                where=matched_max > 0,
            )
            entry = _one_dif(rows_of[i], dichotomous[i], code, matched, responses, comparison)
            entry["purified"] = True
            results[i].append(entry)
    items = {}
    for index, info in enumerate(data.items):
        flagged, watch, reason = flag(results[index])
        items[info.key] = {
            "info": asdict(info),
            "item_version_id": data.item_version_ids[index],
            "n": int(len(rows_of[index])),
            "method": "MH" if dichotomous[index] else "SMD",
            "dif": results[index],
            "flagged": flagged,
            "watch": watch,
            "reason": reason,
        }
    return items


def _one_dif(
    rows: np.ndarray,
    dichotomous: bool,
    code: np.ndarray,
    matching: np.ndarray,
    responses,
    comparison: Comparison,
) -> dict[str, Any]:
    sittings, score = responses.sitting[rows], responses.score[rows]
    group = code[sittings]
    keep = group >= 0
    strata = score_bands(matching[sittings][keep])
    if dichotomous:
        result = mantel_haenszel(score[keep].astype(np.int64), group[keep], strata)
    else:
        result = standardised_mean_difference(score[keep], group[keep], strata)
    return _dif_entry(result, "MH" if dichotomous else "SMD", comparison)


def flag(results: list[dict[str, Any]]) -> tuple[bool, bool, str]:
    """The stated rule: an item is flagged for review where any comparison puts it in class C,
    or where it is in class B for two or more different characteristics (ethnic group, sex,
    age, disability, years since qualifying); an item in class B for one characteristic is
    listed to watch. Returns (flagged, watch, the reason in words)."""
    c = [r for r in results if r["category"] == "C"]
    b = [r for r in results if r["category"] == "B"]
    characteristics = sorted({BY_COMPARISON[r["comparison"]].characteristic for r in b})
    if c:
        return (
            True,
            False,
            "class C (large DIF): " + "; ".join(BY_COMPARISON[r["comparison"]].label for r in c),
        )
    if len(characteristics) >= 2:
        return True, False, "class B (moderate DIF) for " + " and ".join(characteristics)
    if b:
        return False, True, "class B (moderate DIF) for " + characteristics[0] + ": watch"
    return False, False, ""


def _markers(
    data: TierData, codes: Mapping[str, np.ndarray], moderated: Mapping[tuple[int, int], bool]
) -> list[dict[str, Any]]:
    """Written answers, marked blind: the mean mark and the share sent to moderation, by group,
    per item version and over all written answers (as a percentage of each item's marks)."""
    responses = data.responses
    written = [i for i, info in enumerate(data.items) if info.type == FREE_TEXT]
    if not written:
        return []
    sitting_ids = data.sitting_ids
    rows_by_item = {}
    for index in written:
        rows = np.flatnonzero(responses.item == index)
        version = data.item_version_ids[index]
        scripted = np.array(
            [(int(sitting_ids[s]), version) in moderated for s in responses.sitting[rows]],
            dtype=bool,
        )
        rows = rows[scripted]
        went = np.array(
            [moderated[(int(sitting_ids[s]), version)] for s in responses.sitting[rows]], dtype=bool
        )
        rows_by_item[index] = (rows, went)
    result = []
    for comparison in COMPARISONS:
        code = codes[comparison.key]
        entries = []
        pooled: dict[int, tuple[list[np.ndarray], list[np.ndarray]]] = {0: ([], []), 1: ([], [])}
        for index in written:
            rows, went = rows_by_item[index]
            info = data.items[index]
            group = code[responses.sitting[rows]]
            entry = {"item": info.key, "marks": info.marks}
            for side, name in ((0, "reference"), (1, "focal")):
                inside = group == side
                marks = responses.score[rows][inside]
                entry[name] = {
                    "mark": _mean(marks),
                    "moderated": _rate(int(went[inside].sum()), int(inside.sum())),
                }
                pooled[side][0].append(marks * 100 / info.marks)
                pooled[side][1].append(went[inside])
            entries.append(entry)
        overall: dict[str, Any] = {"item": None}
        for side, name in ((0, "reference"), (1, "focal")):
            marks = np.concatenate(pooled[side][0]) if pooled[side][0] else np.zeros(0)
            went = np.concatenate(pooled[side][1]) if pooled[side][1] else np.zeros(0, dtype=bool)
            overall[name] = {"mark": _mean(marks), "moderated": _rate(int(went.sum()), len(went))}
        result.append(
            {
                "comparison": comparison.key,
                "label": comparison.label,
                "reference": comparison.reference,
                "focal": comparison.focal,
                "overall": overall,
                "items": entries,
            }
        )
    return result
