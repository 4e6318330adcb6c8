"""`store_bank`: every new version stored, nothing changed without a version bump."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from naas import audit
from naas.bank import check_bank
from naas.bank_store import BankConflict, live_scenario_versions, store_bank
from naas.db import utcnow
from naas.models import AuditEvent, ItemVersion, ScenarioVersion, TierVersion

from .builders import scenario, write_bank


def load(session, root):
    result = check_bank(root)
    assert result.ok, result.problems
    report = store_bank(session, result.bank, source=str(root), actor_id=None, now=utcnow())
    session.commit()
    return report


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_loading_stores_each_scenario_and_item_version_with_hashes(session, tmp_path):
    report = load(
        session, write_bank(tmp_path / "b", scenarios=[scenario("p-one"), scenario("p-two")])
    )
    assert sorted(report.scenarios_added) == ["p-one v1", "p-two v1"]
    assert count(session, ScenarioVersion) == 2 and count(session, ItemVersion) == 8
    item = session.scalar(select(ItemVersion).where(ItemVersion.item_id == "p-one-2"))
    assert (item.type, item.area, item.marks, item.version) == ("multiple", "P2", 2, 1)
    assert len(item.content_hash) == 64
    assert count(session, TierVersion) == 1


def test_loading_the_same_bank_again_adds_nothing(session, tmp_path):
    root = write_bank(tmp_path / "b")
    load(session, root)
    report = load(session, root)
    assert report.scenarios_added == [] and report.unchanged == 1 and report.tiers_updated == []
    assert count(session, ScenarioVersion) == 1


def test_an_item_changed_without_a_version_bump_is_refused_by_name_and_nothing_is_stored(
    session, tmp_path
):
    load(session, write_bank(tmp_path / "b"))
    changed = scenario("p-one")
    changed["stages"][0]["items"][0]["key"] = "b"
    result = check_bank(write_bank(tmp_path / "c", scenarios=[changed, scenario("p-new")]))
    with pytest.raises(BankConflict) as caught:
        store_bank(session, result.bank, source="c", actor_id=None, now=utcnow())
    session.rollback()
    assert caught.value.problems == [
        "item 'p-one-1' changed but scenario 'p-one' is still version 1: bump its version"
    ]
    assert count(session, ScenarioVersion) == 1  # p-new was not stored either


def test_a_changed_narrative_counts_as_a_change_to_its_items(session, tmp_path):
    load(session, write_bank(tmp_path / "b"))
    changed = scenario("p-one")
    changed["stages"][1]["narrative"] = "You visit, and the father is at home."
    with pytest.raises(BankConflict, match="p-one-4"):
        store_bank(
            session,
            check_bank(write_bank(tmp_path / "c", scenarios=[changed])).bank,
            source="c",
            actor_id=None,
            now=utcnow(),
        )


def test_a_version_bump_stores_the_new_version_and_keeps_the_old(session, tmp_path):
    load(session, write_bank(tmp_path / "b"))
    changed = scenario("p-one", version=2)
    changed["stages"][0]["items"][0]["key"] = "b"
    report = load(session, write_bank(tmp_path / "c", scenarios=[changed]))
    assert report.scenarios_added == ["p-one v2"]
    versions = session.scalars(select(ScenarioVersion).order_by(ScenarioVersion.version)).all()
    assert [(v.version, v.status) for v in versions] == [(1, "retired"), (2, "live")]
    assert [v.version for v in live_scenario_versions(session, "practitioner")] == [2]


def test_a_status_change_needs_no_version_bump(session, tmp_path):
    load(session, write_bank(tmp_path / "b"))
    report = load(
        session,
        write_bank(
            tmp_path / "c", scenarios=[scenario("p-one", status="retired"), scenario("p-two")]
        ),
    )
    assert report.status_changes == ["p-one v1: live -> retired"]


def test_versions_only_go_up(session, tmp_path):
    load(session, write_bank(tmp_path / "b", scenarios=[scenario("p-one", version=3)]))
    older = scenario("p-one", version=2)
    older["title"] = "Renamed"
    with pytest.raises(BankConflict, match="versions only go up"):
        store_bank(
            session,
            check_bank(write_bank(tmp_path / "c", scenarios=[older])).bank,
            source="c",
            actor_id=None,
            now=utcnow(),
        )


def test_a_load_is_audited(session, tmp_path):
    load(session, write_bank(tmp_path / "b"))
    session.commit()
    (event,) = session.scalars(select(AuditEvent)).all()
    assert event.action == "bank.load"
    assert event.row_mac == audit.row_mac(audit.mac_key(session)[0], event)


def tiers_with_pass_mark(percent):
    from .builders import TIERS

    return {"tiers": [dict(TIERS["tiers"][0], pass_mark_percent=percent)]}


def test_going_back_to_an_earlier_tier_definition_makes_that_version_current_again(
    session, tmp_path
):
    from naas.bank_store import current_tier_version

    first = load(session, write_bank(tmp_path / "a", tiers=tiers_with_pass_mark(60)))
    load(session, write_bank(tmp_path / "b", tiers=tiers_with_pass_mark(65)))
    sixty = session.scalar(select(TierVersion).where(TierVersion.id == 1))
    report = load(session, write_bank(tmp_path / "c", tiers=tiers_with_pass_mark(60)))
    assert first.tiers_updated == ["practitioner"]
    assert (report.tiers_updated, report.tiers_restored) == ([], ["practitioner"])
    assert count(session, TierVersion) == 2
    assert current_tier_version(session, "practitioner").id == sixty.id
    assert current_tier_version(session, "practitioner").spec["pass_mark_percent"] == 60
    report = load(session, write_bank(tmp_path / "d", tiers=tiers_with_pass_mark(65)))
    assert report.tiers_restored == ["practitioner"]
    assert current_tier_version(session, "practitioner").spec["pass_mark_percent"] == 65


def test_an_earlier_definition_is_current_again_even_if_the_clock_has_not_moved(session, tmp_path):
    from naas.bank_store import current_tier_version

    now = utcnow()
    for percent in (60, 65, 60):
        bank = check_bank(
            write_bank(tmp_path / str(percent), tiers=tiers_with_pass_mark(percent))
        ).bank
        store_bank(session, bank, source="same instant", actor_id=None, now=now)
        session.commit()
    assert current_tier_version(session, "practitioner").spec["pass_mark_percent"] == 60


def test_an_item_moved_into_another_scenario_at_the_same_version_is_refused_by_name(
    session, tmp_path
):
    load(session, write_bank(tmp_path / "b", scenarios=[scenario("p-one")]))
    moved = scenario("p-two")
    moved["stages"][0]["items"][0]["id"] = "p-one-1"
    kept = scenario("p-one", version=2)
    kept["stages"][0]["items"][0]["id"] = "p-one-9"
    result = check_bank(write_bank(tmp_path / "c", scenarios=[kept, moved]))
    assert result.ok, result.problems
    with pytest.raises(BankConflict) as caught:
        store_bank(session, result.bank, source="c", actor_id=None, now=utcnow())
    session.rollback()
    assert caught.value.problems == [
        "item 'p-one-1' is already stored as version 1 of scenario 'p-one', so it cannot be version 1 of "
        "scenario 'p-two': give it a new id"
    ]
    assert count(session, ScenarioVersion) == 1
