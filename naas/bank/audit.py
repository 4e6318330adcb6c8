"""The cue audit: how much of a tier's objective marks a candidate earns who never reads the
case or the stem, only the options (docs/question-bank.md, "The cue audit").

Three measures, each over a tier's live objective items, each needing no candidate data:

- Strategies. A fixed content-blind rule ("pick the longest option", "rank by the number
  of clauses", "always pick the first") answers every item; each item is scored exactly as
  the contract scores it (the item type's own `expected_score`, ties broken at random), and
  the rule's share of the tier's objective marks is set against a random responder's.
- A general leak test. A conditional logit model (a softmax across each item's options) over
  surface features of the options learns, on all scenarios but one, which options are keys,
  and then picks keys in the scenario held out. Its held-out accuracy is set against what
  picking at random achieves. A model that never reads the content should do no better
  than chance; a bank whose keys share a look lets it.
- Where the key falls among its item's options by length, per item type.

A tier fails when a strategy earns more than STRATEGY_LIMIT percentage points above random,
when the model's held-out accuracy is more than MODEL_LIMIT points above chance, or when the
key's length rank is so uneven across single items that chance would rarely give it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from naas.engine.items.base import OptionItem

from .cues import OptionText, option_texts
from .model import Bank, Scenario

STRATEGY_LIMIT = 10.0  # percentage points above the random responder's share
MODEL_LIMIT = 10.0  # percentage points of held-out accuracy above chance
LENGTH_RANK_ALPHA = 0.01  # a chi-square test of an even spread of the key's length rank
MIN_SCENARIOS_FOR_MODEL = 4
MIN_ITEMS_FOR_MODEL = 30
MIN_ITEMS_FOR_SPREAD = 20

Preference = Callable[[OptionText], float]


def _near_position(n: int) -> Preference:
    """Prefers the option at position n (1-based); a ranking reads bank order from there."""
    return lambda t: -abs(t.position - (n - 1))


# Each rule prefers options by one surface feature (higher preferred). Ranking items are
# ordered by the same preference, so "longest" also means "rank the longest first".
STRATEGIES: tuple[tuple[str, Preference], ...] = (
    ("longest option", lambda t: t.length),
    ("shortest option", lambda t: -t.length),
    ("most clauses", lambda t: t.clauses),
    ("fewest clauses", lambda t: -t.clauses),
    ("most hedging words", lambda t: t.hedges),
    ("fewest absolute words", lambda t: -t.absolutes),
    ("gives a reason", lambda t: float(t.justifies)),
    ("most words of the stem", lambda t: t.stem_overlap),
    *((f"position {n} (rankings: bank order from {n})", _near_position(n)) for n in (1, 2, 3, 4)),
    ("last position (rankings: reverse bank order)", lambda t: t.position),
)


@dataclass(frozen=True)
class AuditedItem:
    scenario: str
    item: OptionItem
    texts: tuple[OptionText, ...]

    @property
    def type(self) -> str:
        return self.item.name


@dataclass(frozen=True)
class StrategyResult:
    name: str
    earned: Fraction
    share: float  # of the tier's objective marks, in percent
    excess: float  # percentage points above the random responder


@dataclass(frozen=True)
class ModelResult:
    folds: int
    items: int
    accuracy: float | None  # held-out, percent
    chance: float | None  # percent
    too_few: str | None = None  # why no figure was computed
    leading: tuple[
        tuple[str, float], ...
    ] = ()  # the features the model leans on most, fitted on all items

    @property
    def excess(self) -> float | None:
        return None if self.accuracy is None or self.chance is None else self.accuracy - self.chance


@dataclass(frozen=True)
class LengthRanks:
    """How often the key is the longest (rank 1), second longest... among n options."""

    item_type: str
    options: int
    counts: tuple[int, ...]  # counts[r - 1]: keys of length rank r
    p_value: float | None  # chi-square test of an even spread; None where too few items


@dataclass
class TierAudit:
    tier: str
    items: int
    marks: int
    random_earned: Fraction
    strategies: list[StrategyResult]
    model: ModelResult
    length_ranks: list[LengthRanks]
    unreferenced: int
    item_ids: frozenset[str]
    failures: list[str] = field(default_factory=list)

    @property
    def random_share(self) -> float:
        return 100 * float(self.random_earned) / self.marks if self.marks else 0.0

    @property
    def passed(self) -> bool:
        return not self.failures


def objective_items(scenarios: Sequence[Scenario]) -> list[AuditedItem]:
    return [
        AuditedItem(s.id, item, tuple(option_texts(item.options, item.stem)))
        for s in scenarios
        for item in s.items
        if isinstance(item, OptionItem)
    ]


def expected(items: Sequence[AuditedItem], preference: Preference | None) -> Fraction:
    """What a rule earns over the items; `None` prefers nothing: the random responder."""
    return sum(
        (
            i.item.expected_score(
                {t.label: (preference(t) if preference else 0.0) for t in i.texts}
            )
            for i in items
        ),
        Fraction(0),
    )


# -- the general leak test -----------------------------------------------------------------
FEATURES: tuple[tuple[str, Callable[[OptionText], float]], ...] = (
    ("length", lambda t: t.length),
    ("words", lambda t: t.word_count),
    ("clauses", lambda t: t.clauses),
    ("hedges", lambda t: t.hedges),
    ("absolutes", lambda t: t.absolutes),
    ("reason", lambda t: float(t.justifies)),
    ("stem overlap", lambda t: t.stem_overlap),
    ("modals", lambda t: t.modals),
    ("negations", lambda t: t.negations),
    ("adverbs", lambda t: t.adverbs),
    ("capitals", lambda t: t.capitals),
    ("digits", lambda t: t.digits),
    ("position", lambda t: t.position),
)


def item_matrix(item: AuditedItem) -> np.ndarray:
    """One row per option: each feature centred on the item's mean and scaled by its spread
    (so that "longer than the others" means the same in a short item and a long one), plus
    the option's length rank and whether it is the longest or shortest."""
    raw = np.array([[f(t) for _, f in FEATURES] for t in item.texts], dtype=float)
    spread = raw.std(axis=0)
    spread[spread == 0] = 1.0
    centred = (raw - raw.mean(axis=0)) / spread
    lengths = raw[:, 0]
    n = len(lengths)
    rank = np.argsort(np.argsort(-lengths, kind="stable"), kind="stable") / max(n - 1, 1)
    extra = np.column_stack(
        [rank - rank.mean(), lengths == lengths.max(), lengths == lengths.min()]
    ).astype(float)
    extra[:, 1:] -= extra[:, 1:].mean(axis=0)
    return np.hstack([centred, extra])


def fit_logit(
    matrices: list[np.ndarray], targets: list[np.ndarray], l2: float = 1.0, steps: int = 300
) -> np.ndarray:
    """Weights of a conditional logit (softmax within each item) by Newton's method with an
    L2 penalty. `targets[i]` spreads one unit over item i's keyed options."""
    weights = np.zeros(matrices[0].shape[1])
    for _ in range(steps):
        gradient = -l2 * weights
        hessian = -l2 * np.eye(len(weights))
        for x, y in zip(matrices, targets, strict=True):
            scores = x @ weights
            p = np.exp(scores - scores.max())
            p /= p.sum()
            gradient += x.T @ (y - p)
            mean = x.T @ p
            hessian -= (x.T * p) @ x - np.outer(mean, mean)
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-8:
            break
    return weights


def leak_test(items: Sequence[AuditedItem]) -> ModelResult:
    """Leave one scenario out: fit on the rest, pick keys in it, count hits. For an item with
    k keyed options the model picks its k best; a hit is each key among them."""
    scenarios = sorted({i.scenario for i in items})
    if len(scenarios) < MIN_SCENARIOS_FOR_MODEL or len(items) < MIN_ITEMS_FOR_MODEL:
        return ModelResult(
            len(scenarios),
            len(items),
            None,
            None,
            f"too few objective items for a cross-validated model ({len(items)} items in "
            f"{len(scenarios)} scenarios; at least {MIN_ITEMS_FOR_MODEL} in "
            f"{MIN_SCENARIOS_FOR_MODEL} are needed)",
        )
    matrices = [item_matrix(i) for i in items]
    targets = []
    for i in items:
        keyed = i.item.keyed()
        targets.append(np.array([1.0 / len(keyed) if t.label in keyed else 0.0 for t in i.texts]))
    hits = chance = 0.0
    for held_out in scenarios:
        train = [k for k, i in enumerate(items) if i.scenario != held_out]
        weights = fit_logit([matrices[k] for k in train], [targets[k] for k in train])
        for k, i in enumerate(items):
            if i.scenario != held_out:
                continue
            keys = set(i.item.keyed())
            scores = matrices[k] @ weights
            order = sorted(range(len(i.texts)), key=lambda j: (-scores[j], j))
            picked = {i.texts[j].label for j in order[: len(keys)]}
            hits += len(picked & keys) / len(keys)
            chance += len(keys) / len(i.texts)
    weights = fit_logit(matrices, targets)
    names = [name for name, _ in FEATURES] + ["length rank", "is longest", "is shortest"]
    leading = tuple(
        sorted(zip(names, map(float, weights), strict=True), key=lambda nw: -abs(nw[1]))[:4]
    )
    return ModelResult(
        len(scenarios),
        len(items),
        100 * hits / len(items),
        100 * chance / len(items),
        leading=leading,
    )


# -- the key's length rank -----------------------------------------------------------------
def chi_square_sf(statistic: float, df: int) -> float:
    """P(X >= statistic) for X chi-square with df degrees of freedom: the regularised upper
    incomplete gamma Q(df/2, statistic/2), by its closed forms for whole and half shapes."""
    x = statistic / 2
    if df % 2 == 0:
        term = total = 1.0
        for k in range(1, df // 2):
            term *= x / k
            total += term
        return min(1.0, math.exp(-x) * total)
    total = math.erfc(
        math.sqrt(x)
    )  # Q(1/2, x); then Q(s + 1, x) = Q(s, x) + x^s e^-x / Gamma(s + 1)
    term = 2 * math.sqrt(x / math.pi)  # x^(1/2) / Gamma(3/2)
    for k in range(1, (df + 1) // 2):
        total += math.exp(-x) * term
        term *= x / (k + 0.5)
    return min(1.0, total)


def length_ranks(items: Sequence[AuditedItem]) -> list[LengthRanks]:
    """Per item type and option count, how often each length rank holds a keyed option."""
    groups: dict[tuple[str, int], Counter[int]] = {}
    for i in items:
        lengths = sorted((t.length for t in i.texts), reverse=True)
        counter = groups.setdefault((i.type, len(i.texts)), Counter())
        for t in i.texts:
            if t.label in i.item.keyed():
                counter[lengths.index(t.length) + 1] += 1
    result = []
    for (item_type, n), counter in sorted(groups.items()):
        counts = tuple(counter[r] for r in range(1, n + 1))
        total = sum(counts)
        p_value = None
        if total >= MIN_ITEMS_FOR_SPREAD and item_type == "single":
            expected_each = total / n
            statistic = sum((c - expected_each) ** 2 / expected_each for c in counts)
            p_value = chi_square_sf(statistic, n - 1)
        result.append(LengthRanks(item_type, n, counts, p_value))
    return result


def audit_tier(bank: Bank, tier: str) -> TierAudit:
    items = objective_items(bank.scenarios_of(tier))
    marks = sum(i.item.marks for i in items)
    random_earned = expected(items, None)
    random_share = 100 * float(random_earned) / marks if marks else 0.0
    strategies = []
    for name, preference in STRATEGIES:
        earned = expected(items, preference)
        share = 100 * float(earned) / marks if marks else 0.0
        strategies.append(StrategyResult(name, earned, share, share - random_share))
    audit = TierAudit(
        tier,
        len(items),
        marks,
        random_earned,
        strategies,
        leak_test(items),
        length_ranks(items),
        sum(not i.item.references for i in items),
        frozenset(i.item.id for i in items),
    )
    for s in strategies:
        if s.excess > STRATEGY_LIMIT:
            audit.failures.append(
                f"'{s.name}' earns {s.share:.1f}% of the objective marks, {s.excess:.1f} "
                f"points above random ({random_share:.1f}%; the limit is {STRATEGY_LIMIT:g})"
            )
    if audit.model.excess is not None and audit.model.excess > MODEL_LIMIT:
        audit.failures.append(
            f"the surface model picks keys in {audit.model.accuracy:.1f}% of held-out items "
            f"against {audit.model.chance:.1f}% by chance (the limit is {MODEL_LIMIT:g} points)"
        )
    for ranks in audit.length_ranks:
        if ranks.p_value is not None and ranks.p_value < LENGTH_RANK_ALPHA:
            audit.failures.append(
                f"the key's length rank in {ranks.item_type} items of {ranks.options} options "
                f"is uneven ({', '.join(map(str, ranks.counts))} from longest to shortest; "
                f"p = {ranks.p_value:.4f})"
            )
    return audit


def report(audit: TierAudit) -> list[str]:
    """The audit of one tier as lines of text."""
    lines = [
        f"{audit.tier}: {audit.items} objective items, {audit.marks} marks; "
        f"items citing no reference: {audit.unreferenced}",
        f"  random responder: {audit.random_share:.1f}% of the objective marks",
        "  content-blind strategies (share of objective marks; points above random):",
    ]
    for s in sorted(audit.strategies, key=lambda s: -s.share):
        flag = "  FAIL" if s.excess > STRATEGY_LIMIT else ""
        lines.append(f"    {s.name:<46} {s.share:5.1f}%  {s.excess:+5.1f}{flag}")
    m = audit.model
    if m.too_few:
        lines.append(f"  surface model: {m.too_few}")
    else:
        flag = "  FAIL" if m.excess is not None and m.excess > MODEL_LIMIT else ""
        lines.append(
            f"  surface model (conditional logit, leave-one-scenario-out over {m.folds} scenarios): "
            f"held-out accuracy {m.accuracy:.1f}% against chance {m.chance:.1f}% "
            f"({m.excess:+.1f} points){flag}"
        )
        lines.append(
            "    the features it leans on most (weight; positive: keys have more of it): "
            + ", ".join(f"{name} {weight:+.2f}" for name, weight in m.leading)
        )
    lines.append("  key's length rank (1 = longest):")
    for r in audit.length_ranks:
        test = "" if r.p_value is None else f"  (even spread: p = {r.p_value:.3f})"
        lines.append(
            f"    {r.item_type:<8} {r.options} options: "
            + " ".join(f"{rank}:{c}" for rank, c in enumerate(r.counts, 1))
            + test
        )
    lines.append("  " + ("PASS" if audit.passed else "FAIL: " + "; ".join(audit.failures)))
    return lines
