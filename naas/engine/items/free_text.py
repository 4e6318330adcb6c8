from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .base import InvalidResponse, ItemType, SpecProblem, register, unknown_field

MAX_CHARACTERS = 30_000  # far beyond any word limit: text is never refused for length alone
MAX_WORDS = 5_000  # the most words MAX_CHARACTERS can hold
CRITERION_FIELDS = ("criterion", "marks", "descriptors")


@dataclass(frozen=True)
class Criterion:
    criterion: str
    marks: int
    descriptors: Mapping[int, str]


def word_count(text: str) -> int:
    return len(text.split())


@register
class FreeText(ItemType):
    """A written answer, marked by assessors against a rubric: its score is the sum of the
    criterion marks after moderation, so it has no automatic score."""

    name = "free_text"
    fields = ("max_words", "rubric", "model_answer")
    required = ("max_words", "rubric")
    auto_scored = False

    @classmethod
    def check(cls, spec: Mapping[str, Any]) -> list[SpecProblem]:
        problems = []
        if "max_words" in spec:
            max_words = spec["max_words"]
            if (
                not isinstance(max_words, int)
                or isinstance(max_words, bool)
                or not 1 <= max_words <= MAX_WORDS
            ):
                problems.append(
                    SpecProblem(
                        ("max_words",), f"max_words must be a whole number from 1 to {MAX_WORDS}"
                    )
                )
        if "model_answer" in spec and not isinstance(spec["model_answer"], str):
            problems.append(SpecProblem(("model_answer",), "model_answer must be text"))
        rubric = spec.get("rubric")
        if "rubric" not in spec:
            return problems
        if not isinstance(rubric, list) or not rubric:
            return problems + [SpecProblem(("rubric",), "rubric must be a list of criteria")]
        total = 0
        for index, entry in enumerate(rubric):
            where = ("rubric", index)
            if not isinstance(entry, Mapping):
                problems.append(SpecProblem(where, "each rubric entry needs criterion and marks"))
                continue
            for field in entry:
                if field not in CRITERION_FIELDS:
                    message = unknown_field(field, CRITERION_FIELDS, "a rubric entry")
                    problems.append(SpecProblem(where + (field,), message))
            if (
                not isinstance(entry.get("criterion"), str)
                or not entry.get("criterion", "").strip()
            ):
                problems.append(SpecProblem(where, "missing required field 'criterion'"))
            marks = entry.get("marks")
            if not isinstance(marks, int) or isinstance(marks, bool) or marks <= 0:
                problems.append(
                    SpecProblem(
                        where + ("marks",), "criterion marks must be a positive whole number"
                    )
                )
                continue
            total += marks
            descriptors = entry.get("descriptors")
            if descriptors is None:
                continue
            if not isinstance(descriptors, Mapping):
                problems.append(
                    SpecProblem(
                        where + ("descriptors",),
                        "descriptors map each mark (0..marks) to a description",
                    )
                )
                continue
            for mark, text in descriptors.items():
                if isinstance(mark, str) and mark.isdigit():  # as stored in JSON, keys are text
                    mark = int(mark)
                if not isinstance(mark, int) or isinstance(mark, bool) or not 0 <= mark <= marks:
                    problems.append(
                        SpecProblem(
                            where + ("descriptors", mark),
                            f"descriptor for {mark!r} is outside 0..{marks}",
                        )
                    )
                elif not isinstance(text, str) or not text.strip():
                    problems.append(
                        SpecProblem(where + ("descriptors", mark), "descriptor has no text")
                    )
        marks = spec.get("marks")
        if isinstance(marks, int) and not problems and marks != total:
            problems.append(
                SpecProblem(("marks",), f"marks is {marks} but the rubric adds up to {total}")
            )
        return problems

    def __init__(self, spec: Mapping[str, Any]):
        super().__init__(spec)
        self.max_words: int = spec["max_words"]
        self.model_answer: str | None = spec.get("model_answer")
        self.rubric = tuple(
            Criterion(
                c["criterion"],
                c["marks"],
                {int(k): v for k, v in (c.get("descriptors") or {}).items()},
            )
            for c in spec["rubric"]
        )

    def candidate_view(self, state: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.name,
            "marks": self.marks,
            "stem": self.stem,
            "max_words": self.max_words,
        }

    def normalise(self, raw: Any) -> str:
        if raw is None:
            return ""
        if not isinstance(raw, str):
            raise InvalidResponse("a written answer is text")
        if len(raw) > MAX_CHARACTERS:
            raise InvalidResponse(f"answers are limited to {MAX_CHARACTERS} characters")
        return raw.replace("\r\n", "\n")

    def is_complete(self, response: Any) -> bool:
        return bool(response and response.strip())

    def score(self, response: Any) -> None:
        return None

    def score_marks(self, awarded: list[int]) -> Fraction:
        """The item's score from marks awarded per criterion, each checked against its range."""
        if len(awarded) != len(self.rubric):
            raise ValueError(f"expected {len(self.rubric)} criterion marks, got {len(awarded)}")
        for mark, criterion in zip(awarded, self.rubric, strict=True):
            if not 0 <= mark <= criterion.marks:
                raise ValueError(f"{criterion.criterion!r}: {mark} is outside 0..{criterion.marks}")
        return Fraction(sum(awarded))
