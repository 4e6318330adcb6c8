"""What an employer reads about their staff: each endorsement with where it stands.

Everything here is scoped to one organisation by its first query, and every other query
reads only rows reached from that one: an employer never sees another organisation's
endorsements, nor the sittings a candidate took under another employer's endorsement.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, lazyload

from naas.bank import Tier
from naas.bank_store import tier_from_version
from naas.certificates.services import record_intact
from naas.models import (
    CandidateProfile,
    Certificate,
    Endorsement,
    Result,
    Sitting,
    TestForm,
    TierVersion,
    User,
)
from naas.sitting import services as sitting_services

from .status import STATUSES, StaffStatus, staff_status


@dataclass(frozen=True)
class StaffRow:
    endorsement: Endorsement
    candidate: User
    registration_number: str
    sitting: Sitting | None  # the latest under this endorsement
    result: Result | None
    certificate: Certificate | None
    status: StaffStatus


def known_tiers(session: Session) -> dict[str, Tier]:
    """The tiers of the loaded bank, in the bank's order."""
    first_loaded = (
        select(TierVersion.tier).group_by(TierVersion.tier).order_by(func.min(TierVersion.id))
    )
    tiers = {}
    for tier_id in session.scalars(first_loaded):
        tier = sitting_services.tier_for(session, tier_id)
        if tier is not None:  # always found: the tier's id was read from one of its versions
            tiers[tier_id] = tier
    return tiers


def tier_title(tiers: dict[str, Tier], tier_id: str) -> str:
    tier = tiers.get(tier_id)
    return tier.title if tier else tier_id.capitalize()


def _endorsement_ids(
    organisation_id: int, endorsement_id: int | None = None, candidate_id: int | None = None
) -> Select:
    query = select(Endorsement.id).where(
        Endorsement.organisation_id == organisation_id, Endorsement.withdrawn_at.is_(None)
    )
    if endorsement_id is not None:
        query = query.where(Endorsement.id == endorsement_id)
    if candidate_id is not None:
        query = query.where(Endorsement.candidate_id == candidate_id)
    return query


def staff_rows(
    session: Session,
    organisation_id: int,
    today: date,
    *,
    endorsement_id: int | None = None,
    candidate_id: int | None = None,
) -> list[StaffRow]:
    """The organisation's endorsements that are not withdrawn (or those of one endorsement or
    one person), each with its status. A handful of queries whatever the number of staff."""
    ids = _endorsement_ids(organisation_id, endorsement_id, candidate_id)
    people = session.execute(
        select(Endorsement, User, CandidateProfile.registration_number)
        .join(User, User.id == Endorsement.candidate_id)
        .join(CandidateProfile, CandidateProfile.user_id == User.id)
        .where(Endorsement.id.in_(ids))
        .options(lazyload(User.role_rows))
    ).all()
    latest: dict[int, tuple[Sitting, int]] = {}
    for started, tier_version_id in session.execute(
        select(Sitting, TestForm.tier_version_id)
        .join(TestForm, TestForm.id == Sitting.form_id)
        .where(Sitting.endorsement_id.in_(ids))
        .order_by(Sitting.started_at, Sitting.id)
    ):
        latest[started.endorsement_id] = (started, tier_version_id)
    results = {
        r.sitting_id: r
        for r in session.scalars(
            select(Result).where(
                Result.sitting_id.in_(select(Sitting.id).where(Sitting.endorsement_id.in_(ids)))
            )
        )
    }
    certificates = {
        c.result_id: c
        for c in session.scalars(
            select(Certificate)
            .join(Result, Result.id == Certificate.result_id)
            .join(Sitting, Sitting.id == Result.sitting_id)
            .where(Sitting.endorsement_id.in_(ids))
        )
    }
    waits = _resit_waits(session, {version for _, version in latest.values()})
    rows = []
    for endorsement, candidate, registration in people:
        latest_sitting = latest.get(endorsement.id)  # with its tier version, if one was started
        sitting = latest_sitting[0] if latest_sitting else None
        result = results.get(sitting.id) if sitting else None
        certificate = certificates.get(result.id) if result else None
        status = staff_status(
            sitting,
            result,
            certificate,
            waits.get(latest_sitting[1]) if latest_sitting else None,
            today,
            certificate_intact=certificate is None or record_intact(certificate),
        )
        rows.append(
            StaffRow(endorsement, candidate, registration, sitting, result, certificate, status)
        )
    return rows


def _resit_waits(session: Session, version_ids: set[int]) -> dict[int, int]:
    if not version_ids:
        return {}
    versions = session.scalars(select(TierVersion).where(TierVersion.id.in_(version_ids)))
    return {version.id: tier_from_version(version).resit_wait_days for version in versions}


def sittings_of(session: Session, endorsement: Endorsement) -> list[tuple[Sitting, Result | None]]:
    """Every sitting taken under this endorsement, newest first, with its result."""
    sittings = session.scalars(
        select(Sitting)
        .where(Sitting.endorsement_id == endorsement.id)
        .order_by(Sitting.started_at.desc())
    ).all()
    results = {
        r.sitting_id: r
        for r in session.scalars(
            select(Result).where(Result.sitting_id.in_([s.id for s in sittings]))
        )
    }
    return [(sitting, results.get(sitting.id)) for sitting in sittings]


def submit_overdue(session: Session, organisation_id: int, now: datetime) -> None:
    """Submit the organisation's sittings whose deadline has passed, so that a sitting the
    candidate walked away from reads as submitted, as the candidate's own page would show it."""
    overdue = session.scalars(
        select(Sitting).where(
            Sitting.status == "in_progress",
            Sitting.deadline <= now,
            Sitting.endorsement_id.in_(_endorsement_ids(organisation_id)),
        )
    ).all()
    for sitting in overdue:
        with (
            session.begin_nested()
        ):  # one lost race (the candidate's own request submitted it) undoes only itself
            sitting_services.submit_if_overdue(session, sitting, now)


# -- the dashboard's filter, sort and counts -----------------------------------------------
SORTS = {
    "name": lambda row: (row.candidate.name.casefold(), row.endorsement.tier),
    "registration": lambda row: (row.registration_number, row.endorsement.tier),
    "tier": lambda row: (row.endorsement.tier, row.candidate.name.casefold()),
    "status": lambda row: (
        row.status.rank,
        row.status.on or date.max,
        row.candidate.name.casefold(),
    ),
    "date": lambda row: (
        row.status.on is None,
        row.status.on or date.max,
        row.candidate.name.casefold(),
    ),
    "endorsed": lambda row: (row.endorsement.created_at, row.endorsement.id),
}


def select_rows(
    rows: list[StaffRow],
    *,
    status: str | None = None,
    tier: str | None = None,
    search: str | None = None,
    sort: str = "name",
    descending: bool = False,
) -> list[StaffRow]:
    """The rows the dashboard shows for its filters, in its chosen order."""
    needle = (search or "").strip().casefold()
    chosen = [
        row
        for row in rows
        if (not status or row.status.code == status)
        and (not tier or row.endorsement.tier == tier)
        and (
            not needle
            or needle in row.candidate.name.casefold()
            or needle in row.registration_number.casefold()
            or needle in row.candidate.email
        )
    ]
    return sorted(chosen, key=SORTS.get(sort, SORTS["name"]), reverse=descending)


def status_counts(rows: list[StaffRow]) -> dict[str, int]:
    """How many rows have each status, in order: every status listed, zero included (except
    "cannot be verified", which should never happen and is listed only when it does)."""
    counted = Counter(row.status.code for row in rows)
    return {
        code: counted.get(code, 0)
        for code in STATUSES
        if code != "unverifiable" or counted.get(code)
    }
