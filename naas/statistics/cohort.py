"""A simulated cohort for the demo: candidates of known ability sit real forms through the
real services (start, save, move on, submit; written answers double-marked by two simulated
assessors through the marking queue), so the statistics, standard-setting and fairness pages
show realistic figures in a fresh demo. Everything it creates is labelled as simulated.

Answers follow a two-parameter logistic model: a candidate of ability theta answers an item
of difficulty b rightly with probability 1 / (1 + exp(-1.2 (theta - b))); an item's
difficulty is drawn once from its id, so every candidate meets the same item. A wrong
answer is a distractor at random. Written answers earn each criterion's marks in proportion
to the same probability.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from naas.auth.services import create_user, find_user
from naas.engine.items.base import ItemType, OptionItem
from naas.marking import services as marking
from naas.models import Endorsement, ItemVersion, Organisation, Result, Script, Sitting
from naas.sitting import services as sitting

COHORT_ORGANISATION = "Simulated cohort (demo data)"
DISCRIMINATION = 1.2
TIER_DIGIT = {"practitioner": 1, "supervisor": 2, "leader": 3}  # keeps registration numbers apart


@dataclass(frozen=True)
class CohortReport:
    tier: str
    candidates: int
    passed: int
    released: int


def difficulty(item_id: str) -> float:
    """A fixed difficulty in about -1.5..1.5 from the item's id."""
    digest = hashlib.sha256(item_id.encode()).digest()
    return (int.from_bytes(digest[:4], "big") / 2**32) * 3 - 1.5


def p_right(theta: float, item_id: str) -> float:
    return 1 / (1 + math.exp(-DISCRIMINATION * (theta - difficulty(item_id))))


def answer_for(item: ItemType, theta: float, rng: Random):
    """A simulated candidate's answer to an objective item, or None for a written one."""
    right = rng.random() < p_right(theta, item.id)
    if not isinstance(item, OptionItem):
        return None
    labels = list(item.options)
    order = item.key_order()
    if order is not None:  # a ranking: right keeps the key order; wrong swaps two options
        answer = list(order)
        if not right:
            i, j = rng.sample(range(len(answer)), 2)
            answer[i], answer[j] = answer[j], answer[i]
        return answer
    keyed = list(item.keyed())
    select_n = getattr(item, "select", None)
    if select_n or len(keyed) > 1:
        wanted = select_n or len(keyed)
        if right:
            return sorted(keyed)
        others = [label for label in labels if label not in keyed]
        keep = rng.randint(0, wanted - 1)
        return sorted(rng.sample(keyed, keep) + rng.sample(others, min(len(others), wanted - keep)))
    return keyed[0] if right else rng.choice([label for label in labels if label not in keyed])


def cohort_emails(tier: str, candidates: int) -> list[str]:
    return [f"cohort-{tier}-{number + 1}@example.org" for number in range(candidates)]


def seed_cohort(
    session: Session,
    tier: str,
    candidates: int,
    now: datetime,
    seed: int = 2026,
    progress: Callable[[str], None] = lambda message: None,
) -> CohortReport:
    """Sit `candidates` simulated candidates through the tier, mark and release their results."""
    rng = Random(f"{seed}:{tier}")
    org = session.scalar(select(Organisation).where(Organisation.name == COHORT_ORGANISATION))
    if org is None:
        org = Organisation(name=COHORT_ORGANISATION, kind="agency")
        session.add(org)
        session.flush()
    employer = _user(
        session, "cohort-employer@example.org", "Simulated employer", ("employer",), org
    )
    assessors = [
        _user(
            session,
            f"cohort-assessor-{n}@example.org",
            f"Simulated assessor {n}",
            ("assessor",),
            None,
        )
        for n in (1, 2)
    ]
    ability: dict[int, float] = {}
    start = now - timedelta(days=30)
    for number in range(candidates):
        email = cohort_emails(tier, number + 1)[-1]
        if find_user(session, email) is not None:
            continue
        theta = rng.gauss(0, 1)
        candidate = create_user(
            session,
            email=email,
            name=f"Simulated candidate {tier} {number + 1}",
            roles=("candidate",),
            organisation=org,
            registration_number=f"SW8{TIER_DIGIT.get(tier, 9)}{number + 1:06d}",
        )
        endorsement = Endorsement(
            candidate_id=candidate.id,
            organisation_id=org.id,
            tier=tier,
            endorsed_by=employer.id,
            created_at=start - timedelta(days=1),
        )
        session.add(endorsement)
        session.flush()
        at = start + timedelta(minutes=number)
        taken = sitting.start_sitting(session, candidate, endorsement, at)
        form = sitting.load_form(session, taken.form)
        for page in range(taken.form.stage_count):
            for entry in form.page_items(page):
                answer = answer_for(entry.item, theta, rng)
                if answer is None:
                    answer = f"A simulated written answer (ability {theta:+.2f})."
                sitting.save_answer(session, taken, entry, answer, 1, at, source="page")
            if page < taken.form.stage_count - 1:
                sitting.move_on(session, taken, page, taken.form, at)
        sitting.submit(session, taken, at + timedelta(minutes=90), by="candidate")
        ability[taken.id] = theta
        session.commit()
        if (number + 1) % 50 == 0:
            progress(f"{tier}: {number + 1} of {candidates} candidates have sat")
    _mark_all(session, assessors, ability, start + timedelta(days=1), rng)
    released = marking.release(session, tier, actor_id=None, now=start + timedelta(days=2))
    session.commit()
    passed = session.scalar(
        select(func.count(Result.id))
        .join(Sitting, Sitting.id == Result.sitting_id)
        .where(Sitting.tier == tier, Result.passed.is_(True))
    )
    return CohortReport(tier, len(ability), passed or 0, released)


def _user(
    session: Session, email: str, name: str, roles: tuple[str, ...], org: Organisation | None
):
    user = find_user(session, email)
    if user is None:
        user = create_user(session, email=email, name=name, roles=roles, organisation=org)
        session.flush()
    return user


def _mark_all(
    session: Session, assessors, ability: dict[int, float], now: datetime, rng: Random
) -> None:
    """Both simulated assessors mark every script alike, so each is agreed at first marking."""
    while True:
        progressed = False
        for assessor in assessors:
            mark = marking.take_next(session, assessor, now, control_rate=0.0)
            if mark is None:
                continue
            script = session.get_one(Script, mark.script_id)
            item = marking.item_of(session, session.get_one(ItemVersion, script.item_version_id))
            theta = ability.get(script.sitting_id, 0.0) if script.sitting_id is not None else 0.0
            share = p_right(theta, item.id)
            # a deterministic mark per script, so both assessors agree
            local = Random(f"{script.id}")
            criterion_marks = [
                min(c.marks, max(0, round(c.marks * share + local.uniform(-0.5, 0.5))))
                for c in item.rubric
            ]
            marking.record_mark(
                session,
                mark,
                assessor,
                criterion_marks,
                "Simulated marking (demo data).",
                submit=True,
                now=now,
            )
            session.commit()
            progressed = True
        if not progressed:
            return
