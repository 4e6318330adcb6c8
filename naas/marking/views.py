from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from random import SystemRandom

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from naas import db, jobs
from naas.auth import roles_required
from naas.clock import now as clock_now
from naas.models import ItemVersion, Mark, Script, Sitting, TierVersion, User
from naas.pagination import BadPageKey, Keyset, paginate
from naas.statistics.services import sem_band

from . import services
from .services import MarkingRefused

bp = Blueprint("marking", __name__, url_prefix="/marking")
admin_bp = Blueprint("marking_admin", __name__, url_prefix="/admin/marking")

PURPOSE_ROLES = {
    "marking": ("assessor", "moderator"),
    "moderation": ("moderator",),
    "review": ("moderator",),
}


@bp.route("/")
@roles_required("assessor", "moderator")
def queue():
    return render_template(
        "marking/queue.html",
        open_marks=services.open_marks(db.session, current_user),
        counts=services.queue_counts(db.session, current_user, clock_now()),
    )


@bp.route("/next", methods=["POST"])
@roles_required("assessor", "moderator")
def take_next():
    purpose = request.form.get("purpose", "marking")
    if purpose not in PURPOSE_ROLES or not current_user.has_role(*PURPOSE_ROLES[purpose]):
        abort(403)
    now = clock_now()
    held = services.current_hold(db.session, current_user, now)
    if held is not None:
        flash(
            f"Finish script {held.script.reference} first: you hold one script at a time.", "info"
        )
        return redirect(url_for("marking.mark", mark_id=held.id))
    mark = services.take_next(
        db.session,
        current_user,
        now,
        purpose,
        rng=SystemRandom(),
        control_rate=current_app.config["NAAS_MARKING_CONTROL_RATE"],
    )
    if mark is None:
        flash(
            "There is nothing waiting for you to "
            + {"marking": "mark", "moderation": "moderate", "review": "review"}[purpose]
            + " just now.",
            "info",
        )
        return redirect(url_for("marking.queue"))
    return redirect(url_for("marking.mark", mark_id=mark.id))


def _own_mark(mark_id: int) -> Mark:
    mark = db.session.get(Mark, mark_id)
    if mark is None or mark.assessor_id != current_user.id:
        abort(404)
    return mark


@bp.route("/marks/<int:mark_id>", methods=["GET", "POST"])
@roles_required("assessor", "moderator")
def mark(mark_id: int):
    mark = _own_mark(mark_id)
    script = db.session.get_one(Script, mark.script_id)
    view = services.script_view(db.session, script)
    error = None
    if request.method == "POST":
        raw = [request.form.get(f"criterion-{n}", "") for n in range(len(view.item.rubric))]
        submit = request.form.get("action") == "submit"
        try:
            services.record_mark(
                db.session,
                mark,
                current_user,
                raw,
                request.form.get("comment", ""),
                submit,
                clock_now(),
            )
        except MarkingRefused as exc:
            error = exc.message
        else:
            flash("Your marks are submitted." if submit else "Your draft is saved.", "success")
            return redirect(
                url_for("marking.queue") if submit else url_for("marking.mark", mark_id=mark.id)
            )
    others = (
        services.marks_for_moderation(db.session, script) if mark.purpose == "moderation" else []
    )
    review = services.review_of(db.session, script) if mark.purpose == "review" else None
    reason = services.reason_for_reviewer(db.session, review) if review is not None else None
    return render_template(
        "marking/mark.html",
        mark=mark,
        view=view,
        others=others,
        reason=reason,
        error=error,
        values=request.form if error else None,
    ), (422 if error else 200)


def _rules() -> services.ReliabilityRules:
    config = current_app.config
    return services.ReliabilityRules(
        drift_window=config["NAAS_MARKING_DRIFT_WINDOW"],
        control_block=config["NAAS_MARKING_CONTROL_BLOCK"],
        control_delay=timedelta(days=config["NAAS_MARKING_CONTROL_DELAY_DAYS"]),
    )


@bp.route("/reliability")
@roles_required("assessor", "moderator")
def reliability():
    rules = _rules()
    return render_template(
        "marking/reliability.html",
        rules=rules,
        everyone=False,
        figures=[services.reliability(db.session, current_user, clock_now(), rules)],
    )


# -- candidates ask for a review ----------------------------------------------------------
@bp.route("/reviews/<reference>", methods=["GET", "POST"])
@roles_required("candidate")
def request_review(reference: str):
    script = db.session.scalar(select(Script).where(Script.reference == reference))
    if script is None or script.candidate_id != current_user.id:
        abort(404)
    if services.released_result(db.session, script) is None:
        abort(404)  # nothing about a mark is shown before results are released
    sitting = db.session.get_one(Sitting, script.sitting_id)  # a candidate's script has one
    error = None
    if request.method == "POST":
        try:
            services.request_review(
                db.session, current_user, script, request.form.get("reason", ""), clock_now()
            )
        except MarkingRefused as exc:
            error = exc.message
        else:
            flash(
                "Your request for a review has been received. A moderator who has not marked this answer "
                "will mark it again, and your result will be updated.",
                "success",
            )
            return redirect(url_for("sitting.result", sitting_id=sitting.id))
    view = services.script_view(db.session, script)
    return render_template(
        "marking/request_review.html",
        script=script,
        view=view,
        sitting=sitting,
        existing=services.review_of(db.session, script),
        error=error,
    ), (422 if error else 200)


# -- admin ---------------------------------------------------------------------------------------
def _tiers() -> list[str]:
    return sorted(set(db.session.scalars(select(TierVersion.tier))))


ASSESSOR_ORDER = Keyset(User.name, User.id, per_page=25)


@admin_bp.route("/")
@roles_required("admin")
def overview():
    states = [services.release_state(db.session, tier) for tier in _tiers()]
    settings = {tier: services.settings_for(db.session, tier) for tier in _tiers()}
    rules = _rules()
    try:
        page = paginate(db.session, services.assessors_query(), ASSESSOR_ORDER, request.args)
    except BadPageKey:
        abort(400, "That page link is not valid: go back to the first page of assessors.")
    figures = services.reliabilities(db.session, page.rows, clock_now(), rules)
    bands = {tier: sem_band(db.session, tier) for tier in _tiers()}
    return render_template(
        "marking/admin.html",
        states=states,
        settings=settings,
        figures=figures,
        page=page,
        rules=rules,
        bands=bands,
    )


@admin_bp.route("/<tier>/release", methods=["POST"])
@roles_required("admin")
def release(tier: str):
    if tier not in _tiers():
        abort(404)
    try:
        # said at once rather than by a failed job; the job checks again before releasing
        services.refuse_release_while_marking(db.session, tier)
    except MarkingRefused as exc:
        flash(exc.message, "error")
        return redirect(url_for("marking_admin.overview")), 303
    # In steps, as a background job: a national release takes longer than a request may.
    job = jobs.enqueue(db.session, "release_results", {"tier": tier}, actor_id=current_user.id)
    return redirect(url_for("jobs_admin.show", job_id=job.id)), 303


@admin_bp.route("/<tier>/settings", methods=["POST"])
@roles_required("admin")
def settings(tier: str):
    if tier not in _tiers():
        abort(404)
    try:
        tolerance = Decimal(request.form.get("tolerance", ""))
        drift = Decimal(request.form.get("drift_threshold", ""))
        window = int(request.form.get("review_window_days", ""))
        services.update_settings(
            db.session, tier, tolerance, window, drift, current_user.id, clock_now()
        )
    except (InvalidOperation, ValueError):
        flash("Settings must be numbers: nothing was changed.", "error")
        return redirect(url_for("marking_admin.overview")), 303
    except MarkingRefused as exc:
        flash(exc.message, "error")
        return redirect(url_for("marking_admin.overview")), 303
    flash(f"Marking settings for {tier} saved.", "success")
    return redirect(url_for("marking_admin.overview"))


@admin_bp.route("/controls", methods=["GET", "POST"])
@roles_required("admin")
def controls():
    items = db.session.scalars(
        select(ItemVersion)
        .where(ItemVersion.type == "free_text")
        .order_by(ItemVersion.tier, ItemVersion.item_id, ItemVersion.version)
    ).all()
    error = None
    chosen = db.session.get(ItemVersion, request.args.get("item_version_id", type=int) or 0)
    if request.method == "POST":
        chosen = db.session.get(ItemVersion, request.form.get("item_version_id", type=int) or 0)
        if chosen is None or chosen.type != "free_text":
            error = "Choose a written-answer item."
        else:
            item = services.item_of(db.session, chosen)
            raw = [request.form.get(f"criterion-{n}", "") for n in range(len(item.rubric))]
            try:
                marks = services.check_criterion_marks(item, raw)
                services.add_control(
                    db.session,
                    chosen,
                    request.form.get("text", ""),
                    marks,
                    current_user.id,
                    clock_now(),
                )
            except MarkingRefused as exc:
                error = exc.message
            else:
                flash("Control script added: it will reach every assessor's queue.", "success")
                return redirect(url_for("marking_admin.controls"))
    rubric = services.item_of(db.session, chosen).rubric if chosen is not None else None
    return render_template(
        "marking/controls.html",
        items=items,
        error=error,
        chosen=chosen,
        rubric=rubric,
        values=request.form,
    ), (422 if error else 200)
