"""The candidate's equality-monitoring questions, and the admin fairness report.

The report pages only read the latest computed report (`naas stats fairness --tier T`);
nothing here computes statistics."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from naas import db, jobs
from naas.auth.decorators import roles_required
from naas.bank_store import loaded_tiers
from naas.clock import now as clock_now

from . import services
from .forms import EqualityForm, ReviewForm, WithdrawForm
from .questions import QUESTIONS
from .report import BY_COMPARISON

bp = Blueprint("equality", __name__, url_prefix="/equality")
admin_bp = Blueprint("fairness_admin", __name__, url_prefix="/admin/fairness")


def _back_to(target: str | None) -> str | None:
    """Where to return after answering (the start of a sitting): a path on this site only."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or "://" in target
    ):
        return None
    return target


@bp.route("/", methods=["GET", "POST"])
@roles_required("candidate")
def questions():
    record = services.answers_of(db.session, current_user.id)
    consented = services.has_consented(record)
    back = _back_to(request.values.get("next"))
    form = EqualityForm(obj=record if consented and request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.save_answers(
                db.session, current_user, form.answers(), form.consent.data, clock_now()
            )
        except services.EqualityRefused as exc:
            for name, message in exc.problems.items():
                # a problem with no field of its own is shown at the consent question
                field = form._fields.get(name, form.consent)
                field.errors = [*field.errors, message]
        else:
            flash(
                "Thank you: your answers are saved. You can change them or withdraw them at any time.",
                "success",
            )
            return redirect(back or url_for("equality.questions"))
    status = 422 if form.errors else 200
    return render_template(
        "equality/questions.html",
        form=form,
        record=record,
        consented=consented,
        questions=QUESTIONS,
        back=back,
        withdraw_form=WithdrawForm(),
    ), status


@bp.route("/withdraw", methods=["POST"])
@roles_required("candidate")
def withdraw():
    form = WithdrawForm()
    if not form.validate_on_submit():  # CSRF is checked before this; kept for completeness
        abort(400)
    if services.withdraw(db.session, current_user, clock_now()):
        flash("Your consent is withdrawn and every answer you gave is deleted.", "success")
    else:
        flash(
            "You have no equality-monitoring answers stored: there was nothing to withdraw.", "info"
        )
    return redirect(url_for("equality.questions"))


# -- admin ---------------------------------------------------------------------------------
def _tiers() -> list[str]:
    return loaded_tiers(db.session)


def _run_or_404(tier: str):
    if tier not in _tiers():
        abort(404)
    return services.latest(db.session, tier)


@admin_bp.route("/")
@roles_required("admin")
def index():
    return render_template(
        "equality/admin_index.html",
        runs=[(tier, services.latest(db.session, tier)) for tier in _tiers()],
    )


@admin_bp.route("/<tier>/compute", methods=["POST"])
@roles_required("admin")
def compute(tier: str):
    """Compute the tier's fairness report afresh, as a background job (its page shows how it went)."""
    if tier not in _tiers():
        abort(404)
    job = jobs.enqueue(
        db.session,
        "compute_fairness",
        {"tier": tier, "scope": "released"},
        actor_id=current_user.id,
    )
    return redirect(url_for("jobs_admin.show", job_id=job.id)), 303


@admin_bp.route("/<tier>")
@roles_required("admin")
def report(tier: str):
    run = _run_or_404(tier)
    items = []
    if run is not None:
        items = sorted(
            run.payload["items"].values(),
            key=lambda e: (not e["flagged"], not e["watch"], e["info"]["key"]),
        )
    return render_template(
        "equality/report.html", tier=tier, run=run, items=items, comparisons=BY_COMPARISON
    )


@admin_bp.route("/<tier>/items/<key>", methods=["GET", "POST"])
@roles_required("admin")
def item(tier: str, key: str):
    run = _run_or_404(tier)
    if run is None or key not in run.payload["items"]:
        abort(404)
    entry = run.payload["items"][key]
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            services.send_to_review(
                db.session, run, key, form.note.data or "", current_user.id, clock_now()
            )
        except services.FairnessRefused as exc:
            form.note.errors = [*form.note.errors, str(exc)]
        else:
            flash(
                "Sent to review: the item version is listed for the bank's writers with your note.",
                "success",
            )
            return redirect(url_for("fairness_admin.item", tier=tier, key=key))
    status = 422 if form.errors else 200
    return render_template(
        "equality/item.html",
        tier=tier,
        run=run,
        entry=entry,
        form=form,
        comparisons=BY_COMPARISON,
        notes=services.fairness_notes(db.session, entry["item_version_id"]),
    ), status
