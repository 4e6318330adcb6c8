"""`naas demo`: a database to try the service with, in the instance folder."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from . import db
from .auth.services import create_user, find_user, hash_password
from .bank import check_bank
from .bank_store import store_bank
from .migrate import upgrade
from .models import Endorsement, Organisation

DEMO_ORGANISATION = "Northfield Borough Council (demo)"
DEMO_ACCOUNTS = [
    # role, email, name, extra roles
    ("candidate", "candidate@demo.naas.test", "Amara Okafor", ()),
    ("employer", "employer@demo.naas.test", "Gareth Hughes", ()),
    ("assessor", "assessor@demo.naas.test", "Priya Raman", ()),
    ("assessor", "assessor2@demo.naas.test", "Tom Whitfield", ()),
    ("moderator", "moderator@demo.naas.test", "Helen Adeyemi", ("assessor",)),
    ("admin", "admin@demo.naas.test", "Sam Carter", ()),
]


def _demo_password(instance: Path) -> str:
    """One random password for every demo account, kept so that a second run prints it again."""
    path = instance / "demo-password"
    if not path.exists():
        words = [
            "amber",
            "birch",
            "cedar",
            "delta",
            "ember",
            "fable",
            "grove",
            "harbour",
            "island",
            "juniper",
            "kestrel",
            "lantern",
            "meadow",
            "nectar",
            "orchard",
            "pebble",
            "quartz",
            "river",
            "saffron",
            "thistle",
            "umber",
            "violet",
            "willow",
            "yarrow",
        ]
        path.write_text(
            "-".join(secrets.choice(words) for _ in range(3)) + f"-{secrets.randbelow(90) + 10}"
        )
        path.chmod(0o600)
    return path.read_text().strip()


class DemoError(RuntimeError):
    """The demo cannot be set up; the message says why and what to do."""


def set_up_demo() -> list[tuple[str, str, str]]:
    """Migrate, load the bundled bank, and create the organisation and accounts if missing."""
    upgrade(db.engine())
    session = db.session
    now = db.utcnow()
    result = check_bank(current_app.config["NAAS_BANK_PATH"])
    bank = result.bank
    if bank is None or not result.ok:
        raise DemoError(
            f"the question bank {current_app.config['NAAS_BANK_PATH']} does not pass "
            f"`naas bank check` ({len(result.problems)} problem(s)): fix it first"
        )
    store_bank(session, bank, source="bundled bank (demo)", actor_id=None, now=now)
    password = _demo_password(Path(current_app.instance_path))
    org = session.scalar(select(Organisation).where(Organisation.name == DEMO_ORGANISATION))
    if org is None:
        org = Organisation(name=DEMO_ORGANISATION, kind="local_authority")
        session.add(org)
        session.flush()
    logins = []
    users = {}
    for number, (role, email, name, extra) in enumerate(DEMO_ACCOUNTS):
        user = find_user(session, email)
        if user is None:
            user = create_user(
                session,
                email=email,
                name=name,
                roles=(role, *extra),
                password=password,
                organisation=org if role in ("candidate", "employer") else None,
                registration_number=f"SW9{number:05d}" if role == "candidate" else None,
            )
        else:
            user.password_hash = hash_password(password)
        users[email] = user
        logins.append((role, email, password))
    candidate = users[DEMO_ACCOUNTS[0][1]]
    employer = users[DEMO_ACCOUNTS[1][1]]
    if session.scalar(select(Endorsement).where(Endorsement.candidate_id == candidate.id)) is None:
        session.add(
            Endorsement(
                candidate_id=candidate.id,
                organisation_id=org.id,
                tier="practitioner",
                endorsed_by=employer.id,
                created_at=now,
            )
        )
    session.commit()
    return logins


def demo_seeder(app, seeder) -> None:
    """A feature adds demo data of its own after the simulated cohort has sat a tier:
    `seeder(session, tier, cohort_emails, now)` returns a line saying what it made, or None.
    (Features register here, so the demo needs to know none of them.)"""
    app.extensions.setdefault("naas.demo_seeders", []).append(seeder)


def seed_demo_cohort(candidates: int, progress=lambda message: None) -> list[str]:
    """Sit `candidates` simulated candidates per tier through the real services, release their
    results and compute each tier's statistics; then each feature's demo seeder adds what its
    pages need (equality answers and the fairness report, a standard-setting panel)."""
    from naas.statistics import services as statistics
    from naas.statistics.cohort import cohort_emails, seed_cohort

    bank = check_bank(current_app.config["NAAS_BANK_PATH"]).bank
    if bank is None:
        raise DemoError(
            f"the question bank {current_app.config['NAAS_BANK_PATH']} cannot be read: "
            "run `naas bank check` on it"
        )
    lines = []
    for tier in sorted(bank.tiers):
        report = seed_cohort(db.session, tier, candidates, db.utcnow(), progress=progress)
        run = statistics.compute(db.session, tier, "released", actor_id=None, now=db.utcnow())
        db.session.commit()
        lines.append(
            f"{tier}: {report.candidates} new simulated candidate(s) sat, {report.released} result(s) "
            f"released, {report.passed} passed; statistics computed from {run.sittings} sitting(s)"
        )
        for seeder in current_app.extensions.get("naas.demo_seeders", []):
            line = seeder(db.session, tier, cohort_emails(tier, candidates), db.utcnow())
            db.session.commit()
            if line:
                lines.append(f"{tier}: {line}")
    return lines
