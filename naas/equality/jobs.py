"""The fairness report as a background job (naas/jobs): kept here, with the only code that may
read the equality answers."""

from __future__ import annotations

from naas.jobs import JobRefused, NothingToDo, kind
from naas.jobs.core import Context

from . import services


@kind("compute_fairness", title="Compute the fairness report", max_attempts=2)
def compute_fairness(context: Context) -> str:
    tier, scope = context.payload.get("tier"), context.payload.get("scope", "released")
    if not isinstance(tier, str):
        raise NothingToDo("no tier was given")
    try:
        run = services.compute(context.session, tier, scope, context.actor_id, context.now())
    except ValueError as exc:  # e.g. an unknown tier or scope: say so, do not retry
        raise JobRefused(str(exc)) from exc
    context.session.commit()
    return f"Computed the fairness report for {tier} ({scope}) from {run.sittings} sitting(s)."
