"""How often the per-area floor fails a candidate who reached the cut, on every form the
blueprint can assemble, before and after the contract's `domain_floor_min_marks`; and how far
standard-set cut scores would spread across forms.

    python bench/floors.py [--ability 0.70] [--candidates 2000] [--seed 1]

A simulated candidate of ability p earns each item's marks with probability p (dichotomously
for a 1-mark item; for an item of m marks, a binomial number of the m marks), independently:
the binomial model the issue's estimate used. For each form the script counts the candidates
whose total reaches the cut (60% of the marks) but who fail because an area falls below the
floor (40%): "before", every area counts, as the code did until December 2026; "after", only
areas worth at least domain_floor_min_marks (10) marks on the form count.

The spread of standard-set cuts is illustrated with a simulated panel: each item's standard is
marks x P(a borderline candidate of ability 0.6 answers it rightly) under a two-parameter
logistic model with the item's difficulty drawn from its id (as naas/statistics/cohort.py
does). It shows what the panel's ratings do to the cut of each form, not any real panel's.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from fractions import Fraction
from pathlib import Path
from random import Random

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from naas.bank import check_bank  # noqa: E402
from naas.config import BUNDLED_BANK  # noqa: E402
from naas.engine.assembly import Rules, fitting_forms  # noqa: E402
from naas.engine.results import ScoredItem, outcome  # noqa: E402
from naas.statistics.cohort import difficulty  # noqa: E402


def borderline_standard(item_id: str, marks: int, theta: float = 0.0) -> Fraction:
    p = 1 / (1 + math.exp(-1.2 * (theta - difficulty(item_id))))
    return Fraction(round(p * marks * 4), 4)  # ratings to a quarter of a mark


def simulate(tier, scenarios_by_id, forms, ability: float, candidates: int, rng: Random) -> dict:
    floor_fails = {"before": 0, "after": 0}
    reached = 0
    cuts = []
    for form in forms:
        items = [item for sid in form for item in scenarios_by_id[sid].items]
        cuts.append(float(sum(borderline_standard(i.id, i.marks) for i in items)))
        for _ in range(candidates // len(forms) or 1):
            scored = []
            for item in items:
                earned = sum(rng.random() < ability for _ in range(item.marks))
                scored.append(ScoredItem(item.area, item.marks, Fraction(earned)))
            before = outcome(
                scored, tier.pass_mark_percent, tier.domain_floor_percent, domain_floor_min_marks=1
            )
            after = outcome(
                scored,
                tier.pass_mark_percent,
                tier.domain_floor_percent,
                domain_floor_min_marks=tier.domain_floor_min_marks,
            )
            if before.total >= before.cut:
                reached += 1
                floor_fails["before"] += not before.passed
                floor_fails["after"] += not after.passed
    return {"reached": reached, **floor_fails, "cuts": cuts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ability", type=float, default=0.70)
    parser.add_argument(
        "--candidates", type=int, default=20000, help="simulated candidates per tier"
    )
    parser.add_argument(
        "--forms", type=int, default=0, help="forms per tier (0: every assemblable form)"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    bank = check_bank(BUNDLED_BANK).bank
    rng = Random(args.seed)
    print(f"ability {args.ability:.2f}; pass mark and floor from tiers.yaml; seed {args.seed}")
    for tier in bank.tiers.values():
        live = bank.scenarios_of(tier.id)
        forms = fitting_forms(live, Rules(tier.blueprint, tier.area_codes)).ids
        if args.forms:
            forms = rng.sample(forms, min(args.forms, len(forms)))
        result = simulate(tier, {s.id: s for s in live}, forms, args.ability, args.candidates, rng)
        reached = result["reached"]
        cuts = result["cuts"]
        print(f"{tier.id}: {len(forms)} forms, {reached} candidates reached the cut")
        for when in ("before", "after"):
            share = 100 * result[when] / reached if reached else 0.0
            print(f"  failed by a floor alone ({when}): {result[when]} ({share:.1f}%)")
        print(
            f"  simulated standard-set cut across forms: min {min(cuts):.2f}, median {statistics.median(cuts):.2f}, "
            f"max {max(cuts):.2f} of {tier.blueprint.total_marks} marks (pass mark: "
            f"{tier.pass_mark_percent * tier.blueprint.total_marks / 100:.0f})"
        )


if __name__ == "__main__":
    main()
