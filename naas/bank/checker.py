"""Check a bank folder against the contract (docs: question-bank-format.md).

`check_bank` never raises at a user: whatever the folder holds, it returns either a Bank
or a list of problems, each with the file and line it concerns and what to do about it.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from naas.engine import assembly
from naas.engine.assembly import Rules, can_fill
from naas.engine.items import REGISTRY
from naas.engine.items.base import OptionItem, unknown_field

from .cues import item_cues
from .model import STATUSES, TIER_IDS, Bank, Scenario, Tier
from .source import Document, Problem, read_document

ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
AREA_PATTERN = re.compile(r"^[A-Z][0-9]{1,2}$")

TIERS_FILE_FIELDS = ("tiers",)
TIER_FIELDS = (
    "id",
    "title",
    "time_limit_minutes",
    "validity_years",
    "resit_wait_days",
    "pass_mark_percent",
    "domain_floor_percent",
    "domain_floor_min_marks",
    "areas",
    "blueprint",
)
TIER_REQUIRED = tuple(
    f for f in TIER_FIELDS if f not in ("domain_floor_percent", "domain_floor_min_marks")
)
AREA_FIELDS = ("code", "title")
BLUEPRINT_FIELDS = ("scenarios", "min_items_per_area", "total_marks")
SCENARIO_FIELDS = ("id", "tier", "version", "status", "title", "summary", "stages")
SCENARIO_REQUIRED = ("id", "tier", "version", "status", "title", "stages")
STAGE_FIELDS = ("id", "narrative", "items")

# Upper bounds: generous for any real test, and small enough that every value fits the
# database's columns (32-bit integers) and keeps form assembly quick.
MAX_VERSION = 2**31 - 1
LIMITS = {  # field: (lowest, highest)
    "time_limit_minutes": (1, 24 * 60),
    "validity_years": (1, 50),
    "resit_wait_days": (0, 10 * 366),
    "pass_mark_percent": (0, 100),
    "domain_floor_percent": (0, 100),
    "domain_floor_min_marks": (1, 10_000),
    "scenarios": (1, 100),
    "min_items_per_area": (0, 1000),
    "total_marks": (1, 10_000),
}
MAX_ITEM_MARKS = 100
MAX_SCENARIO_ID = 120  # the width of scenario_versions.scenario_id
MAX_ITEM_ID = 140  # the width of item_versions.item_id
MAX_TITLE = 300  # the width of scenario_versions.title
MAX_REFERENCE = 300


def unstorable(value: Any, path: tuple = ()) -> tuple[tuple, str] | None:
    """The first value the database could not store as JSON exactly (NaN, infinity, a
    whole number beyond 64 bits, a date), with its path; None if there is none.

    The checks above catch each of these where a field is known; this is the backstop
    that keeps anything they miss out of `bank load`."""
    if isinstance(value, Mapping):
        for key, child in value.items():
            found = unstorable(child, path + (key,))
            if found:
                return found
        return None
    if isinstance(value, list):
        for index, child in enumerate(value):
            found = unstorable(child, path + (index,))
            if found:
                return found
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return path, f"{value!r} is not a number that can be stored: write a finite number"
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        return path, f"{value} is too large a number to store"
    if value is not None and not isinstance(value, (str, int, float, bool)):
        return path, f"{value!r} cannot be stored: write it as text (in quotes)"
    return None


@dataclass
class CheckResult:
    bank: Bank | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # worth a look; they fail nothing
    cues: list[Problem] = field(default_factory=list)  # keys a content-blind reader could find
    unreferenced: list[Problem] = field(default_factory=list)  # objective items citing nothing

    @property
    def ok(self) -> bool:
        return self.bank is not None and not self.problems


class _Checker:
    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.cues: list[Problem] = []
        self.unreferenced: list[Problem] = []

    # -- helpers ---------------------------------------------------------------------
    def name(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def add(self, doc: Document, path: tuple, message: str) -> None:
        self.problems.append(Problem(doc.file, doc.line(path), message))

    def fields(
        self,
        doc: Document,
        where: tuple,
        value: Any,
        allowed: tuple[str, ...],
        required: tuple[str, ...],
        what: str,
    ) -> bool:
        """Report unknown and missing fields of a mapping; False if it is not a mapping."""
        if not isinstance(value, Mapping):
            self.add(doc, where, f"{what} must be a mapping of field: value")
            return False
        for key in value:
            if key not in allowed:
                self.add(doc, where + (key,), unknown_field(key, allowed, what))
        for key in required:
            if key not in value:
                self.add(doc, where, f"missing required field '{key}' in {what}")
        return True

    def number(
        self,
        doc: Document,
        where: tuple,
        value: Any,
        what: str,
        low: float,
        high: float,
        whole: bool = True,
    ) -> None:
        """A whole (or, if not `whole`, finite decimal) number from `low` to `high`; true and
        false are not numbers, whatever YAML and Python think."""
        kinds = (int,) if whole else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value):
            self.add(
                doc, where, f"{what} must be a {'whole ' if whole else ''}number, not {value!r}"
            )
        elif not low <= value <= high:
            self.add(doc, where, f"{what} must be from {low} to {high}, not {value}")

    def limited(
        self, doc: Document, where: tuple, spec: Mapping, name: str, whole: bool = True
    ) -> None:
        if name in spec:
            low, high = LIMITS[name]
            self.number(doc, where + (name,), spec[name], name, low, high, whole)

    def storable(self, doc: Document) -> bool:
        found = unstorable(doc.data)
        if found:
            self.add(doc, *found)
        return found is None

    def text(
        self, doc: Document, where: tuple, value: Any, what: str, longest: int | None = None
    ) -> None:
        if not isinstance(value, str) or not value.strip():
            self.add(doc, where, f"{what} must be non-empty text")
        elif longest is not None and len(value) > longest:
            self.add(doc, where, f"{what} is {len(value)} characters long; the limit is {longest}")

    def ident(
        self, doc: Document, where: tuple, value: Any, what: str, longest: int = MAX_SCENARIO_ID
    ) -> bool:
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            self.add(doc, where, f"{what} {value!r} must be lowercase letters, digits and '-'")
            return False
        if len(value) > longest:
            self.add(doc, where, f"{what} is {len(value)} characters long; the limit is {longest}")
            return False
        return True

    # -- tiers.yaml ------------------------------------------------------------------
    def tiers(self) -> dict[str, Tier] | None:
        path = self.root / "tiers.yaml"
        if not path.exists() and not path.is_symlink():
            self.problems.append(
                Problem(self.name(path), 1, "tiers.yaml is missing from the bank folder")
            )
            return None
        doc, problems = read_document(path, self.name(path))
        self.problems += problems
        if doc is None:
            return None
        self.tiers_doc = doc
        before = len(self.problems)
        data = doc.data
        if not self.fields(doc, (), data, TIERS_FILE_FIELDS, TIERS_FILE_FIELDS, "tiers.yaml"):
            return None
        tiers = data.get("tiers")
        if not isinstance(tiers, list) or not tiers:
            self.add(doc, ("tiers",), "tiers must be a list of tiers")
            return None
        seen: dict[str, tuple] = {}
        for index, spec in enumerate(tiers):
            where = ("tiers", index)
            if not self.fields(doc, where, spec, TIER_FIELDS, TIER_REQUIRED, "a tier"):
                continue
            tier_id = spec.get("id")
            if "id" in spec:
                if tier_id not in TIER_IDS:
                    self.add(
                        doc,
                        where + ("id",),
                        f"tier id {tier_id!r} must be one of {', '.join(TIER_IDS)}",
                    )
                elif tier_id in seen:
                    self.add(
                        doc,
                        where + ("id",),
                        f"duplicate tier '{tier_id}' (first at line {doc.line(seen[tier_id])})",
                    )
                else:
                    seen[tier_id] = where + ("id",)
            if "title" in spec:
                self.text(doc, where + ("title",), spec["title"], "title")
            for name in (
                "time_limit_minutes",
                "validity_years",
                "resit_wait_days",
                "domain_floor_min_marks",
            ):
                self.limited(doc, where, spec, name)
            for name in ("pass_mark_percent", "domain_floor_percent"):
                self.limited(doc, where, spec, name, whole=False)
            if "areas" in spec:
                self.areas(doc, where, spec["areas"])
            blueprint = spec.get("blueprint")
            if (
                self.fields(
                    doc,
                    where + ("blueprint",),
                    blueprint,
                    BLUEPRINT_FIELDS,
                    ("scenarios",),
                    "a blueprint",
                )
                and blueprint is not None
            ):
                for name in BLUEPRINT_FIELDS:
                    self.limited(doc, where + ("blueprint",), blueprint, name)
        if len(self.problems) > before or self.storable(doc) is False:
            return None
        return {spec["id"]: Tier.from_spec(spec) for spec in tiers}

    def areas(self, doc: Document, where: tuple, areas: Any) -> None:
        if not isinstance(areas, list) or not areas:
            self.add(doc, where + ("areas",), "areas must be a list of code and title")
            return
        codes: dict[str, tuple] = {}
        for index, area in enumerate(areas):
            at = where + ("areas", index)
            if not self.fields(doc, at, area, AREA_FIELDS, AREA_FIELDS, "an area"):
                continue
            code = area.get("code")
            if "code" in area and (not isinstance(code, str) or not AREA_PATTERN.match(code)):
                self.add(doc, at + ("code",), f"area code {code!r} must look like P1, S8 or L6")
            elif code in codes:
                self.add(
                    doc,
                    at + ("code",),
                    f"duplicate area code '{code}' (first at line {doc.line(codes[code])})",
                )
            elif code is not None:
                codes[code] = at + ("code",)
            if "title" in area:
                self.text(doc, at + ("title",), area["title"], "area title")

    # -- scenarios -------------------------------------------------------------------
    def scenario_files(self) -> list[Path]:
        """Every YAML file under the bank folder but tiers.yaml. A folder that cannot be
        listed is a problem, not a silent gap; symbolic links to folders are not followed."""

        def unlisted(exc: OSError) -> None:
            where = Path(exc.filename) if exc.filename else self.root
            self.problems.append(
                Problem(self.name(where), 1, f"cannot read the folder: {exc.strerror or exc}")
            )

        files = []
        for folder, dirs, names in os.walk(self.root, onerror=unlisted):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names) + [d for d in dirs if d.endswith((".yaml", ".yml"))]:
                path = Path(folder) / name
                relative = path.relative_to(self.root)
                if (
                    name.startswith(".")
                    or relative.parts == ("tiers.yaml",)
                    or path.suffix not in (".yaml", ".yml")
                ):
                    continue
                if name in dirs:
                    self.problems.append(
                        Problem(self.name(path), 1, "is a folder, not a scenario file")
                    )
                elif len(relative.parts) == 2:
                    files.append(path)
                else:
                    self.problems.append(
                        Problem(
                            self.name(path),
                            1,
                            "scenario files belong in a tier folder, e.g. practitioner/NAME.yaml",
                        )
                    )
        return sorted(files)

    def scenario(self, path: Path, tiers: dict[str, Tier], ids: dict[str, str]) -> Scenario | None:
        doc, problems = read_document(path, self.name(path))
        self.problems += problems
        if doc is None or problems:
            return None
        before = len(self.problems)
        spec = doc.data
        if not self.fields(doc, (), spec, SCENARIO_FIELDS, SCENARIO_REQUIRED, "a scenario"):
            return None
        if "id" in spec and self.ident(doc, ("id",), spec["id"], "scenario id"):
            self.unique(doc, ("id",), spec["id"], "scenario", ids)
        tier = tiers.get(spec.get("tier")) if isinstance(spec.get("tier"), str) else None
        if "tier" in spec:
            if tier is None:
                self.add(
                    doc,
                    ("tier",),
                    f"tier {spec['tier']!r} is not defined in tiers.yaml "
                    f"(defined: {', '.join(tiers)})",
                )
            elif path.parent.name != tier.id:
                self.add(
                    doc,
                    ("tier",),
                    f"a {tier.id} scenario must be in the folder '{tier.id}/', "
                    f"not '{path.parent.name}/'",
                )
        if "version" in spec:
            self.number(doc, ("version",), spec["version"], "version", 1, MAX_VERSION)
        if "status" in spec and spec["status"] not in STATUSES:
            self.add(
                doc,
                ("status",),
                f"status must be one of {', '.join(STATUSES)}, not {spec['status']!r}",
            )
        if "title" in spec:
            self.text(doc, ("title",), spec["title"], "title", longest=MAX_TITLE)
        if "summary" in spec:
            self.text(doc, ("summary",), spec["summary"], "summary")
        stages = spec.get("stages")
        if "stages" in spec and (not isinstance(stages, list) or not stages):
            self.add(doc, ("stages",), "stages must be a list of at least one stage")
            stages = []
        stage_ids: dict[str, tuple] = {}
        for s_index, stage in enumerate(stages or []):
            where = ("stages", s_index)
            if not self.fields(doc, where, stage, STAGE_FIELDS, STAGE_FIELDS, "a stage"):
                continue
            if "id" in stage and self.ident(doc, where + ("id",), stage["id"], "stage id"):
                if stage["id"] in stage_ids:
                    self.add(
                        doc, where + ("id",), f"duplicate stage id '{stage['id']}' in this scenario"
                    )
                stage_ids[stage["id"]] = where
            if "narrative" in stage:
                self.text(doc, where + ("narrative",), stage["narrative"], "narrative")
            items = stage.get("items")
            if "items" in stage and (not isinstance(items, list) or not items):
                self.add(doc, where + ("items",), "items must be a list of at least one item")
                continue
            for i_index, item in enumerate(items or []):
                self.item(doc, where + ("items", i_index), item, tier, ids)
        if len(self.problems) > before or self.storable(doc) is False:
            return None
        scenario = Scenario.from_spec(spec)
        self.surface(doc, scenario)
        return scenario

    def surface(self, doc: Document, scenario: Scenario) -> None:
        """Note each objective item's cues (warnings: a writer's to weigh, never a failure)
        and each one that cites nothing (for the audit's report)."""
        for s_index, stage in enumerate(scenario.stages):
            for i_index, item in enumerate(stage.items):
                if not isinstance(item, OptionItem):
                    continue
                where = ("stages", s_index, "items", i_index)
                for cue in item_cues(item.options, item.stem, item.keyed(), item.key_order()):
                    self.cues.append(
                        Problem(doc.file, doc.line(where + ("key",)), f"{item.id}: {cue}")
                    )
                if not item.references:
                    self.unreferenced.append(
                        Problem(
                            doc.file,
                            doc.line(where + ("id",)),
                            f"{item.id}: no references (what does its key rest on?)",
                        )
                    )

    def unique(
        self, doc: Document, where: tuple, value: str, what: str, ids: dict[str, str]
    ) -> None:
        key = f"{what}:{value}"
        if key in ids:
            self.add(doc, where, f"duplicate {what} id '{value}' (first at {ids[key]})")
        else:
            ids[key] = f"{doc.file}:{doc.line(where)}"

    def references(self, doc: Document, where: tuple, value: Any) -> None:
        """What a key rests on: a list of citations, each a line of text."""
        if not isinstance(value, list) or not value:
            self.add(
                doc,
                where,
                "references must be a list of citations, e.g. - Children Act 1989 s47(1)",
            )
            return
        for index, entry in enumerate(value):
            if isinstance(entry, Mapping):  # "Act 2026: s1" unquoted reads as a mapping
                self.add(
                    doc,
                    where + (index,),
                    "a reference with ': ' in it must be in quotes, "
                    'e.g. - "Working Together 2023: chapter 3"',
                )
            elif not isinstance(entry, str) or not entry.strip():
                self.add(
                    doc,
                    where + (index,),
                    "each reference must be a line of text (a statute, guidance or review)",
                )
            elif "\n" in entry.strip() or len(entry) > MAX_REFERENCE:
                self.add(
                    doc,
                    where + (index,),
                    f"a reference must be one line of at most {MAX_REFERENCE} characters",
                )

    def item(
        self, doc: Document, where: tuple, spec: Any, tier: Tier | None, ids: dict[str, str]
    ) -> None:
        if not isinstance(spec, Mapping):
            self.add(doc, where, "an item must be a mapping of field: value")
            return
        type_name = spec.get("type")
        item_type = REGISTRY.get(type_name) if isinstance(type_name, str) else None
        if "type" in spec and item_type is None:
            hint = difflib.get_close_matches(str(spec["type"]), list(REGISTRY), n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            self.add(
                doc,
                where + ("type",),
                f"unknown item type {spec['type']!r}{suggestion}; types: {', '.join(sorted(REGISTRY))}",
            )
        allowed = (
            item_type.allowed_fields()
            if item_type
            else tuple(sorted({f for t in REGISTRY.values() for f in t.allowed_fields()}))
        )
        required = ("id", "type", "area", "marks", "stem", "rationale") + (
            item_type.required if item_type else ()
        )
        self.fields(
            doc,
            where,
            spec,
            allowed,
            required,
            f"a {spec.get('type', '')} item".replace("a  ", "an "),
        )
        if "id" in spec and self.ident(doc, where + ("id",), spec["id"], "item id", MAX_ITEM_ID):
            self.unique(doc, where + ("id",), spec["id"], "item", ids)
        if "area" in spec and tier is not None and spec["area"] not in tier.area_codes:
            self.add(
                doc,
                where + ("area",),
                f"area {spec['area']!r} is not an area of the {tier.id} tier "
                f"({', '.join(tier.area_codes)})",
            )
        if "marks" in spec:
            marks = spec["marks"]
            if isinstance(marks, bool) or not isinstance(marks, int) or marks <= 0:
                self.add(
                    doc, where + ("marks",), f"marks must be a positive whole number, not {marks!r}"
                )
            elif marks > MAX_ITEM_MARKS:
                self.add(
                    doc, where + ("marks",), f"marks must be at most {MAX_ITEM_MARKS}, not {marks}"
                )
        for name in ("stem", "rationale"):
            if name in spec:
                self.text(doc, where + (name,), spec[name], name)
        if "references" in spec:
            self.references(doc, where + ("references",), spec["references"])
        if item_type is not None:
            for problem in item_type.check(spec):
                if problem.warning:
                    self.warnings.append(
                        Problem(doc.file, doc.line(where + problem.path), problem.message)
                    )
                else:
                    self.add(doc, where + problem.path, problem.message)

    # -- the whole bank --------------------------------------------------------------
    def blueprints(self, tiers: dict[str, Tier], scenarios: list[Scenario]) -> None:
        for index, tier in enumerate(tiers.values()):
            live = [s for s in scenarios if s.tier == tier.id and s.status == "live"]
            rules = Rules(tier.blueprint, tier.area_codes)
            fills = can_fill(live, rules)
            if fills:
                continue
            detail = (
                f"{len(live)} live scenarios; a form needs {tier.blueprint.scenarios}"
                + (
                    f" adding up to {tier.blueprint.total_marks} marks"
                    if tier.blueprint.total_marks
                    else ""
                )
                + f" with at least {tier.blueprint.min_items_per_area} items in every area"
            )
            if fills is False:
                message = f"the live items of tier '{tier.id}' cannot fill its blueprint ({detail})"
            else:  # forms would be as hard to assemble: make the blueprint or the bank simpler
                message = (
                    f"the live items of tier '{tier.id}' cannot be shown to fill its blueprint: no form "
                    f"was found in {assembly.MAX_STEPS} steps of search ({detail}); ease min_items_per_area "
                    "or spread the areas more evenly over the scenarios"
                )
            self.add(self.tiers_doc, ("tiers", index, "blueprint"), message)

    def run(self) -> CheckResult:
        if not self.root.is_dir():
            return CheckResult(None, [Problem(str(self.root), 1, "no such bank folder")])
        tiers = self.tiers()
        files = self.scenario_files()
        if tiers is None:
            return CheckResult(None, self.problems, self.warnings)
        ids: dict[str, str] = {}
        scenarios = [
            s for s in (self.scenario(path, tiers, ids) for path in files) if s is not None
        ]
        if not self.problems:
            self.blueprints(tiers, scenarios)
        if self.problems:
            return CheckResult(None, self.problems, self.warnings)
        return CheckResult(
            Bank(tiers, tuple(scenarios), self.tiers_doc.data),
            [],
            self.warnings,
            self.cues,
            self.unreferenced,
        )


def check_bank(root: Path | str) -> CheckResult:
    """Validate the bank in `root`; never raises for anything the folder may contain."""
    return _Checker(Path(root)).run()
