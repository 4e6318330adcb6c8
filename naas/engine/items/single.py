from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from .base import OptionItem, SpecProblem, check_options, label_text, register, tied_groups


@register
class Single(OptionItem):
    """One best answer among 2 to 8 options."""

    name = "single"
    fields = ("options", "key")
    required = ("options", "key")

    @classmethod
    def check(cls, spec: Mapping[str, Any]) -> list[SpecProblem]:
        problems = check_options(spec, 2, 8)
        key, options = spec.get("key"), spec.get("options")
        if (
            isinstance(options, Mapping)
            and "key" in spec
            and label_text(key) not in [str(label) for label in options]
        ):
            problems.append(SpecProblem(("key",), f"key {key!r} is not one of the options"))
        return problems

    def __init__(self, spec: Mapping[str, Any]):
        super().__init__(spec)
        self.key = str(spec["key"])

    def normalise(self, raw: Any) -> str | None:
        if raw in (None, ""):
            return None
        return self._label(raw)

    def is_complete(self, response: Any) -> bool:
        return response is not None

    def score(self, response: Any) -> Fraction:
        return Fraction(self.marks) if response == self.key else Fraction(0)

    def expected_score(self, preference: Mapping[str, float]) -> Fraction:
        best = tied_groups(preference)[0]
        return sum((self.score(label) for label in best), Fraction(0)) / len(best)

    def keyed(self) -> tuple[str, ...]:
        return (self.key,)

    def chosen_labels(self, response: Any) -> tuple[str, ...]:
        return (response,) if response in self.options else ()
