"""A small valid bank written to a folder, for tests to break one thing at a time."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

TIERS = {
    "tiers": [
        {
            "id": "practitioner",
            "title": "Approved child and family practitioner",
            "time_limit_minutes": 60,
            "validity_years": 3,
            "resit_wait_days": 90,
            "pass_mark_percent": 60,
            "domain_floor_percent": 40,
            "areas": [
                {"code": "P1", "title": "Relationships"},
                {"code": "P2", "title": "Communication"},
            ],
            "blueprint": {"scenarios": 1, "min_items_per_area": 1, "total_marks": 10},
        }
    ]
}


def scenario(sid: str = "p-one", version: int = 1, status: str = "live") -> dict:
    return {
        "id": sid,
        "tier": "practitioner",
        "version": version,
        "status": status,
        "title": "A referral",
        "summary": "A school rings.",
        "stages": [
            {
                "id": "referral",
                "narrative": "The school rings.",
                "items": [
                    {
                        "id": f"{sid}-1",
                        "type": "single",
                        "area": "P1",
                        "marks": 1,
                        "stem": "First?",
                        "options": {"a": "Visit", "b": "Wait", "c": "Close"},
                        "key": "a",
                        "rationale": "Act.",
                    },
                    {
                        "id": f"{sid}-2",
                        "type": "multiple",
                        "area": "P2",
                        "marks": 2,
                        "stem": "Which two?",
                        "options": {"a": "A", "b": "B", "c": "C", "d": "D"},
                        "key": ["a", "b"],
                        "select": 2,
                        "rationale": "Both.",
                    },
                    {
                        "id": f"{sid}-3",
                        "type": "ranking",
                        "area": "P1",
                        "marks": 2,
                        "stem": "Order these.",
                        "options": {"a": "A", "b": "B", "c": "C"},
                        "key": ["b", "a", "c"],
                        "rationale": "Order.",
                    },
                ],
            },
            {
                "id": "visit",
                "narrative": "You visit.",
                "items": [
                    {
                        "id": f"{sid}-4",
                        "type": "free_text",
                        "area": "P2",
                        "marks": 5,
                        "stem": "Analyse.",
                        "max_words": 300,
                        "rubric": [
                            {
                                "criterion": "Analysis",
                                "marks": 3,
                                "descriptors": {0: "None", 3: "Full"},
                            },
                            {"criterion": "Plan", "marks": 2},
                        ],
                        "model_answer": "An answer.",
                        "rationale": "Analysis.",
                    },
                ],
            },
        ],
    }


def write_bank(root: Path, tiers: dict | None = None, scenarios: list[dict] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "tiers.yaml").write_text(yaml.safe_dump(copy.deepcopy(tiers or TIERS), sort_keys=False))
    folder = root / "practitioner"
    folder.mkdir(exist_ok=True)
    for number, spec in enumerate(scenarios if scenarios is not None else [scenario()]):
        sid = spec.get("id")
        name = (
            sid
            if isinstance(sid, str) and sid.replace("-", "").isalnum() and len(sid) < 80
            else f"scenario-{number}"
        )
        (folder / f"{name}.yaml").write_text(
            yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)
        )
    return root
