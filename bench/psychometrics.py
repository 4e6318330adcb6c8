"""Time and memory of a tier's statistics at national size: 20,000 sittings of forms drawn
from the bundled bank (about 800,000 responses), through the engine's item analysis, scenario
sets, tier reliability, per-form reliability and DIF for every item.

    python bench/psychometrics.py [--sittings 20000] [--seed 1]

Responses are simulated (a two-parameter logistic model, as naas/statistics/cohort.py uses)
straight into the engine's arrays: this measures the computation, not reading the database.
The baseline in the same run is the same computation at 1,000 sittings.
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from naas.bank import check_bank  # noqa: E402
from naas.config import BUNDLED_BANK  # noqa: E402
from naas.engine.assembly import Rules, fitting_forms  # noqa: E402
from naas.engine.fairness import mantel_haenszel, standardised_mean_difference  # noqa: E402
from naas.engine.itemanalysis import (  # noqa: E402
    ItemInfo,
    Responses,
    form_reliability,
    item_statistics,
    set_statistics,
    tier_reliability,
)
from naas.engine.items.base import OptionItem  # noqa: E402
from naas.statistics.cohort import difficulty  # noqa: E402


def simulate(tier_id: str, sittings: int, seed: int):
    bank = check_bank(BUNDLED_BANK).bank
    tier = bank.tiers[tier_id]
    live = bank.scenarios_of(tier_id)
    forms = fitting_forms(live, Rules(tier.blueprint, tier.area_codes)).ids
    by_id = {s.id: s for s in live}
    items, index = [], {}
    for scenario in live:
        for item in scenario.items:
            index[item.id] = len(items)
            option = isinstance(item, OptionItem)
            items.append(
                ItemInfo(
                    f"{item.id}@{scenario.version}",
                    item.id,
                    scenario.version,
                    scenario.id,
                    item.name,
                    item.area,
                    item.marks,
                    tuple(item.options) if option else (),
                    item.keyed() if option else (),
                )
            )
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(sittings)
    group = (rng.random(sittings) < 0.25).astype(int)
    form_of = rng.integers(0, len(forms), sittings)
    sit, it, score, chosen = [], [], [], []
    b = np.array([difficulty(i.item_id) for i in items])
    for f, form in enumerate(forms):
        who = np.flatnonzero(form_of == f)
        if not len(who):
            continue
        for sid in form:
            for item in by_id[sid].items:
                k = index[item.id]
                p = 1 / (1 + np.exp(-1.2 * (theta[who] - b[k])))
                earned = rng.binomial(item.marks, p).astype(float)
                sit.append(who)
                it.append(np.full(len(who), k))
                score.append(earned)
                chosen.append(np.where(earned > 0, 1, 2))
    responses = Responses(
        np.concatenate(sit),
        np.concatenate(it),
        np.concatenate(score),
        np.concatenate(chosen),
        form_of.astype(np.int64),
        np.full(sittings, float(tier.blueprint.total_marks)),
    )
    return items, responses, group


def run(sittings: int, seed: int) -> dict:
    items, responses, group = simulate("practitioner", sittings, seed)
    started = time.perf_counter()
    stats = item_statistics(items, responses)
    sets = set_statistics(items, responses)
    reliability = tier_reliability(items, responses)
    totals = responses.totals()
    forms = [
        form_reliability(items, responses, int(f), 48.0)
        for f, n in zip(*np.unique(responses.sitting_form, return_counts=True), strict=True)
        if n >= 30
    ]
    order = np.argsort(responses.item, kind="stable")
    bounds = np.searchsorted(responses.item[order], np.arange(len(items) + 1))
    dif = 0
    for k, info in enumerate(items):
        rows = order[bounds[k] : bounds[k + 1]]
        s, who = responses.score[rows], responses.sitting[rows]
        test = mantel_haenszel if info.marks == 1 else standardised_mean_difference
        dif += test(s, group[who], totals[who]).category is not None
    elapsed = time.perf_counter() - started
    return {
        "sittings": sittings,
        "responses": len(responses.score),
        "items": len(stats),
        "sets": len(sets),
        "forms analysed": len(forms),
        "dif items": dif,
        "alpha": reliability.alpha,
        "seconds": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sittings", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    baseline = run(1000, args.seed)
    full = run(args.sittings, args.seed)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    for result in (baseline, full):
        print(
            ", ".join(
                f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items()
            )
        )
    print(
        f"ratio of times: {full['seconds'] / baseline['seconds']:.1f}x for "
        f"{full['sittings'] / baseline['sittings']:.0f}x the sittings; peak memory of the process "
        f"{peak:.0f} MiB (simulation included)"
    )
    if not math.isfinite(full["seconds"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
