"""`naas stats fairness`: compute and keep a tier's fairness report."""

from __future__ import annotations

import click

from naas import db
from naas.cli import require_tier, with_app
from naas.db import utcnow
from naas.statistics.commands import stats_group
from naas.statistics.data import SCOPES

from . import services


@stats_group.command(
    "fairness",
    help="Compute a tier's fairness report (outcomes by group, DIF, marker effects), "
    "keep it for the admin pages, and print the flagged items.",
)
@click.option("--tier", required=True)
@click.option(
    "--scope",
    type=click.Choice(SCOPES),
    default="released",
    show_default=True,
    help="released results only, or every submitted sitting",
)
@with_app()
def stats_fairness(tier: str, scope: str) -> None:
    require_tier(tier)
    run = services.compute(db.session, tier, scope, actor_id=None, now=utcnow())
    db.session.commit()
    payload = run.payload
    click.echo(
        f"{tier}: {run.sittings} {scope} sitting(s), {payload['with_answers']} with equality answers, "
        f"{len(payload['items'])} item version(s); computed in {run.seconds:.2f} s"
    )
    for comparison in payload["comparisons"]:
        sizes = [
            "fewer than 10" if n is None else str(n)
            for n in (comparison["n_reference"], comparison["n_focal"])
        ]
        click.echo(f"  {comparison['label']}: {sizes[0]} and {sizes[1]}")
    flagged = [entry for entry in payload["items"].values() if entry["flagged"]]
    watched = [entry for entry in payload["items"].values() if entry["watch"]]
    for entry in flagged + watched:
        click.echo(f"  {entry['info']['key']}: {entry['reason']}")
    click.echo(f"  {len(flagged)} item version(s) flagged, {len(watched)} to watch")
