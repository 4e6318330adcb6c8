"""The service's background work. Each handler is idempotent and commits in steps, so that a job
taken up again after its worker died carries on where the last step left off (naas/jobs/core.py).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from naas.models import Result, Sitting

from .core import Context, JobRefused, NothingToDo, kind
from .scheduler import every


@kind("expire_sittings", title="Submit sittings whose time has run out", max_attempts=3)
def expire_sittings(context: Context) -> str:
    from naas.sitting import services

    session, now = context.session, context.now()
    overdue = services.overdue_sittings(session, now)
    context.progress(0, len(overdue))
    expired = 0
    for done, sitting in enumerate(overdue, 1):
        # one sitting per transaction: one submitted meanwhile by its candidate is simply skipped
        expired += services.submit_if_overdue(session, sitting, now)
        session.commit()
        if done % 50 == 0:
            context.progress(done)
    return f"Submitted {expired} sitting(s) whose time had run out."


@kind("release_results", title="Release results", max_attempts=5)
def release_results(context: Context) -> str:
    """Release a tier's final results in steps of NAAS_RELEASE_CHUNK, each step committed with
    its audit records, notices and certificates: no step holds locks for long, the admin's page
    shows progress, and a worker that dies leaves a release that the next delivery finishes."""
    from naas.marking.services import MarkingRefused, refuse_release_while_marking, release_some

    session, tier = context.session, context.payload.get("tier")
    if not isinstance(tier, str):
        raise NothingToDo("no tier was given")
    try:
        refuse_release_while_marking(session, tier)
    except MarkingRefused as exc:
        raise JobRefused(exc.message) from exc
    waiting = _final_unreleased(context, tier)
    done = 0
    context.progress(done, done + waiting)
    chunk = current_app.config["NAAS_RELEASE_CHUNK"]
    while True:
        released = release_some(session, tier, context.actor_id, context.now(), limit=chunk)
        session.commit()
        if not released:
            break
        done += released
        context.progress(done, done + _final_unreleased(context, tier))
    if not done:
        return f"Nothing to release for {tier}: every final result was already released."
    return f"Released {done} result(s) for {tier}. Candidates can see them now."


def _final_unreleased(context: Context, tier: str) -> int:
    return context.session.scalars(
        select(func.count())
        .select_from(Result)
        .join(Sitting, Sitting.id == Result.sitting_id)
        .where(Sitting.tier == tier, Result.released_at.is_(None), Result.status == "final")
    ).one()


@kind("compute_statistics", title="Compute item statistics", max_attempts=2)
def compute_statistics(context: Context) -> str:
    from naas.statistics.services import compute

    tier, scope = context.payload.get("tier"), context.payload.get("scope", "released")
    if not isinstance(tier, str):
        raise NothingToDo("no tier was given")
    try:
        run = compute(context.session, tier, scope, context.actor_id, context.now())
    except ValueError as exc:  # e.g. too few sittings: say so, do not retry
        raise JobRefused(str(exc)) from exc
    context.session.commit()
    return f"Computed statistics for {tier} ({scope}) from {run.sittings} sitting(s)."


@kind("render_certificate", title="Render a certificate's PDF", max_attempts=5)
def render_certificate(context: Context) -> str:
    from naas.certificates.services import stored_pdf
    from naas.models import Certificate

    certificate = context.session.get(Certificate, context.payload.get("certificate_id"))
    if certificate is None:
        raise NothingToDo("the certificate no longer exists")
    body = stored_pdf(context.session, certificate)
    context.session.commit()
    return f"Rendered certificate {certificate.number} ({len(body) // 1024} KiB)."


def _email_is_sent() -> bool:
    return current_app.config.get("NAAS_EMAIL_BACKEND", "outbox") != "outbox"


@kind("deliver_email", title="Send an email", max_attempts=3)
def deliver_email(context: Context) -> str:
    """One attempt at one message; a message to try again later is left to the sweep below,
    which honours the message's own backoff (naas/mail/delivery.py)."""
    from naas.mail import Outcome, deliver, transport_from_config

    message_id = context.payload.get("message_id")
    if not isinstance(message_id, int):
        raise NothingToDo("no message was given")
    delivery = deliver(
        context.session, message_id, transport_from_config(current_app.config), context.now()
    )
    if delivery.outcome == Outcome.NOTHING_TO_DO:
        raise NothingToDo(delivery.reason or f"message {message_id} is not to be sent")
    reason = f" ({delivery.reason})" if delivery.reason else ""
    return f"Message {message_id}: {delivery.outcome}{reason}."


@kind("deliver_due_email", title="Send email that is due", max_attempts=2)
def deliver_due_email(context: Context) -> str:
    """Every minute: messages whose retry is due, and claims that lapsed with a dead worker."""
    from naas.mail import deliver, due_messages, transport_from_config

    if not _email_is_sent():
        return "Email is not sent here (NAAS_EMAIL_BACKEND is outbox): admins read the outbox."
    transport = transport_from_config(current_app.config)
    due = due_messages(context.session, context.now(), limit=500)
    context.progress(0, len(due))
    outcomes: dict[str, int] = {}
    for done, message_id in enumerate(due, 1):
        outcome = deliver(context.session, message_id, transport, context.now()).outcome
        outcomes[str(outcome)] = outcomes.get(str(outcome), 0) + 1
        if done % 20 == 0:
            context.progress(done)
    summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
    return f"{len(due)} message(s) due" + (f": {summary}." if summary else ".")


@kind("expiry_reminders", title="Remind holders whose accreditation expires soon", max_attempts=3)
def expiry_reminders(context: Context) -> str:
    from naas.mail import queue_expiry_reminders

    written = queue_expiry_reminders(context.session, context.now())
    context.session.commit()
    return f"Queued {written} reminder(s) of accreditation expiring in 90 or 30 days."


every("deliver_due_email", timedelta(minutes=1))
every("expiry_reminders", timedelta(days=1))
