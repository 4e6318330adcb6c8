"""Detection and false-alarm rates of the item flags and of DIF on simulated cohorts with
planted faults (the generative models of tests/engine/simulate.py: 2PL and graded response).

    python bench/detection.py [--runs 20] [--candidates 1500]

Per run: 25 dichotomous items and 3 graded items of 3 marks; four planted bad items (one with
negative discrimination, one far too hard, one far too easy, one whose distractor d draws the
strongest candidates); for DIF, a 30% focal group with three planted items 0.8 logits harder
(or easier) for it at equal ability. Reported: the share of planted faults flagged
(detection) and the share of clean items flagged (false alarms).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from naas.engine.fairness import mantel_haenszel, standardised_mean_difference  # noqa: E402
from naas.engine.itemanalysis import item_statistics  # noqa: E402
from tests.engine.simulate import Planted, cohort  # noqa: E402

CLEAN = [Planted(1.2, (b,)) for b in np.linspace(-1.5, 1.5, 25)] + [
    Planted(1.0, (-0.8, 0.2, 1.0))
] * 3
BAD = {
    3: Planted(-0.8, (0.0,)),
    5: Planted(1.0, (3.5,)),
    9: Planted(1.0, (-4.0,)),
    12: Planted(1.2, (0.5,), reversed_distractor=True),
}
DIF = {3: 0.8, 20: -0.8, 26: 0.8}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--candidates", type=int, default=1500)
    args = parser.parse_args()
    found = alarms = clean = 0
    dif_found = dif_alarms = dif_clean = 0
    for run in range(args.runs):
        params = [BAD.get(i, p) for i, p in enumerate(CLEAN)]
        items, responses, _ = cohort(params, args.candidates, seed=run)
        flags = [bool(s.flags) for s in item_statistics(items, responses)]
        found += sum(flags[i] for i in BAD)
        alarms += sum(f for i, f in enumerate(flags) if i not in BAD)
        clean += len(flags) - len(BAD)
        groups = (np.random.default_rng(run + 1000).random(args.candidates) < 0.3).astype(int)
        items, responses, _ = cohort(CLEAN, args.candidates, seed=run + 500, groups=groups, dif=DIF)
        m = np.zeros((args.candidates, len(items)))
        m[responses.sitting, responses.item] = responses.score
        total = m.sum(axis=1)
        for i, planted in enumerate(CLEAN):
            test = mantel_haenszel if len(planted.b) == 1 else standardised_mean_difference
            flagged = test(m[:, i], groups, total).category in ("B", "C")
            if i in DIF:
                dif_found += flagged
            else:
                dif_alarms += flagged
                dif_clean += 1
    print(f"{args.runs} runs of {args.candidates} candidates")
    print(
        f"item flags: detection {found}/{args.runs * len(BAD)} ({100 * found / (args.runs * len(BAD)):.0f}%), "
        f"false alarms {alarms}/{clean} ({100 * alarms / clean:.1f}%)"
    )
    print(
        f"DIF (ETS B or C): detection {dif_found}/{args.runs * len(DIF)} "
        f"({100 * dif_found / (args.runs * len(DIF)):.0f}%), false alarms {dif_alarms}/{dif_clean} "
        f"({100 * dif_alarms / dif_clean:.1f}%)"
    )


if __name__ == "__main__":
    main()
