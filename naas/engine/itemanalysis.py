"""Classical item analysis and test reliability, from plain data (docs/psychometrics.md).

Every figure here is a function of scored responses: which sitting answered which item
version, what it scored, and which options it chose. Sittings take different forms, so an
item's statistics come from the sittings whose form carried it, and a sitting's total is its
total on its own form (every form of a tier is worth the same marks).

Arrays, not objects: a tier of 20,000 sittings is about 800,000 responses, and the whole
analysis has to run in seconds (bench/psychometrics.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

MIN_SITTINGS = 30  # below this an item's or a form's figures are "too few sittings"
UPPER_LOWER = 0.27  # Kelley's upper and lower groups
FACILITY_LOW, FACILITY_HIGH = 0.20, 0.95
DISCRIMINATION_LOW = 0.15
TOO_FEW = "too few sittings"


@dataclass(frozen=True)
class ItemInfo:
    """An item version as the analysis needs it."""

    key: str  # "item-id@version"
    item_id: str
    version: int
    scenario: str
    type: str
    area: str
    marks: int
    options: tuple[str, ...] = ()  # labels in bank order; empty for free text
    keyed: tuple[str, ...] = ()  # the key labels (a ranking's: the option ranked first)


@dataclass
class Responses:
    """Parallel arrays, one entry per response. `chosen` is a bit mask over the item's
    options in bank order (bit i: option i chosen; for a ranking, ranked first)."""

    sitting: np.ndarray  # int, index into the sittings
    item: np.ndarray  # int, index into the items
    score: np.ndarray  # float, 0..marks
    chosen: np.ndarray  # int64 bit mask
    sitting_form: np.ndarray  # int per sitting: which form it took
    sitting_max: np.ndarray  # float per sitting: marks available on its form

    @classmethod
    def build(
        cls,
        rows: Sequence[tuple[int, int, float, int]],
        forms: Sequence[int],
        max_marks: Sequence[float],
    ) -> Responses:
        data = np.array(rows, dtype=float).reshape(-1, 4) if rows else np.zeros((0, 4))
        return cls(
            data[:, 0].astype(np.int64),
            data[:, 1].astype(np.int64),
            data[:, 2],
            data[:, 3].astype(np.int64),
            np.asarray(forms, dtype=np.int64),
            np.asarray(max_marks, dtype=float),
        )

    def totals(self) -> np.ndarray:
        return np.bincount(
            self.sitting, weights=self.score, minlength=len(self.sitting_form)
        ).astype(float)


@dataclass(frozen=True)
class OptionChoice:
    label: str
    keyed: bool
    lower: float  # share of the bottom third of sittings (by total) that chose it
    middle: float
    upper: float

    @property
    def reversed(self) -> bool:
        """A distractor the strongest candidates choose more often than the weakest."""
        return not self.keyed and self.upper > self.lower


@dataclass(frozen=True)
class ItemStatistics:
    info: ItemInfo
    n: int
    facility: float | None = None  # mean score / marks
    item_rest: float | None = None  # correlation of the item with the rest of the form
    upper_lower: float | None = None  # facility in the top 27% minus the bottom 27%
    options: tuple[OptionChoice, ...] = ()
    mark_counts: tuple[int, ...] = ()  # free text: how many scripts got 0, 1, ... marks
    flags: tuple[str, ...] = ()
    too_few: bool = False


def pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 2:
        return None
    sx, sy = x.std(), y.std()
    if sx == 0 or sy == 0:
        return None
    return float(((x - x.mean()) * (y - y.mean())).mean() / (sx * sy))


def thirds(totals_percent: np.ndarray) -> np.ndarray:
    """0, 1 or 2 for each sitting: bottom, middle or top third of the tier by total. Ties
    at a boundary go by rank order (stable), so each third holds a third of the sittings."""
    order = np.argsort(totals_percent, kind="stable")
    group = np.empty(len(order), dtype=np.int64)
    n = len(order)
    group[order] = np.minimum(np.arange(n) * 3 // max(n, 1), 2)
    return group


def item_statistics(items: Sequence[ItemInfo], responses: Responses) -> list[ItemStatistics]:
    totals = responses.totals()
    percent = np.divide(
        totals, responses.sitting_max, out=np.zeros_like(totals), where=responses.sitting_max > 0
    )
    group = thirds(percent)
    group_size = np.bincount(group, minlength=3)
    order = np.argsort(responses.item, kind="stable")
    bounds = np.searchsorted(responses.item[order], np.arange(len(items) + 1))
    result = []
    for index, info in enumerate(items):
        rows = order[bounds[index] : bounds[index + 1]]
        result.append(_one_item(info, responses, rows, totals, percent, group, group_size))
    return result


def _one_item(
    info: ItemInfo,
    responses: Responses,
    rows: np.ndarray,
    totals: np.ndarray,
    percent: np.ndarray,
    group: np.ndarray,
    group_size: np.ndarray,
) -> ItemStatistics:
    n = len(rows)
    if n < MIN_SITTINGS:
        return ItemStatistics(info, n, too_few=True)
    score = responses.score[rows]
    sittings = responses.sitting[rows]
    facility = float(score.mean() / info.marks)
    item_rest = pearson(score, totals[sittings] - score)
    ranked = np.argsort(percent[sittings], kind="stable")
    cut = max(1, int(round(UPPER_LOWER * n)))
    upper_lower = float((score[ranked[-cut:]].mean() - score[ranked[:cut]].mean()) / info.marks)
    options = []
    if info.options:
        chosen = responses.chosen[rows]
        takers = np.bincount(group[sittings], minlength=3).astype(float)
        takers[takers == 0] = 1
        for bit, label in enumerate(info.options):
            picked = (chosen >> bit) & 1
            by_group = np.bincount(group[sittings], weights=picked, minlength=3) / takers
            options.append(OptionChoice(label, label in info.keyed, *map(float, by_group)))
    mark_counts: tuple[int, ...] = ()
    if not info.options:
        mark_counts = tuple(
            int(c) for c in np.bincount(np.rint(score).astype(np.int64), minlength=info.marks + 1)
        )
    flags = []
    if facility < FACILITY_LOW:
        flags.append(f"hard: facility {facility:.2f} is below {FACILITY_LOW}")
    if facility > FACILITY_HIGH:
        flags.append(f"easy: facility {facility:.2f} is above {FACILITY_HIGH}")
    if item_rest is None or item_rest < DISCRIMINATION_LOW:
        shown = "undefined (no spread)" if item_rest is None else f"{item_rest:.2f}"
        flags.append(
            f"weak discrimination: item-rest correlation {shown} is below {DISCRIMINATION_LOW}"
        )
    for option in options:
        if option.reversed:
            flags.append(
                f"reversed distractor {option.label}: chosen by {option.upper:.0%} of the top third "
                f"and {option.lower:.0%} of the bottom third"
            )
    return ItemStatistics(
        info, n, facility, item_rest, upper_lower, tuple(options), mark_counts, tuple(flags)
    )


# -- sets and reliability -------------------------------------------------------------------
@dataclass(frozen=True)
class SetStatistics:
    """A scenario's items as one set: they share a narrative, so they are read together."""

    scenario: str
    n: int
    marks: int
    facility: float | None
    set_rest: float | None  # correlation of the set's score with the rest of the form
    too_few: bool = False


def set_statistics(items: Sequence[ItemInfo], responses: Responses) -> list[SetStatistics]:
    totals = responses.totals()
    scenario_of = np.array([info.scenario for info in items])
    scenarios = sorted(set(scenario_of))
    result = []
    for scenario in scenarios:
        members = np.flatnonzero(scenario_of == scenario)
        marks = sum(items[int(i)].marks for i in members)
        mask = np.isin(responses.item, members)
        set_score = np.bincount(
            responses.sitting[mask], weights=responses.score[mask], minlength=len(totals)
        )
        took = np.unique(responses.sitting[mask])
        if len(took) < MIN_SITTINGS:
            result.append(SetStatistics(scenario, len(took), marks, None, None, too_few=True))
            continue
        s = set_score[took]
        result.append(
            SetStatistics(
                scenario, len(took), marks, float(s.mean() / marks), pearson(s, totals[took] - s)
            )
        )
    return result


def cronbach_alpha(parts: np.ndarray) -> float | None:
    """Alpha for a sittings x parts matrix of scores (items, or scenario sets for a
    stratified view): k/(k-1) * (1 - sum of part variances / variance of the totals).
    Population variances (ddof 0) throughout; the ratio is the same with ddof 1."""
    n, k = parts.shape
    if n < 2 or k < 2:
        return None
    total_var = parts.sum(axis=1).var()
    if total_var == 0:
        return None
    return float(k / (k - 1) * (1 - parts.var(axis=0).sum() / total_var))


def stratified_alpha(parts: np.ndarray, strata: Sequence[int]) -> float | None:
    """Rajaratnam, Cronbach and Gleser's stratified alpha: 1 - sum over strata of
    var(stratum) * (1 - alpha(stratum)) / var(total). A stratum of one part counts as
    wholly unreliable only in its own variance (alpha taken as 0)."""
    total_var = parts.sum(axis=1).var()
    if parts.shape[0] < 2 or total_var == 0:
        return None
    error = 0.0
    stratum_of = np.asarray(strata)
    for stratum in np.unique(stratum_of):
        block = parts[:, stratum_of == stratum]
        block_var = block.sum(axis=1).var()
        alpha = cronbach_alpha(block) if block.shape[1] > 1 else 0.0
        error += block_var * (1 - (alpha if alpha is not None else 0.0))
    return float(1 - error / total_var)


def sem(sd: float, reliability: float | None) -> float | None:
    """The standard error of measurement, in marks: SD * sqrt(1 - reliability)."""
    if reliability is None:
        return None
    return float(sd * math.sqrt(max(0.0, 1 - reliability)))


def decision_consistency(
    totals: np.ndarray, max_marks: float, cut: float, reliability: float | None
) -> tuple[float | None, float | None]:
    """(agreement, kappa): the probability that a candidate would get the same pass or fail
    decision on a parallel form, by Subkoviak's single-administration method with
    Livingston and Lewis's effective test length (docs/psychometrics.md).

    Scores are rescaled to an effective number of dichotomous items,
    n = ((mean - min)(max - mean) - r * var) / (var * (1 - r)), with min 0 and max the form's
    marks; each candidate's true proportion is Kelley's regressed estimate
    r * x/n + (1 - r) * mean/n; the chance of reaching the cut on one form is binomial in it;
    agreement is P^2 + (1 - P)^2 averaged over candidates; kappa sets it against the agreement
    that the pass rate alone would give."""
    if reliability is None or len(totals) < 2 or max_marks <= 0 or not 0 < reliability < 1:
        return None, None
    mean, var = float(totals.mean()), float(totals.var())
    if var == 0:
        return None, None
    n_eff = ((mean - 0) * (max_marks - mean) - reliability * var) / (var * (1 - reliability))
    n_eff = int(round(min(max(n_eff, 2), 10 * max_marks)))
    scaled = totals / max_marks * n_eff
    true = np.clip(
        reliability * scaled / n_eff + (1 - reliability) * (scaled.mean() / n_eff), 1e-9, 1 - 1e-9
    )
    cut_eff = int(math.ceil(cut / max_marks * n_eff - 1e-9))
    p_pass = _binomial_tail(n_eff, cut_eff, true)
    agreement = float((p_pass**2 + (1 - p_pass) ** 2).mean())
    rate = float(p_pass.mean())
    chance = rate**2 + (1 - rate) ** 2
    kappa = None if chance >= 1 else float((agreement - chance) / (1 - chance))
    return agreement, kappa


def _binomial_tail(n: int, k: int, p: np.ndarray) -> np.ndarray:
    """P(X >= k) for X ~ Binomial(n, p), elementwise in p, summed in log space."""
    if k <= 0:
        return np.ones_like(p)
    if k > n:
        return np.zeros_like(p)
    j = np.arange(k, n + 1)
    log_choose = np.array(
        [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) for i in j]
    )
    logs = (
        log_choose[None, :]
        + j[None, :] * np.log(p)[:, None]
        + (n - j)[None, :] * np.log1p(-p)[:, None]
    )
    return np.exp(logs).sum(axis=1)


@dataclass(frozen=True)
class FormReliability:
    form: int
    n: int
    alpha: float | None
    stratified_alpha: float | None
    sd: float | None
    sem: float | None
    cut: float | None
    within_sem: int | None  # candidates whose total lies within one SEM of the cut
    agreement: float | None
    kappa: float | None
    too_few: bool = False


@dataclass(frozen=True)
class TierReliability:
    """Figures for the tier as a whole: forms differ, so alpha comes from the average item
    variance and the average covariance of item pairs that shared a form (an estimate for a
    form of the tier's usual length), and the SEM from the spread of totals."""

    sittings: int
    items_per_form: float
    alpha: float | None
    sd: float | None
    sem: float | None
    forms: list[FormReliability] = field(default_factory=list)
    too_few: bool = False


def form_reliability(
    items: Sequence[ItemInfo], responses: Responses, form: int, cut: float | None
) -> FormReliability:
    sittings = np.flatnonzero(responses.sitting_form == form)
    if len(sittings) < MIN_SITTINGS:
        return FormReliability(
            form, len(sittings), None, None, None, None, cut, None, None, None, too_few=True
        )
    mask = np.isin(responses.sitting, sittings)
    item_ids = np.unique(responses.item[mask])
    row = {s: i for i, s in enumerate(sittings)}
    col = {it: j for j, it in enumerate(item_ids)}
    matrix = np.zeros((len(sittings), len(item_ids)))
    for s, it, sc in zip(
        responses.sitting[mask], responses.item[mask], responses.score[mask], strict=True
    ):
        matrix[row[s], col[it]] = sc
    alpha = cronbach_alpha(matrix)
    scenario_index = {
        name: i for i, name in enumerate(sorted({items[i].scenario for i in item_ids}))
    }
    strat = stratified_alpha(matrix, [scenario_index[items[i].scenario] for i in item_ids])
    totals = matrix.sum(axis=1)
    sd = float(totals.std())
    error = sem(sd, alpha)
    max_marks = float(responses.sitting_max[sittings[0]])
    within = None if error is None or cut is None else int((np.abs(totals - cut) <= error).sum())
    agreement, kappa = (
        (None, None) if cut is None else decision_consistency(totals, max_marks, cut, alpha)
    )
    return FormReliability(
        form, len(sittings), alpha, strat, sd, error, cut, within, agreement, kappa
    )


def tier_reliability(items: Sequence[ItemInfo], responses: Responses) -> TierReliability:
    n_sittings = len(responses.sitting_form)
    if n_sittings < MIN_SITTINGS:
        return TierReliability(n_sittings, 0.0, None, None, None, too_few=True)
    k = len(items)
    # one dense sittings x items matrix with a mask of what was asked: fine for a tier of
    # about 120 item versions (20,000 x 120 doubles is 19 MB)
    scores = np.zeros((n_sittings, k))
    asked = np.zeros((n_sittings, k))
    scores[responses.sitting, responses.item] = responses.score
    asked[responses.sitting, responses.item] = 1.0
    counts = asked.T @ asked  # sittings that had both items
    sums = scores.T @ asked  # sums[i, j]: item i's scores where j was asked too
    products = scores.T @ scores
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_i = sums / counts
        cov = products / counts - mean_i * mean_i.T
    enough = counts >= MIN_SITTINGS
    diagonal = np.diag(cov)[np.diag(enough)]
    off = cov[enough & ~np.eye(k, dtype=bool)]
    per_form = float(asked.sum(axis=1).mean())
    totals = responses.totals()
    sd = float(totals.std())
    if len(diagonal) < 2 or len(off) == 0 or per_form < 2:
        return TierReliability(n_sittings, per_form, None, sd, None)
    v, c = float(diagonal.mean()), float(off.mean())
    m = per_form
    total_var = m * v + m * (m - 1) * c
    alpha = None if total_var <= 0 else float(m / (m - 1) * (1 - m * v / total_var))
    return TierReliability(n_sittings, per_form, alpha, sd, sem(sd, alpha))
