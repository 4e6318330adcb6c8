"""Building a national-size database for bench/scale.py: bulk COPY into the real schema.

The schema comes from the migrations (upgraded to head) and the bank from `store_bank`; the
rest is written with PostgreSQL's COPY, a chunk of sittings per transaction, with explicit ids
(the database is new, so the builder owns every sequence; they are moved past the data at the
end). Only the column lists of the COPY statements name the schema here, so a column added by
a later migration with a default or a NULL needs nothing, and one without fails loudly.

What is built (at --scale 1): 150 organisations, 30,000 candidates, 60,000 submitted sittings
(each candidate sits up to three tiers, the first before the second), every sitting's form
assembled by the engine from the bundled bank, with an answer per item drawn from a simulated
ability (the two-parameter logistic model of naas/statistics/cohort.py, so item statistics and
fairness reports are meaningful), written answers double-marked by assessors of slightly
different severity (a disagreement beyond the tolerance goes to a moderator), results scored by
the engine, 20,000 of them released (the earliest), 12,000 of those passes with a signed
certificate, the most recent sittings still being marked (their scripts in the queues),
equality answers for 60% of candidates, and the audit records of those state changes
(starts, submissions, final marks, releases, issues), hash-chained in time order.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from random import Random
from types import SimpleNamespace
from typing import Any

import psycopg
from sqlalchemy import create_engine, select

from naas import create_app, db
from naas.audit import GENESIS, chain_hash, mac_key_from, row_mac
from naas.auth.services import hash_password
from naas.bank import check_bank
from naas.bank_store import (
    current_tier_version,
    live_scenario_versions,
    scenario_from_version,
    store_bank,
    tier_from_version,
)
from naas.certificates.accreditation import sign_record
from naas.certificates.numbers import new_number
from naas.certificates.services import add_years, uk_date
from naas.certificates.signing import parse_key
from naas.config import BUNDLED_BANK
from naas.db import Base
from naas.engine.forms import CannotAssemble, assemble
from naas.engine.results import ScoredItem, outcome
from naas.equality.questions import PREFER_NOT, QUESTIONS
from naas.migrate import upgrade
from naas.models import ItemVersion
from naas.sitting.services import area_scores_json
from naas.statistics.cohort import answer_for, difficulty

TIERS = ("practitioner", "supervisor", "leader")
PASSWORD = "scale benchmark password"
TOLERANCE = Fraction(1)  # the marking tolerance's default (TierSetting)
NATIONAL = {
    "organisations": 150,
    "candidates": 30_000,
    "sittings": 60_000,
    "released": 20_000,
    "certificates": 12_000,
    "assessors": 100,
    "moderators": 15,
}
ABILITY_MEAN = 0.7  # candidates put forward by their employers are mostly ready: about 60% pass
PENDING_SHARE = 0.08  # the most recent sittings, still being marked
EQUALITY_SHARE = 0.6
UNANSWERED = 0.02
CHUNK = 2000  # sittings per transaction


@dataclass(frozen=True)
class Counts:
    organisations: int
    candidates: int
    sittings: int
    released: int
    certificates: int
    assessors: int
    moderators: int

    @classmethod
    def at(cls, scale: float) -> Counts:
        if scale <= 0:
            raise ValueError("--scale must be above 0")
        n = {k: round(v * scale) for k, v in NATIONAL.items()}
        candidates = max(n["candidates"], 6)
        sittings = max(n["sittings"], candidates)
        released = min(max(n["released"], 2), sittings // 2)
        return cls(
            organisations=max(n["organisations"], 1),
            candidates=candidates,
            sittings=min(sittings, 3 * candidates),  # at most one sitting per tier each
            released=released,
            certificates=min(max(n["certificates"], 1), released - 1),
            assessors=max(n["assessors"], 3),
            moderators=max(n["moderators"], 1),
        )


@dataclass
class BuildReport:
    database: str
    url: str
    counts: Counts
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    size_bytes: int = 0
    logins: dict[str, Any] = field(default_factory=dict)


# -- the plan of each form: assembled once per seed by the engine ------------------------------
@dataclass(frozen=True)
class Choice:
    answer_json: str | None  # as stored (JSON text), None for unanswered
    score: Fraction


@dataclass(frozen=True)
class PlanItem:
    position: int
    page: int
    scenario_version_id: int
    item_version_id: int
    state_json: str
    item_id: str
    area: str
    marks: int
    b: float  # simulated difficulty
    right: Choice | None  # None: a written item
    wrong: tuple[Choice, ...]
    rubric: tuple[int, ...]  # a written item's criteria, by marks


@dataclass(frozen=True)
class Plan:
    tier: str
    tier_version_id: int
    seed: int
    total_marks: int
    stage_count: int
    scenario_ids: tuple[str, ...]
    items: tuple[PlanItem, ...]


def _choices(item: Any) -> tuple[Choice | None, tuple[Choice, ...]]:
    """The keyed answer and a few wrong ones, each scored once by the item type itself."""
    right = answer_for(item, 50.0, Random(0))
    if right is None:
        return None, ()
    right = item.normalise(right)  # stored as a save stores it
    wrong = {}
    for n in range(12):
        answer = item.normalise(answer_for(item, -50.0, Random(n)))
        wrong[json.dumps(answer)] = answer
    return (
        Choice(json.dumps(right), item.score(right)),
        tuple(Choice(text, item.score(answer)) for text, answer in wrong.items()),
    )


def plans_for(session: Any, tier_id: str, how_many: int) -> list[Plan]:
    tier_version = current_tier_version(session, tier_id)
    tier = tier_from_version(tier_version)
    versions = {v.scenario_id: v for v in live_scenario_versions(session, tier_id)}
    scenarios = [scenario_from_version(v) for v in versions.values()]
    ids = {
        (iv.scenario_version_id, iv.item_id): iv.id
        for iv in session.scalars(
            select(ItemVersion).where(
                ItemVersion.scenario_version_id.in_([v.id for v in versions.values()])
            )
        )
    }
    by_item = {item.id: item for scenario in scenarios for item in scenario.items}
    prepared: dict[str, tuple[Choice | None, tuple[Choice, ...]]] = {}
    plans = []
    seed = 0
    while len(plans) < how_many and seed < how_many * 5:
        seed += 1
        try:
            plan = assemble(tier, scenarios, seed)
        except CannotAssemble:
            continue
        items = []
        for position, planned in enumerate(plan.items):
            item = by_item[planned.item_id]
            if item.id not in prepared:
                prepared[item.id] = _choices(item)
            right, wrong = prepared[item.id]
            version = versions[planned.scenario_id]
            items.append(
                PlanItem(
                    position,
                    planned.page,
                    version.id,
                    ids[(version.id, item.id)],
                    json.dumps(dict(planned.state)),
                    item.id,
                    item.area,
                    item.marks,
                    difficulty(item.id),
                    right,
                    wrong,
                    tuple(c.marks for c in getattr(item, "rubric", ()) or ()),
                )
            )
        plans.append(
            Plan(
                tier_id,
                tier_version.id,
                seed,
                plan.total_marks,
                len(plan.pages),
                plan.scenario_ids,
                tuple(items),
            )
        )
    if not plans:
        raise RuntimeError(f"the bundled bank cannot assemble a form of tier {tier_id}")
    return plans


# -- the database ----------------------------------------------------------------------------
def admin_url(base: str) -> str:
    return base.rsplit("/", 1)[0] + "/postgres"


def libpq(url: str) -> str:
    """A SQLAlchemy URL (postgresql+psycopg://...) as psycopg's own connection string."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def create_database(server: str, name: str) -> str:
    with psycopg.connect(libpq(admin_url(server)), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return server.rsplit("/", 1)[0] + f"/{name}"


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(libpq(admin_url(server)), autocommit=True) as connection:
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')


def app_for(url: str, signing_key: str):
    app = create_app(
        {
            "NAAS_ENV": "testing",
            "SECRET_KEY": "scale-bench-" + "s" * 40,
            "NAAS_DATABASE_URL": url,
            "NAAS_SIGNING_KEY": signing_key,
            "NAAS_BASE_URL": "http://localhost",
        }
    )
    return app


class Ids:
    """The next id of each table: the builder owns the sequences of a new database."""

    def __init__(self, connection: psycopg.Connection):
        self.next: dict[str, int] = {}
        for table in Base.metadata.sorted_tables:
            if "id" in table.c and table.c.id.primary_key:
                top = connection.execute(f'SELECT coalesce(max(id), 0) FROM "{table.name}"')
                self.next[table.name] = top.fetchone()[0] + 1

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value

    def settle(self, connection: psycopg.Connection) -> None:
        for table, value in self.next.items():
            connection.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", (table, value)
            )


COLUMNS = {
    "organisations": ("id", "name", "kind", "created_at"),
    "users": (
        "id",
        "email",
        "name",
        "password_hash",
        "active",
        "organisation_id",
        "created_at",
        "session_version",
    ),
    "user_roles": ("user_id", "role"),
    "candidate_profiles": (
        "user_id",
        "registration_number",
        "extra_time_percent",
        "share_profile_with_employer",
    ),
    "endorsements": ("id", "candidate_id", "organisation_id", "tier", "endorsed_by", "created_at"),
    "equality_responses": (
        "id",
        "candidate_id",
        *(q.name for q in QUESTIONS),
        "consent_at",
        "updated_at",
    ),
    "test_forms": (
        "id",
        "tier",
        "tier_version_id",
        "seed",
        "total_marks",
        "stage_count",
        "created_at",
    ),
    "form_items": (
        "id",
        "form_id",
        "position",
        "stage_number",
        "scenario_version_id",
        "item_version_id",
        "state",
    ),
    "sittings": (
        "id",
        "candidate_id",
        "endorsement_id",
        "tier",
        "form_id",
        "status",
        "started_at",
        "deadline",
        "extra_time_percent",
        "current_stage",
        "submitted_at",
        "submitted_by",
        "revision",
    ),
    "responses": ("id", "sitting_id", "form_item_id", "answer", "client_seq", "saved_at"),
    "response_steps": ("id", "response_id", "answer", "client_seq", "saved_at", "source"),
    "results": (
        "id",
        "sitting_id",
        "status",
        "total",
        "max_marks",
        "area_scores",
        "passed",
        "cut_score",
        "cut_basis",
        "computed_at",
        "released_at",
        "released_by",
    ),
    "scripts": (
        "id",
        "reference",
        "kind",
        "tier",
        "item_version_id",
        "response_id",
        "sitting_id",
        "candidate_id",
        "organisation_id",
        "status",
        "queued_at",
        "final_mark",
        "final_source",
        "finalised_at",
    ),
    "marks": (
        "id",
        "script_id",
        "assessor_id",
        "purpose",
        "slot",
        "status",
        "criterion_marks",
        "total",
        "comment",
        "allocated_at",
        "submitted_at",
    ),
    "certificates": (
        "id",
        "number",
        "candidate_id",
        "result_id",
        "tier",
        "tier_title",
        "holder_name",
        "registration_number",
        "issued_on",
        "expires_on",
        "signed_record",
        "signature",
        "created_at",
    ),
    "audit_events": (
        "id",
        "at",
        "actor_id",
        "action",
        "subject_type",
        "subject_id",
        "data",
        "row_mac",
        "mac_kid",
        "seal_seq",
        "sealed_at",
        "prev_hash",
        "hash",
    ),
}


def copy_rows(connection: psycopg.Connection, table: str, rows: Iterable[tuple]) -> int:
    columns = ", ".join(COLUMNS[table])
    count = 0
    with connection.cursor().copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def fraction_text(value: Fraction | None) -> str | None:
    return None if value is None else f"{value.numerator}/{value.denominator}"


def check_references(connection: psycopg.Connection) -> list[str]:
    """Every foreign key of the models, checked over the whole table at once."""
    broken = []
    for table in Base.metadata.sorted_tables:
        for key in table.foreign_keys:
            child, parent = key.parent, key.column
            missing = connection.execute(
                f'SELECT count(*) FROM "{table.name}" c WHERE c."{child.name}" IS NOT NULL '
                f'AND NOT EXISTS (SELECT 1 FROM "{parent.table.name}" p '
                f'WHERE p."{parent.name}" = c."{child.name}")'
            ).fetchone()[0]
            if missing:
                broken.append(f"{table.name}.{child.name}: {missing}")
    return broken


# -- the build -------------------------------------------------------------------------------
class Tables:
    """Rows waiting to be copied, table by table, in an order that satisfies the foreign keys."""

    ORDER = (
        "test_forms",
        "form_items",
        "sittings",
        "responses",
        "response_steps",
        "results",
        "scripts",
        "marks",
        "certificates",
    )

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple]] = {t: [] for t in self.ORDER}
        self.counted: dict[str, int] = {t: 0 for t in self.ORDER}

    def flush(self, connection: psycopg.Connection) -> None:
        with connection.transaction():
            for table in self.ORDER:
                if self.rows[table]:
                    self.counted[table] += copy_rows(connection, table, self.rows[table])
                    self.rows[table] = []


def build(
    server: str,
    name: str,
    scale: float,
    signing_key: str,
    seed: int = 2026,
    progress: Callable[[str], None] = print,
) -> BuildReport:
    """Create database `name` on `server` (a SQLAlchemy URL of any database there) and fill it."""
    counts = Counts.at(scale)
    started = time.perf_counter()
    url = create_database(server, name)
    report = BuildReport(name, url, counts)
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    report.seconds["migrate"] = time.perf_counter() - started
    now = datetime.now(UTC).replace(microsecond=0)
    app = app_for(url, signing_key)
    with app.app_context():
        bank = check_bank(BUNDLED_BANK).bank
        loaded = now - timedelta(days=800)  # before the first sitting
        store_bank(
            db.session, bank, source="bundled bank (scale benchmark)", actor_id=None, now=loaded
        )
        db.session.commit()
        per_tier = -(-counts.sittings // len(TIERS))
        plans = {t: plans_for(db.session, t, min(per_tier, 400)) for t in TIERS}
        tiers = {t: tier_from_version(current_tier_version(db.session, t)) for t in TIERS}
        db.session.close()
    app.extensions["naas.engine"].dispose()
    app.extensions["naas.read_engine"].dispose()
    report.seconds["bank and forms"] = time.perf_counter() - started - report.seconds["migrate"]
    progress(f"  schema at head and bank loaded in {time.perf_counter() - started:.1f} s")

    key = parse_key(signing_key)
    with psycopg.connect(libpq(url)) as connection:
        # Foreign keys are checked once at the end (check_references), not row by row: per row
        # they would cost more than the rest of the build together.
        connection.execute("SET session_replication_role = replica")
        builder = _Builder(connection, counts, plans, tiers, key, Random(seed), now, progress)
        builder.people()
        builder.sittings()
        builder.audit()
        builder.ids.settle(connection)
        connection.commit()
    report.seconds["rows"] = time.perf_counter() - started - sum(report.seconds.values())
    with psycopg.connect(libpq(url)) as connection:
        broken = check_references(connection)
    if broken:
        raise RuntimeError("rows without the row they refer to: " + "; ".join(broken))
    report.seconds["check references"] = (
        time.perf_counter() - started - sum(report.seconds.values())
    )
    with psycopg.connect(libpq(url), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
        report.seconds["analyze"] = time.perf_counter() - started - sum(report.seconds.values())
        report.size_bytes = connection.execute(
            "SELECT pg_database_size(current_database())"
        ).fetchone()[0]
        for table in Base.metadata.sorted_tables:
            report.rows[table.name] = connection.execute(
                f'SELECT count(*) FROM "{table.name}"'
            ).fetchone()[0]
    report.seconds["total"] = time.perf_counter() - started
    report.logins = builder.logins
    return report


class _Builder:
    def __init__(self, connection, counts, plans, tiers, key, rng, now, progress):
        self.connection = connection
        self.counts = counts
        self.plans = plans
        self.tiers = tiers
        self.key = key
        self.rng = rng
        self.now = now
        self.progress = progress
        self.ids = Ids(connection)
        self.events: list[tuple] = []  # (at, actor_id, action, subject_type, subject_id, data)
        self.password_hash = hash_password(PASSWORD)
        self.logins: dict[str, Any] = {"password": PASSWORD}
        self.start = now - timedelta(days=730)  # two years of sittings
        self.span = timedelta(days=700)

    # -- organisations and people ------------------------------------------------------------
    def people(self) -> None:
        c, rng, ids = self.counts, self.rng, self.ids
        created = self.start - timedelta(days=30)
        orgs, users, roles, profiles = [], [], [], []
        self.org_ids = []
        self.employers: dict[int, int] = {}
        for n in range(c.organisations):
            org_id = ids.take("organisations")
            self.org_ids.append(org_id)
            kind = "local_authority" if n % 10 < 8 else ("trust" if n % 10 == 8 else "agency")
            orgs.append((org_id, f"Scale borough {n + 1}", kind, created))

        def person(email, name, org_id, *person_roles) -> int:
            user_id = ids.take("users")
            users.append(
                (user_id, email, name, self.password_hash, True, org_id, created, 1),
            )
            roles.extend((user_id, role) for role in person_roles)
            return user_id

        for n, org_id in enumerate(self.org_ids):
            self.employers[org_id] = person(
                f"employer{n + 1}@scale.test", f"Employer {n + 1}", org_id, "employer"
            )
        self.assessors = [
            person(f"assessor{n + 1}@scale.test", f"Assessor {n + 1}", None, "assessor")
            for n in range(c.assessors)
        ]
        self.moderators = [
            person(
                f"moderator{n + 1}@scale.test",
                f"Moderator {n + 1}",
                None,
                "assessor",
                "moderator",
            )
            for n in range(c.moderators)
        ]
        self.admin = person("admin@scale.test", "Admin", None, "admin")
        # each assessor marks a little harder or softer: marker effects for the fairness report
        self.severity = {a: rng.gauss(0, 0.25) for a in self.assessors + self.moderators}
        self.candidates = []
        self.ability = []
        for n in range(c.candidates):
            org_id = self.org_ids[n % len(self.org_ids)]
            user_id = person(f"c{n + 1}@scale.test", f"Candidate {n + 1}", org_id, "candidate")
            profiles.append((user_id, f"SW{1_000_000 + n}", 0, n % 3 == 0))
            self.candidates.append((user_id, org_id))
            self.ability.append(rng.gauss(ABILITY_MEAN, 1))
        equality = []
        for user_id, _ in self.candidates:
            if rng.random() >= EQUALITY_SHARE:
                continue
            answers = []
            for question in QUESTIONS:
                codes = [code for code, _ in question.choices if code != PREFER_NOT]
                roll = rng.random()
                answers.append(
                    PREFER_NOT if roll < 0.05 else None if roll < 0.08 else rng.choice(codes)
                )
            equality.append((ids.take("equality_responses"), user_id, *answers, created, created))
        # each candidate's endorsements: one per tier they will sit
        endorsements = []
        self.endorsement = {}
        for j in range(c.sittings):
            number, k = j % c.candidates, j // c.candidates
            user_id, org_id = self.candidates[number]
            tier = TIERS[(number + k) % len(TIERS)]
            endorsement_id = ids.take("endorsements")
            self.endorsement[j] = endorsement_id
            endorsements.append(
                (
                    endorsement_id,
                    user_id,
                    org_id,
                    tier,
                    self.employers[org_id],
                    self.sitting_time(j) - timedelta(days=14),
                )
            )
        with self.connection.transaction():
            copy_rows(self.connection, "organisations", orgs)
            copy_rows(self.connection, "users", users)
            copy_rows(self.connection, "user_roles", roles)
            copy_rows(self.connection, "candidate_profiles", profiles)
            copy_rows(self.connection, "equality_responses", equality)
            copy_rows(self.connection, "endorsements", endorsements)
        self.logins.update(
            admin="admin@scale.test",
            employer="employer1@scale.test",
            assessor="assessor1@scale.test",
            moderator="moderator1@scale.test",
        )
        self.progress(
            f"  {len(users)} users, {len(orgs)} organisations, {len(endorsements)} endorsements, "
            f"{len(equality)} equality answers"
        )

    def sitting_time(self, j: int) -> datetime:
        return self.start + self.span * (j / max(self.counts.sittings, 1))

    # -- sittings, responses, marking, results, certificates -----------------------------------
    def sittings(self) -> None:
        c = self.counts
        tables = Tables()
        pending_from = c.sittings - max(1, round(c.sittings * PENDING_SHARE))
        self.passes_released = self.fails_released = 0
        references: set[str] = set()
        for j in range(c.sittings):
            self._sitting(j, j >= pending_from, tables, references)
            if (j + 1) % CHUNK == 0:
                tables.flush(self.connection)
                if (j + 1) % (CHUNK * 5) == 0:
                    self.progress(f"  {j + 1} of {c.sittings} sittings")
        tables.flush(self.connection)
        self.copied = tables.counted
        if self.passes_released + self.fails_released < c.released:
            self.progress(
                f"  note: only {self.passes_released + self.fails_released} results could be "
                f"released ({self.passes_released} passes) of the {c.released} asked"
            )

    def _sitting(self, j: int, pending: bool, tables: Tables, references: set[str]) -> None:
        c, rng, ids = self.counts, self.rng, self.ids
        number, k = j % c.candidates, j // c.candidates
        candidate_id, org_id = self.candidates[number]
        theta = self.ability[number] + 0.2 * k  # a later tier's sitting comes with experience
        tier_id = TIERS[(number + k) % len(TIERS)]
        tier = self.tiers[tier_id]
        plan = rng.choice(self.plans[tier_id])
        started = self.sitting_time(j)
        limit = timedelta(minutes=tier.time_limit_minutes)
        submitted = started + limit * rng.uniform(0.6, 0.98)
        form_id, sitting_id = ids.take("test_forms"), ids.take("sittings")
        tables.rows["test_forms"].append(
            (form_id, tier_id, plan.tier_version_id, plan.seed, plan.total_marks,
             plan.stage_count, started)
        )  # fmt: skip
        tables.rows["sittings"].append(
            (sitting_id, candidate_id, self.endorsement[j], tier_id, form_id, "submitted",
             started, started + limit, 0, plan.stage_count - 1, submitted, "candidate",
             plan.stage_count + 1)
        )  # fmt: skip
        self.event(started, candidate_id, "sitting.start", "sitting", sitting_id,
                   {"tier": tier_id, "seed": plan.seed, "scenarios": list(plan.scenario_ids),
                    "deadline": (started + limit).isoformat(), "extra_time_percent": 0})  # fmt: skip
        scored, areas, answered, pending_count = [], {}, 0, 0
        marked_on = submitted + timedelta(days=rng.uniform(2, 10))
        for entry in plan.items:
            form_item_id, response_id = ids.take("form_items"), ids.take("responses")
            tables.rows["form_items"].append(
                (form_item_id, form_id, entry.position, entry.page, entry.scenario_version_id,
                 entry.item_version_id, entry.state_json)
            )  # fmt: skip
            saved = started + (submitted - started) * ((entry.position + 1) / len(plan.items))
            p = 1 / (1 + math.exp(-1.2 * (theta - entry.b)))
            if rng.random() < UNANSWERED:
                answer, value = None, Fraction(0)
            elif entry.right is None:  # written
                answer = json.dumps(
                    f"A simulated written answer to {entry.item_id} (ability {theta:+.2f}). "
                    "It names the risks, the child's voice and the next steps, and says why."
                )
                value = self._script(
                    entry, p, tier_id, response_id, sitting_id, candidate_id, org_id,
                    submitted, marked_on, pending, tables, references,
                )  # fmt: skip
                if value is None:
                    pending_count += 1
            else:
                choice = entry.right if rng.random() < p else rng.choice(entry.wrong)
                answer, value = choice.answer_json, choice.score
            tables.rows["responses"].append(
                (response_id, sitting_id, form_item_id, answer, 1 if answer else 0,
                 saved if answer else started)
            )  # fmt: skip
            if answer is not None:
                answered += 1
                tables.rows["response_steps"].append(
                    (ids.take("response_steps"), response_id, answer, 1, saved, "autosave")
                )
            if value is None:
                scored.append(ScoredItem(entry.area, entry.marks, None))
            else:
                marks, score = areas.get(entry.area, (0, 0))
                areas[entry.area] = (marks + entry.marks, score + value)
        objective = sum((score for _, score in areas.values()), Fraction(0))
        # The engine decides, given each area's scored items summed into one (the same
        # totals, cut and floors as item by item, at a sixth of the cost); pending items apart.
        scored.extend(ScoredItem(area, m, Fraction(v)) for area, (m, v) in areas.items())
        result = outcome(
            scored, tier.pass_mark_percent, tier.domain_floor_percent, tier.domain_floor_min_marks
        )
        self.event(submitted, candidate_id, "sitting.submit", "sitting", sitting_id,
                   {"by": "candidate", "answered": answered, "items": len(plan.items),
                    "objective_score": str(objective), "pending": pending_count})  # fmt: skip
        release = None
        if result.passed is not None and self.passes_released + self.fails_released < c.released:
            if result.passed and self.passes_released < c.certificates:
                self.passes_released += 1
                release = marked_on + timedelta(days=7)
            elif not result.passed and self.fails_released < c.released - c.certificates:
                self.fails_released += 1
                release = marked_on + timedelta(days=7)
        result_id = ids.take("results")
        tables.rows["results"].append(
            (result_id, sitting_id, "final" if result.passed is not None else "awaiting_marking",
             fraction_text(result.total), result.max_marks,
             json.dumps(area_scores_json(result)), result.passed, fraction_text(result.cut),
             result.cut_basis, marked_on if result.passed is not None else submitted,
             release, self.admin if release else None)
        )  # fmt: skip
        if release is None:
            return
        self.event(release, self.admin, "result.release", "result", result_id,
                   {"passed": result.passed, "total": str(result.total),
                    "max_marks": result.max_marks})  # fmt: skip
        if result.passed:
            self._certificate(result_id, candidate_id, number, tier, release, tables)

    def _script(self, entry, p, tier_id, response_id, sitting_id, candidate_id, org_id,
                submitted, marked_on, pending, tables, references):  # fmt: skip
        """A written answer's script and its marks; its final mark, or None while it is marked."""
        rng, ids = self.rng, self.ids
        script_id = ids.take("scripts")
        reference = f"S-{rng.getrandbits(40):010X}"  # opaque, as marking's own references are
        while reference in references:
            reference = f"S-{rng.getrandbits(40):010X}"
        references.add(reference)
        stage = rng.random() if pending else 1.0  # how far marking has got
        first, second = rng.sample(self.assessors + self.moderators, 2)
        marks = []
        if stage > 0.4:
            marks.append(("first", 1, first))
        if stage > 0.7:
            marks.append(("second", 2, second))
        totals = []
        for purpose, slot, assessor in marks:
            criteria = [
                min(m, max(0, round(m * p + self.severity[assessor] + rng.uniform(-0.6, 0.6))))
                for m in entry.rubric
            ]
            totals.append(Fraction(sum(criteria)))
            tables.rows["marks"].append(
                (ids.take("marks"), script_id, assessor, purpose, slot, "submitted",
                 json.dumps(criteria), fraction_text(totals[-1]),
                 "Simulated marking (scale benchmark).", submitted, marked_on)
            )  # fmt: skip
        status, final, source = "marking", None, None
        if len(totals) == 2:
            if abs(totals[0] - totals[1]) <= TOLERANCE:
                status, final, source = "final", (totals[0] + totals[1]) / 2, "agreed"
            elif stage > 0.9:
                moderator = rng.choice(self.moderators)
                criteria = [min(m, max(0, round(m * p))) for m in entry.rubric]
                final = Fraction(sum(criteria))
                tables.rows["marks"].append(
                    (ids.take("marks"), script_id, moderator, "moderation", 3, "submitted",
                     json.dumps(criteria), fraction_text(final), "Moderated (scale benchmark).",
                     marked_on, marked_on)
                )  # fmt: skip
                status, source = "final", "moderated"
            else:
                status = "moderation"
        if status != "final":
            final = None
        tables.rows["scripts"].append(
            (script_id, reference, "candidate", tier_id, entry.item_version_id, response_id,
             sitting_id, candidate_id, org_id, status, submitted, fraction_text(final), source,
             marked_on if final is not None else None)
        )  # fmt: skip
        if final is not None:
            self.event(marked_on, None, "marking.final", "script", reference,
                       {"final_mark": str(final), "source": source})  # fmt: skip
        return final

    def _certificate(self, result_id, candidate_id, number, tier, released, tables) -> None:
        issued_on = uk_date(released)
        facts = SimpleNamespace(
            number=new_number(),
            holder_name=f"Candidate {number + 1}",
            registration_number=f"SW{1_000_000 + number}",
            tier=tier.id,
            tier_title=tier.title,
            issued_on=issued_on,
            expires_on=add_years(issued_on, tier.validity_years),
        )
        record, signature = sign_record(self.key, facts)
        tables.rows["certificates"].append(
            (self.ids.take("certificates"), facts.number, candidate_id, result_id, tier.id,
             tier.title, facts.holder_name, facts.registration_number, issued_on,
             facts.expires_on, record, signature, released)
        )  # fmt: skip
        self.logins.setdefault("certificate", facts.number)
        self.logins.setdefault("candidate", f"c{number + 1}@scale.test")
        self.event(released, self.admin, "certificate.issue", "certificate", facts.number,
                   {"result_id": result_id, "candidate_id": candidate_id, "tier": tier.id,
                    "issued_on": issued_on.isoformat(), "expires_on": facts.expires_on.isoformat(),
                    "kid": self.key.kid})  # fmt: skip

    # -- the audit log, chained in time order --------------------------------------------------
    def event(self, at, actor_id, action, subject_type, subject_id, data) -> None:
        self.events.append((at, actor_id, action, subject_type, str(subject_id), data))

    def audit(self) -> None:
        """Written as `audit.record` writes them (each with its MAC) and sealed into the chain
        as the sealer would, after the records already sealed; the bank's load records, not
        yet sealed, join the chain when the sealer next runs."""
        self.events.sort(key=lambda e: e[0])
        key, kid = mac_key_from(self.key)
        head = self.connection.execute(
            "SELECT seal_seq, hash FROM audit_events WHERE seal_seq IS NOT NULL "
            "ORDER BY seal_seq DESC LIMIT 1"
        ).fetchone()
        seq, previous = head if head else (0, GENESIS)
        sealed_at = datetime.now(UTC)

        def rows():
            nonlocal seq, previous
            for at, actor_id, action, subject_type, subject_id, data in self.events:
                seq += 1
                event = SimpleNamespace(
                    id=self.ids.take("audit_events"), at=at, actor_id=actor_id, action=action,
                    subject_type=subject_type, subject_id=subject_id,
                    data=json.loads(json.dumps(data, default=str)), mac_kid=kid, seal_seq=seq,
                    prev_hash=previous,
                )  # fmt: skip
                event.row_mac = row_mac(key, event)
                event.hash = chain_hash(event)
                yield (event.id, at, actor_id, action, subject_type, subject_id,
                       json.dumps(event.data), event.row_mac, kid, seq, sealed_at, previous,
                       event.hash)  # fmt: skip
                previous = event.hash

        with self.connection.transaction():
            copy_rows(self.connection, "audit_events", rows())
        self.progress(f"  {len(self.events)} audit records, chained")
