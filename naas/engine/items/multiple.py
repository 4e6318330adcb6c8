from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from itertools import combinations
from typing import Any

from .base import (
    InvalidResponse,
    OptionItem,
    SpecProblem,
    check_options,
    label_text,
    register,
    tied_groups,
)

SCORINGS = ("per_option", "all_or_nothing")


@register
class Multiple(OptionItem):
    """Several right answers among 3 to 8 options.

    Three ways to score, exactly as the bank contract says: `select: N` (choose exactly N,
    each key label earns marks/N), `per_option` (each key label earns marks/k and each wrong
    one costs marks/k, floored at 0) and `all_or_nothing`.
    """

    name = "multiple"
    fields = ("options", "key", "select", "scoring")
    required = ("options", "key")

    @classmethod
    def check(cls, spec: Mapping[str, Any]) -> list[SpecProblem]:
        problems = check_options(spec, 3, 8)
        options = spec.get("options")
        labels = set(map(str, options)) if isinstance(options, Mapping) else set()
        key = spec.get("key")
        if "key" in spec:
            if not isinstance(key, list) or not key:
                problems.append(
                    SpecProblem(("key",), "key must be a list of one or more option labels")
                )
            else:
                for index, label in enumerate(key):
                    if labels and label_text(label) not in labels:
                        problems.append(
                            SpecProblem(("key", index), f"key {label!r} is not one of the options")
                        )
                if len(set(map(str, key))) != len(key):
                    problems.append(SpecProblem(("key",), "key lists a label twice"))
                if labels and len(set(map(str, key))) == len(labels):
                    # allowed by the contract, but choosing every option then earns full marks
                    problems.append(
                        SpecProblem(
                            ("key",),
                            "key lists every option, so choosing every option "
                            "earns full marks: add an option that is wrong",
                            warning=True,
                        )
                    )
        if "select" in spec and "scoring" in spec:
            problems.append(
                SpecProblem(("scoring",), "give either 'select' or 'scoring', not both")
            )
        if "select" in spec:
            select = spec["select"]
            if not isinstance(select, int) or isinstance(select, bool) or select < 1:
                problems.append(
                    SpecProblem(("select",), "select must be a whole number of at least 1")
                )
            elif isinstance(key, list) and select != len(key):
                problems.append(
                    SpecProblem(
                        ("select",), f"select is {select} but the key has {len(key)} labels"
                    )
                )
        if "scoring" in spec and spec["scoring"] not in SCORINGS:
            problems.append(
                SpecProblem(
                    ("scoring",),
                    f"scoring must be one of {', '.join(SCORINGS)}, not {spec['scoring']!r}",
                )
            )
        return problems

    def __init__(self, spec: Mapping[str, Any]):
        super().__init__(spec)
        self.key = frozenset(str(label) for label in spec["key"])
        self.select: int | None = spec.get("select")
        self.scoring: str = "select" if self.select else spec.get("scoring", "per_option")

    def candidate_view(self, state: Mapping[str, Any]) -> dict[str, Any]:
        view = super().candidate_view(state)
        view["select"] = self.select
        return view

    def normalise(self, raw: Any) -> list[str]:
        if raw in (None, ""):
            return []
        if isinstance(raw, (str, int)):
            raw = [raw]
        if not isinstance(raw, (list, tuple)):
            raise InvalidResponse("a multiple-answer response is a list of option labels")
        labels = sorted({self._label(label) for label in raw})
        if self.select and len(labels) > self.select:
            raise InvalidResponse(f"choose at most {self.select} options")
        return labels

    def is_complete(self, response: Any) -> bool:
        if not response:
            return False
        return len(response) == self.select if self.select else True

    def score(self, response: Any) -> Fraction:
        chosen = set(response or ())
        marks = Fraction(self.marks)
        if self.select:  # scoring "select"
            if len(chosen) > self.select:
                return Fraction(0)
            return marks * len(chosen & self.key) / self.select
        if self.scoring == "all_or_nothing":
            return marks if chosen == self.key else Fraction(0)
        k = len(self.key)
        right, wrong = len(chosen & self.key), len(chosen - self.key)
        return max(Fraction(0), marks * (right - wrong) / k)

    def expected_score(self, preference: Mapping[str, float]) -> Fraction:
        """Choose `select` options (without `select`, half of them: a content-blind candidate
        cannot know how many are keys), the most preferred first; a tie at the boundary is
        settled at random, so every way of settling it is equally likely."""
        wanted = self.select or len(self.options) // 2
        chosen: list[str] = []
        for group in tied_groups(preference):
            if len(chosen) + len(group) <= wanted:
                chosen += group
                continue
            completions = list(combinations(group, wanted - len(chosen)))
            return sum((self.score(chosen + list(c)) for c in completions), Fraction(0)) / len(
                completions
            )
        return self.score(chosen)

    def keyed(self) -> tuple[str, ...]:
        return tuple(sorted(self.key))

    def chosen_labels(self, response: Any) -> tuple[str, ...]:
        return tuple(label for label in (response or ()) if label in self.options)
