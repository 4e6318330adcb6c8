from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
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


@register
class Ranking(OptionItem):
    """Put 3 to 8 options in order, best first; near-miss scoring as in UK situational
    judgement tests: each option earns n - 1 - |distance from its key position|."""

    name = "ranking"
    fields = ("options", "key")
    required = ("options", "key")

    @classmethod
    def check(cls, spec: Mapping[str, Any]) -> list[SpecProblem]:
        problems = check_options(spec, 3, 8)
        options, key = spec.get("options"), spec.get("key")
        if "key" in spec and isinstance(options, Mapping):
            labels = sorted(map(str, options))
            given = [label_text(label) for label in key] if isinstance(key, list) else [None]
            unknown = (
                [(index, label) for index, label in enumerate(key) if given[index] not in labels]
                if isinstance(key, list)
                else []
            )
            for index, label in unknown:
                problems.append(
                    SpecProblem(("key", index), f"key {label!r} is not one of the options")
                )
            listed = [label for label in given if label is not None]
            if not unknown and (len(listed) != len(given) or sorted(listed) != labels):
                problems.append(
                    SpecProblem(
                        ("key",),
                        "a ranking key must list every option label exactly once, best first",
                    )
                )
        return problems

    def __init__(self, spec: Mapping[str, Any]):
        super().__init__(spec)
        self.key = [str(label) for label in spec["key"]]

    def candidate_view(self, state: Mapping[str, Any]) -> dict[str, Any]:
        view = super().candidate_view(state)
        view["positions"] = len(self.options)
        return view

    def normalise(self, raw: Any) -> dict[str, int | None]:
        """A mapping of each option label to the position (1..n) the candidate gave it.

        A list is read as an order, best first. Positions may repeat or be missing while a
        candidate works; such a response is saved but is incomplete and scores 0.
        """
        n = len(self.options)
        if raw in (None, ""):
            raw = {}
        if isinstance(raw, (list, tuple)):
            if len(raw) > n:
                raise InvalidResponse("more positions than options")
            raw = {self._label(label): index + 1 for index, label in enumerate(raw) if label}
        if not isinstance(raw, Mapping):
            raise InvalidResponse("a ranking response maps each option to a position")
        positions: dict[str, int | None] = {label: None for label in self.options}
        for label, position in raw.items():
            label = self._label(label)
            if position in (None, ""):
                continue
            try:
                position = int(position)
            except (TypeError, ValueError):
                raise InvalidResponse(f"position {position!r} is not a number") from None
            if not 1 <= position <= n:
                raise InvalidResponse(f"positions run from 1 to {n}")
            positions[label] = position
        return positions

    def is_complete(self, response: Any) -> bool:
        if not response:
            return False
        return sorted(p for p in response.values() if p is not None) == list(
            range(1, len(self.options) + 1)
        )

    def score(self, response: Any) -> Fraction:
        if not self.is_complete(response):
            return Fraction(0)
        n = len(self.options)
        key_position = {label: index + 1 for index, label in enumerate(self.key)}
        points = sum(
            max(0, n - 1 - abs(response[label] - key_position[label])) for label in self.options
        )
        return Fraction(self.marks * points, n * (n - 1))

    def expected_score(self, preference: Mapping[str, float]) -> Fraction:
        """Order by preference; options tied with each other are put in a random order among
        themselves, so each takes every position of its tied block equally often. The score
        is a sum of per-option points, so its expectation is the sum of their expectations."""
        n = len(self.options)
        key_position = {label: index + 1 for index, label in enumerate(self.key)}
        points, first = Fraction(0), 1
        for group in tied_groups(preference):
            positions = range(first, first + len(group))
            for label in group:
                points += Fraction(
                    sum(max(0, n - 1 - abs(p - key_position[label])) for p in positions), len(group)
                )
            first += len(group)
        return Fraction(self.marks) * points / (n * (n - 1))

    def keyed(self) -> tuple[str, ...]:
        return (self.key[0],)

    def chosen_labels(self, response: Any) -> tuple[str, ...]:
        return tuple(label for label, position in (response or {}).items() if position == 1)

    def key_order(self) -> tuple[str, ...]:
        return tuple(self.key)
