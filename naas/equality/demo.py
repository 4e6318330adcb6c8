"""Demo data: the simulated cohort's equality answers (drawn at random, so the report shows
what a fair test looks like), and the tier's fairness report computed from them."""

from __future__ import annotations

from datetime import datetime
from random import Random

from sqlalchemy.orm import Session

from naas.auth.services import find_user

from . import services
from .questions import PREFER_NOT, QUESTIONS


def seed(session: Session, tier: str, emails: list[str], now: datetime) -> str | None:
    rng = Random(f"equality:{tier}")
    answered = 0
    for email in emails:
        candidate = find_user(session, email)
        if candidate is None or services.has_consented(services.answers_of(session, candidate.id)):
            continue
        answers = {}
        for question in QUESTIONS:
            codes = [code for code, _ in question.choices if code != PREFER_NOT]
            roll = rng.random()
            answers[question.name] = (
                PREFER_NOT if roll < 0.05 else None if roll < 0.08 else rng.choice(codes)
            )
        services.save_answers(session, candidate, answers, True, now)
        answered += 1
    run = services.compute(session, tier, "released", actor_id=None, now=now)
    return (
        f"{answered} simulated candidate(s) answered the equality questions; fairness report computed "
        f"at {run.computed_at:%H:%M}"
    )
