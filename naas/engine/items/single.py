from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from .base import OptionItem, SpecProblem, check_options, label_text, register


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
        if isinstance(options, Mapping) and "key" in spec and label_text(key) not in map(str, options):
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
