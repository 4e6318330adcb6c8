"""The audit log's background work: sealing every few seconds, verifying every hour."""

from __future__ import annotations

import logging

from flask import current_app

from naas.jobs import JobRefused, NothingToDo, kind
from naas.jobs.core import Context

from .services import run_verification, seal

log = logging.getLogger("naas.audit")


@kind("seal_audit", title="Seal new audit records into the chain", max_attempts=3)
def seal_audit(context: Context) -> str:
    outcome = seal(context.session, context.now())
    if not outcome.sealed and outcome.checkpoint is None:
        raise NothingToDo("no audit record was waiting to be sealed")
    signed = f"; signed the head at seal {outcome.head}" if outcome.checkpoint else ""
    return f"Sealed {outcome.sealed} audit record(s){signed}."


@kind("verify_audit", title="Verify the audit log", max_attempts=1)
def verify_audit(context: Context) -> str:
    """A failure is a security incident, not a hiccup: the job fails at once with the first
    problem (no retries), the log says each at ERROR, and the failed-jobs metric alerts."""
    report = run_verification(context.session, current_app.config)
    if not report.ok:
        for problem in report.problems:
            log.error("audit log verification: %s", problem)
        more = len(report.problems) - 1
        raise JobRefused(
            f"The audit log failed verification: {report.problems[0]}"
            + (f" (and {more} more problem(s); run `naas audit verify`)" if more else "")
        )
    return f"The audit log verifies: {report.summary()}."
