"""The one interface every item type implements (after Moodle's question definition)."""

from __future__ import annotations

import difflib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from random import Random
from typing import Any, ClassVar, Self

Response = Any  # JSON-able: a label, a list of labels, a mapping, or text

COMMON_FIELDS = ("id", "type", "area", "marks", "stem", "rationale", "references")


@dataclass(frozen=True)
class SpecProblem:
    """A fault in an item's definition: `path` is relative to the item's mapping. A
    `warning` is worth a writer's second look but breaks no rule of the contract."""

    path: tuple[str | int, ...]
    message: str
    warning: bool = False


class InvalidItem(ValueError):
    def __init__(self, problems: list[SpecProblem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


class InvalidResponse(ValueError):
    """A response that does not fit the item (an unknown label, the wrong shape)."""


class ItemType(ABC):
    """An item's definition: what it is, what a response to it looks like, how it scores.

    Subclasses list their own YAML fields in `fields` (beyond COMMON_FIELDS) and which of
    them are required; `check` reports every fault with its path; `from_spec` builds the
    item only from a definition that `check` passed.
    """

    name: ClassVar[str]
    fields: ClassVar[tuple[str, ...]] = ()
    required: ClassVar[tuple[str, ...]] = ()
    auto_scored: ClassVar[bool] = True

    def __init__(self, spec: Mapping[str, Any]):
        self.id: str = spec["id"]
        self.area: str = spec["area"]
        self.marks: int = spec["marks"]
        self.stem: str = spec["stem"]
        self.rationale: str = spec["rationale"]
        self.references: tuple[str, ...] = tuple(spec.get("references") or ())
        self.spec = spec

    @classmethod
    def allowed_fields(cls) -> tuple[str, ...]:
        return COMMON_FIELDS + cls.fields

    @classmethod
    def check(cls, spec: Mapping[str, Any]) -> list[SpecProblem]:
        """Faults in the type-specific part of `spec` (common fields are the bank's job)."""
        return []

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Self:
        problems = [p for p in cls.check(spec) if not p.warning]
        if problems:
            raise InvalidItem(problems)
        return cls(spec)

    def start(self, rng: Random) -> Mapping[str, Any]:
        """Per-candidate state fixed when a form is assembled (e.g. the option order)."""
        return {}

    @abstractmethod
    def normalise(self, raw: Any) -> Response:
        """The canonical form of a raw answer, or InvalidResponse."""

    @abstractmethod
    def is_complete(self, response: Response) -> bool:
        """Whether the response is a full answer (an incomplete one may still be saved)."""

    @abstractmethod
    def score(self, response: Response | None) -> Fraction | None:
        """0..marks, exact; None where a human marks the response."""

    @abstractmethod
    def candidate_view(self, state: Mapping[str, Any]) -> dict[str, Any]:
        """What the candidate is shown: never the key, rationale or model answer."""


def unknown_field(key: Any, allowed: Sequence[str], what: str) -> str:
    """The message for a field nobody asked for, naming the field probably meant."""
    hint = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
    suggestion = f" (did you mean '{hint[0]}'?)" if hint else f" (allowed: {', '.join(allowed)})"
    return f"unknown field '{key}' in {what}{suggestion}"


def check_options(spec: Mapping[str, Any], low: int, high: int) -> list[SpecProblem]:
    """Options must be a mapping of short labels to non-empty text, `low`..`high` of them."""
    options = spec.get("options")
    if options is None:
        return [SpecProblem(("options",), "missing required field 'options'")]
    if not isinstance(options, Mapping):
        return [SpecProblem(("options",), "options must be a mapping of label: text")]
    problems = []
    if not low <= len(options) <= high:
        problems.append(
            SpecProblem(
                ("options",),
                f"{spec.get('type')} items need {low} to {high} options, not {len(options)}",
            )
        )
    for label, text in options.items():
        if not isinstance(label, str) or not label.isalnum() or len(label) > 3:
            problems.append(
                SpecProblem(
                    ("options", label),
                    f"option label {label!r} must be a short word such as a, b, c",
                )
            )
        if not isinstance(text, str) or not text.strip():
            problems.append(SpecProblem(("options", label), f"option {label!r} has no text"))
    return problems


def label_text(value: Any) -> str | None:
    """A key entry as an option label: text, or a whole number written unquoted (`1`).
    Anything else (true, 1.5, .nan, a date) names no option, whatever its str() says."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


class OptionItem(ItemType):
    """Shared behaviour of items whose answer is chosen among labelled options."""

    shuffle: ClassVar[bool] = True

    def __init__(self, spec: Mapping[str, Any]):
        super().__init__(spec)
        self.options: dict[str, str] = {str(k): v for k, v in spec["options"].items()}

    def start(self, rng: Random) -> Mapping[str, Any]:
        order = list(self.options)
        if self.shuffle:
            rng.shuffle(order)
        return {"order": order}

    def candidate_view(self, state: Mapping[str, Any]) -> dict[str, Any]:
        order = state.get("order") or list(self.options)
        return {
            "id": self.id,
            "type": self.name,
            "marks": self.marks,
            "stem": self.stem,
            "options": [(label, self.options[label]) for label in order],
        }

    @abstractmethod
    def expected_score(self, preference: Mapping[str, float]) -> Fraction:
        """The expected score of a candidate who answers by `preference` alone (a number per
        option, higher preferred), breaking ties at random: how a content-blind rule fares."""

    @abstractmethod
    def keyed(self) -> tuple[str, ...]:
        """The options a candidate who knows the answer picks first: the key, the key set, or
        the option ranked first."""

    @abstractmethod
    def chosen_labels(self, response: Response | None) -> tuple[str, ...]:
        """The options a response picked (a ranking's: the one ranked first), for the
        distractor analysis."""

    def key_order(self) -> tuple[str, ...] | None:
        """The whole key order, for items whose key is an order; None for the others."""
        return None

    def _label(self, raw: Any) -> str:
        label = str(raw) if isinstance(raw, (str, int)) and not isinstance(raw, bool) else None
        if label not in self.options:
            raise InvalidResponse(f"{raw!r} is not one of this item's options")
        return label


def tied_groups(preference: Mapping[str, float]) -> list[list[str]]:
    """Option labels grouped by equal preference, most preferred group first."""
    groups: dict[float, list[str]] = {}
    for label, value in preference.items():
        groups.setdefault(value, []).append(label)
    return [groups[value] for value in sorted(groups, reverse=True)]


REGISTRY: dict[str, type[ItemType]] = {}


def register(cls: type[ItemType]) -> type[ItemType]:
    """Make an item type known by its YAML `type` name."""
    REGISTRY[cls.name] = cls
    return cls
