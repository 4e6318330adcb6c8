"""`naas stats items`: computes, keeps and prints; bad input is one clear line."""

from __future__ import annotations

import csv

from sqlalchemy import func, select

from naas.models import StatisticsRun


def test_stats_items_keeps_a_run_prints_the_figures_and_writes_the_csv(
    runner, session, cohort, tmp_path
):
    path = tmp_path / "items.csv"
    result = runner.invoke(args=["stats", "items", "--tier", "practitioner", "--csv", str(path)])
    assert result.exit_code == 0, result.output
    assert "practitioner: 60 sitting(s)" in result.output and "alpha (a form of" in result.output
    assert (
        "item version(s) flagged" in result.output
        and f"item table written to {path}" in result.output
    )
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 16 and {r["scenario"] for r in rows} == {
        "p-case-a",
        "p-case-b",
        "p-case-c",
        "p-case-d",
    }
    assert session.scalar(select(func.count(StatisticsRun.id))) == 1


def test_stats_items_on_too_few_sittings_says_so(runner, loaded):
    result = runner.invoke(
        args=["stats", "items", "--tier", "practitioner", "--scope", "submitted"]
    )
    assert result.exit_code == 0
    assert "reliability: too few sittings (at least 30 are needed)" in result.output


def test_stats_items_refuses_an_unknown_tier_and_scope(runner, loaded, session):
    result = runner.invoke(args=["stats", "items", "--tier", "wizard"])
    assert (
        result.exit_code == 1
        and "Error: unknown tier 'wizard'; tiers: practitioner" in result.output
    )
    result = runner.invoke(
        args=["stats", "items", "--tier", "practitioner", "--scope", "everything"]
    )
    assert result.exit_code == 2 and "'everything' is not one of" in result.output
    assert session.scalar(select(func.count(StatisticsRun.id))) == 0
