"""The bank as stored in the database: every version of every item ever loaded.

Loading is all or nothing: an item whose content changed while its scenario kept the same
version number, or that is already stored at that version as part of another scenario, is
refused by name, and nothing of that load is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from naas import audit
from naas.bank import Bank, Scenario, Tier, content_hash
from naas.models import BankLoad, ItemVersion, ScenarioVersion, TierVersion


class BankConflict(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class LoadReport:
    load_id: int
    scenarios_added: list[str] = field(default_factory=list)
    items_added: int = 0
    unchanged: int = 0
    status_changes: list[str] = field(default_factory=list)
    tiers_updated: list[str] = field(default_factory=list)
    tiers_restored: list[str] = field(default_factory=list)  # back to a definition stored before


def store_bank(
    session: Session,
    bank: Bank,
    *,
    source: str,
    actor_id: int | None,
    now: datetime,
    detail: dict[str, str] | None = None,
) -> LoadReport:
    """Store every new tier definition and scenario version of a checked bank. `detail` goes
    into the audit record (a command says where it came from: it has no acting user)."""
    problems = []
    stored = {
        (sv.scenario_id, sv.version): sv
        for sv in session.scalars(
            select(ScenarioVersion).where(
                ScenarioVersion.scenario_id.in_([s.id for s in bank.scenarios])
            )
        )
    }
    latest: dict[str, int] = {}
    for scenario_id, version in stored:
        latest[scenario_id] = max(latest.get(scenario_id, 0), version)
    for scenario in bank.scenarios:
        existing = stored.get((scenario.id, scenario.version))
        if existing is not None and existing.content_hash != scenario.content_hash:
            problems += _changed_without_bump(scenario, existing)
        elif existing is None and scenario.version < latest.get(scenario.id, 0):
            problems.append(
                f"scenario '{scenario.id}' is version {scenario.version} but version "
                f"{latest[scenario.id]} is already stored: versions only go up"
            )
    problems += _items_of_other_scenarios(
        session, [s for s in bank.scenarios if (s.id, s.version) not in stored]
    )
    if problems:
        raise BankConflict(problems)

    load = BankLoad(loaded_at=now, loaded_by=actor_id, source=source)
    session.add(load)
    session.flush()
    report = LoadReport(load.id)
    for tier in bank.tiers.values():
        change = _store_tier(session, tier, load, now)
        if change == "stored":
            report.tiers_updated.append(tier.id)
        elif change == "restored":
            report.tiers_restored.append(tier.id)
    for scenario in bank.scenarios:
        existing = stored.get((scenario.id, scenario.version))
        if existing is None:
            report.items_added += _store_scenario(session, scenario, load, now)
            report.scenarios_added.append(f"{scenario.id} v{scenario.version}")
        elif existing.status != scenario.status:
            report.status_changes.append(
                f"{scenario.id} v{scenario.version}: {existing.status} -> {scenario.status}"
            )
            existing.status = scenario.status
        else:
            report.unchanged += 1
        if scenario.status == "live":
            _retire_older(session, scenario, report)
    load.scenarios_added = len(report.scenarios_added)
    load.items_added = report.items_added
    audit.record(
        session,
        action="bank.load",
        subject_type="bank_load",
        subject_id=load.id,
        actor_id=actor_id,
        now=now,
        data={
            "source": source,
            "scenarios_added": report.scenarios_added,
            "status_changes": report.status_changes,
            "tiers_updated": report.tiers_updated,
            "tiers_restored": report.tiers_restored,
            **(detail or {}),
        },
    )
    session.flush()
    return report


def _changed_without_bump(scenario: Scenario, existing: ScenarioVersion) -> list[str]:
    old = {iv.item_id: iv.content_hash for iv in existing.items}
    changed = [
        item_id for item_id, digest in scenario.item_hashes().items() if old.get(item_id) != digest
    ]
    removed = [item_id for item_id in old if item_id not in scenario.item_hashes()]
    if changed or removed:
        return [
            f"item '{item_id}' changed but scenario '{scenario.id}' is still version {scenario.version}: "
            f"bump its version"
            for item_id in changed + removed
        ]
    return [
        f"scenario '{scenario.id}' changed (title, summary or stages) but is still version "
        f"{scenario.version}: bump its version"
    ]


def _items_of_other_scenarios(session: Session, scenarios: list[Scenario]) -> list[str]:
    """An item version belongs to one scenario: an item id moved into another scenario
    cannot take a version number it already has there."""
    wanted = {item.id: scenario for scenario in scenarios for item in scenario.items}
    if not wanted:
        return []
    rows = session.execute(
        select(ItemVersion.item_id, ItemVersion.version, ScenarioVersion.scenario_id)
        .join(ScenarioVersion, ItemVersion.scenario_version_id == ScenarioVersion.id)
        .where(ItemVersion.item_id.in_(list(wanted)))
        .order_by(ItemVersion.item_id)
    )
    return [
        f"item '{item_id}' is already stored as version {version} of scenario '{owner}', so it cannot be "
        f"version {version} of scenario '{wanted[item_id].id}': give it a new id"
        for item_id, version, owner in rows
        if version == wanted[item_id].version and owner != wanted[item_id].id
    ]


def _store_tier(session: Session, tier: Tier, load: BankLoad, now: datetime) -> str | None:
    """Make the tier's definition current: "stored" if it is new, "restored" if an earlier
    version had it (that version becomes current again), None if it is already current."""
    digest = content_hash(tier.spec)
    current = current_tier_version(session, tier.id)
    if current is not None and current.content_hash == digest:
        return None
    # strictly after the current one, even if the clock has not moved on (or went back)
    since = (
        now
        if current is None or now > current.current_since
        else current.current_since + timedelta(microseconds=1)
    )
    earlier = session.scalar(
        select(TierVersion).where(TierVersion.tier == tier.id, TierVersion.content_hash == digest)
    )
    if earlier is not None:
        earlier.current_since = since
        session.flush()
        return "restored"
    session.add(
        TierVersion(
            tier=tier.id,
            content_hash=digest,
            spec=dict(tier.spec),
            load_id=load.id,
            created_at=now,
            current_since=since,
        )
    )
    session.flush()
    return "stored"


def _store_scenario(session: Session, scenario: Scenario, load: BankLoad, now: datetime) -> int:
    version = ScenarioVersion(
        scenario_id=scenario.id,
        version=scenario.version,
        tier=scenario.tier,
        status=scenario.status,
        title=scenario.title,
        content_hash=scenario.content_hash,
        spec=dict(scenario.spec),
        load_id=load.id,
        loaded_at=now,
    )
    session.add(version)
    hashes = scenario.item_hashes()
    position = 0
    for stage_index, stage in enumerate(scenario.stages):
        for item in stage.items:
            session.add(
                ItemVersion(
                    item_id=item.id,
                    version=scenario.version,
                    scenario_version=version,
                    stage_index=stage_index,
                    position=position,
                    tier=scenario.tier,
                    area=item.area,
                    type=item.name,
                    marks=item.marks,
                    content_hash=hashes[item.id],
                )
            )
            position += 1
    return position


def _retire_older(session: Session, scenario: Scenario, report: LoadReport) -> None:
    """Only the newest live version of a scenario is drawn for new forms."""
    older = session.scalars(
        select(ScenarioVersion).where(
            ScenarioVersion.scenario_id == scenario.id,
            ScenarioVersion.version < scenario.version,
            ScenarioVersion.status == "live",
        )
    )
    for version in older:
        version.status = "retired"
        report.status_changes.append(
            f"{scenario.id} v{version.version}: live -> retired (superseded)"
        )


TIER_ORDER = ("practitioner", "supervisor", "leader")


def loaded_tiers(session: Session) -> list[str]:
    """The tiers the database holds, in their order (practitioner, supervisor, leader)."""
    known = set(session.scalars(select(TierVersion.tier)))
    return sorted(
        known, key=lambda t: (TIER_ORDER.index(t) if t in TIER_ORDER else len(TIER_ORDER), t)
    )


def current_tier_version(session: Session, tier: str) -> TierVersion | None:
    """The version of the tier's definition that new forms are assembled under."""
    return session.scalar(
        select(TierVersion)
        .where(TierVersion.tier == tier)
        .order_by(TierVersion.current_since.desc(), TierVersion.id.desc())
        .limit(1)
    )


def tier_from_version(version: TierVersion) -> Tier:
    key = (version.id, version.content_hash)
    tier = _TIERS.get(key)
    if tier is None:
        tier = Tier.from_spec(version.spec)
        if len(_TIERS) < _CACHE_LIMIT:
            _TIERS[key] = tier
    return tier


# Stored versions never change (but for status, which a Scenario does not carry into
# scoring), so each process builds each one once. Keyed by content hash as well as id, so
# that two databases in one process (tests) can never share a wrong entry.
_SCENARIOS: dict[tuple[int, str], Scenario] = {}
_TIERS: dict[tuple[int, str], Tier] = {}
_CACHE_LIMIT = 5000


def scenario_from_version(version: ScenarioVersion) -> Scenario:
    key = (version.id, version.content_hash)
    scenario = _SCENARIOS.get(key)
    if scenario is None:
        scenario = Scenario.from_spec(version.spec)
        if len(_SCENARIOS) < _CACHE_LIMIT:
            _SCENARIOS[key] = scenario
    return scenario


def live_scenario_versions(session: Session, tier: str) -> list[ScenarioVersion]:
    return list(
        session.scalars(
            select(ScenarioVersion)
            .where(ScenarioVersion.tier == tier, ScenarioVersion.status == "live")
            .order_by(ScenarioVersion.scenario_id)
        )
    )
