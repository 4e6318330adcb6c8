"""`naas stats items`: compute and keep a tier's item analysis and reliability."""

from __future__ import annotations

from pathlib import Path

import click

from naas import db
from naas.cli import add_command, require_tier, with_app
from naas.db import utcnow

from . import services
from .data import SCOPES


@click.group("stats", help="Item statistics, reliability and fairness.")
def stats_group() -> None:
    pass


@stats_group.command(
    "items",
    help="Compute a tier's item analysis and reliability, keep it for the admin pages, "
    "and print the flagged items.",
)
@click.option("--tier", required=True)
@click.option(
    "--scope",
    type=click.Choice(SCOPES),
    default="released",
    show_default=True,
    help="released results only, or every submitted sitting",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, writable=True),
    help="also write the item table to this CSV file",
)
@with_app()
def stats_items(tier: str, scope: str, csv_path: str | None) -> None:
    require_tier(tier)
    run = services.compute(db.session, tier, scope, actor_id=None, now=utcnow())
    db.session.commit()
    payload = run.payload
    click.echo(
        f"{tier}: {run.sittings} sitting(s), {run.responses} response(s), {len(payload['items'])} item "
        f"version(s); computed in {run.seconds:.2f} s"
    )
    reliability = payload["tier"]
    if reliability["too_few"]:
        click.echo(
            f"  reliability: too few sittings (at least {payload['min_sittings']} are needed)"
        )
    else:
        alpha = "n/a" if reliability["alpha"] is None else f"{reliability['alpha']:.3f}"
        error = "n/a" if reliability["sem"] is None else f"{reliability['sem']:.2f} marks"
        click.echo(
            f"  alpha (a form of {reliability['items_per_form']:.0f} items): {alpha}; SEM: {error}"
        )
    flagged = services.flagged(run)
    too_few = sum(1 for entry in payload["items"].values() if entry["too_few"])
    if too_few:
        click.echo(f"  {too_few} item version(s): too few sittings for figures")
    for entry in flagged:
        click.echo(f"  {entry['info']['key']}: " + "; ".join(entry["flags"]))
    click.echo(f"  {len(flagged)} item version(s) flagged")
    if csv_path:
        Path(csv_path).write_text(services.to_csv(run))
        click.echo(f"  item table written to {csv_path}")


add_command(stats_group)
