"""What a candidate is told about a released result: pass or not, the score, and a profile
across the KSS areas with feedback for each. Never keys, rationales or others' answers."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from naas.bank import Tier
from naas.engine.results import percent
from naas.models import Result

BANDS = (
    (
        "strength",
        "A strength",
        "Your answers in this area showed confident, well-reasoned practice. Keep using it to support colleagues.",
    ),
    (
        "secure",
        "Secure",
        "Your answers in this area met the standard. Reflect in supervision on the cases where you were least sure.",
    ),
    (
        "developing",
        "Developing",
        "Your answers in this area were below the overall standard. Agree learning for this area with your "
        "supervisor and revisit the statutory guidance and practice principles behind it.",
    ),
    (
        "below",
        "Below the area standard",
        "Your answers in this area did not reach the minimum for any area. Make this the first priority of "
        "your development plan before you sit again.",
    ),
)


@dataclass(frozen=True)
class AreaRow:
    code: str
    title: str
    score: str
    marks: int
    percent: int
    band: str
    band_title: str
    feedback: str


def display(value: Fraction) -> str:
    """Scores are exact; people see them rounded to two places."""
    return f"{float(round(value, 2)):.2f}"


def band_of(fraction: Fraction, tier: Tier) -> tuple[str, str, str]:
    if fraction >= Fraction(3, 4):
        return BANDS[0]
    if fraction >= percent(tier.pass_mark_percent):
        return BANDS[1]
    if tier.domain_floor_percent is None or fraction >= percent(tier.domain_floor_percent):
        return BANDS[2]
    return BANDS[3]


def result_view(result: Result, tier: Tier) -> dict:
    rows = []
    for code, entry in result.area_scores.items():
        score, marks = Fraction(entry["score"]), entry["marks"]
        fraction = score / marks if marks else Fraction(0)
        band, band_title, text = band_of(fraction, tier)
        rows.append(
            AreaRow(
                code,
                tier.area_title(code),
                display(score),
                marks,
                round(fraction * 100),
                band,
                band_title,
                text,
            )
        )
    # Results decided before cut scores were kept were decided against the tier's pass mark.
    cut = (
        result.cut_score
        if result.cut_score is not None
        else percent(tier.pass_mark_percent) * result.max_marks
    )
    cut_percent = cut / result.max_marks * 100 if result.max_marks else Fraction(0)
    return {
        "passed": result.passed,
        "total": display(result.total),
        "max_marks": result.max_marks,
        "percent": display(result.total / result.max_marks * 100) if result.max_marks else "0.00",
        "cut": display(cut),
        "cut_percent": round(cut_percent),
        "cut_basis": result.cut_basis or "pass mark",
        "standard_set": bool(result.cut_basis and result.cut_basis.startswith("approved standard")),
        "pass_mark": tier.pass_mark_percent,
        "floor": tier.domain_floor_percent,
        "floor_min_marks": tier.domain_floor_min_marks,
        "areas": rows,
        "tier": tier,
    }
