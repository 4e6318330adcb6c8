"""The bank as immutable objects, built only from definitions the checker has passed.

A scenario keeps its raw definition (`spec`) so that the database can store exactly what
was loaded and rebuild the same objects from it years later.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from naas.engine.items import REGISTRY, ItemType
from naas.engine.results import DEFAULT_FLOOR_MIN_MARKS

TIER_IDS = ("practitioner", "supervisor", "leader")
STATUSES = ("draft", "live", "retired")


def content_hash(spec: Any) -> str:
    """A stable fingerprint of a definition, independent of key order and YAML layout."""
    canonical = json.dumps(
        spec, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Area:
    code: str
    title: str


@dataclass(frozen=True)
class Blueprint:
    scenarios: int
    min_items_per_area: int = 0
    total_marks: int | None = None


@dataclass(frozen=True)
class Tier:
    id: str
    title: str
    time_limit_minutes: int
    validity_years: int
    resit_wait_days: int
    pass_mark_percent: int | float
    domain_floor_percent: int | float | None
    domain_floor_min_marks: int
    areas: tuple[Area, ...]
    blueprint: Blueprint
    spec: Mapping[str, Any] = field(compare=False, repr=False)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Tier:
        blueprint = spec["blueprint"]
        return cls(
            id=spec["id"],
            title=spec["title"],
            time_limit_minutes=spec["time_limit_minutes"],
            validity_years=spec["validity_years"],
            resit_wait_days=spec["resit_wait_days"],
            pass_mark_percent=spec["pass_mark_percent"],
            domain_floor_percent=spec.get("domain_floor_percent"),
            domain_floor_min_marks=spec.get("domain_floor_min_marks", DEFAULT_FLOOR_MIN_MARKS),
            areas=tuple(Area(a["code"], a["title"]) for a in spec["areas"]),
            blueprint=Blueprint(
                blueprint["scenarios"],
                blueprint.get("min_items_per_area", 0),
                blueprint.get("total_marks"),
            ),
            spec=spec,
        )

    @property
    def area_codes(self) -> tuple[str, ...]:
        return tuple(a.code for a in self.areas)

    def area_title(self, code: str) -> str:
        return next((a.title for a in self.areas if a.code == code), code)


@dataclass(frozen=True)
class Stage:
    id: str
    narrative: str
    items: tuple[ItemType, ...]


@dataclass(frozen=True)
class Scenario:
    id: str
    tier: str
    version: int
    status: str
    title: str
    summary: str
    stages: tuple[Stage, ...]
    spec: Mapping[str, Any] = field(compare=False, repr=False)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Scenario:
        stages = tuple(
            Stage(
                s["id"], s["narrative"], tuple(REGISTRY[i["type"]].from_spec(i) for i in s["items"])
            )
            for s in spec["stages"]
        )
        return cls(
            spec["id"],
            spec["tier"],
            spec["version"],
            spec["status"],
            spec["title"],
            spec.get("summary", ""),
            stages,
            spec,
        )

    @property
    def items(self) -> tuple[ItemType, ...]:
        return tuple(item for stage in self.stages for item in stage.items)

    @property
    def marks(self) -> int:
        return sum(item.marks for item in self.items)

    @cached_property
    def area_counts(self) -> Counter[str]:
        return Counter(item.area for item in self.items)

    @cached_property
    def content_hash(self) -> str:
        """Fingerprint of what a candidate sees and is scored on; `status` is left out, since
        retiring a scenario or making it live changes no wording, options, key or marks."""
        return content_hash({k: v for k, v in self.spec.items() if k != "status"})

    def item_hashes(self) -> dict[str, str]:
        """Each item's fingerprint, including the narrative of its stage (part of what it asks)."""
        return {
            item["id"]: content_hash({"narrative": stage["narrative"], "item": item})
            for stage in self.spec["stages"]
            for item in stage["items"]
        }


@dataclass(frozen=True)
class Bank:
    tiers: Mapping[str, Tier]
    scenarios: tuple[Scenario, ...]
    tiers_spec: Mapping[str, Any] = field(compare=False, repr=False, default_factory=dict)

    def scenarios_of(self, tier: str, status: str | None = "live") -> list[Scenario]:
        return [
            s for s in self.scenarios if s.tier == tier and (status is None or s.status == status)
        ]
