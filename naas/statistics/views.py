"""Admin pages: a tier's item analysis and reliability as last computed, an item's figures
beside its text, review notes, and the CSV export. Nothing here computes statistics: the
pages read the latest run and say when it was computed."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from naas import db, jobs
from naas.auth.decorators import roles_required
from naas.bank_store import loaded_tiers
from naas.clock import now as clock_now
from naas.models import ItemVersion, ScenarioVersion
from naas.sitting.services import tier_for

from . import services
from .data import SCOPES
from .forms import ReviewNoteForm

admin_bp = Blueprint("statistics_admin", __name__, url_prefix="/admin/statistics")


def _tiers() -> list[str]:
    return loaded_tiers(db.session)


def _run_or_404(tier: str):
    if tier not in _tiers():
        abort(404)
    return services.latest(db.session, tier)


@admin_bp.route("/")
@roles_required("admin")
def index():
    runs = [(tier, services.latest(db.session, tier)) for tier in _tiers()]
    return render_template("statistics/index.html", runs=runs)


@admin_bp.route("/<tier>/compute", methods=["POST"])
@roles_required("admin")
def compute(tier: str):
    """Compute the tier's statistics afresh, as a background job (its page shows progress)."""
    if tier not in _tiers():
        abort(404)
    scope = request.form.get("scope", "released")
    if scope not in SCOPES:
        abort(400)
    job = jobs.enqueue(
        db.session, "compute_statistics", {"tier": tier, "scope": scope}, actor_id=current_user.id
    )
    return redirect(url_for("jobs_admin.show", job_id=job.id)), 303


@admin_bp.route("/<tier>")
@roles_required("admin")
def tier_page(tier: str):
    run = _run_or_404(tier)
    items = (
        sorted(run.payload["items"].values(), key=lambda e: (not e["flags"], e["info"]["key"]))
        if run
        else []
    )
    return render_template(
        "statistics/tier.html", tier=tier, tier_def=tier_for(db.session, tier), run=run, items=items
    )


@admin_bp.route("/<tier>/items.csv")
@roles_required("admin")
def tier_csv(tier: str):
    run = _run_or_404(tier)
    if run is None:
        abort(404)
    return Response(
        services.to_csv(run),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="item-statistics-{tier}-{run.id}.csv"'
        },
    )


@admin_bp.route("/<tier>/items/<key>", methods=["GET", "POST"])
@roles_required("admin")
def item_page(tier: str, key: str):
    run = _run_or_404(tier)
    if run is None or key not in run.payload["items"]:
        abort(404)
    entry = run.payload["items"][key]
    version = db.session.get_one(ItemVersion, run.payload["item_versions"][key])
    item = _item_definition(version)
    form = ReviewNoteForm()
    if form.validate_on_submit():
        try:
            services.add_review_note(
                db.session, run, key, form.note.data or "", current_user.id, clock_now()
            )
        except services.StatisticsRefused as exc:
            form.note.errors = [*form.note.errors, str(exc)]
        else:
            flash(
                "Review note added: the item version is listed for the bank's writers.", "success"
            )
            return redirect(url_for("statistics_admin.item_page", tier=tier, key=key))
    status = 422 if form.errors else 200
    return render_template(
        "statistics/item.html",
        tier=tier,
        run=run,
        entry=entry,
        item=item,
        form=form,
        notes=services.notes_for(db.session, version.id),
    ), status


def _item_definition(version: ItemVersion) -> dict:
    """The item's definition as stored with its scenario version: what the candidates saw."""
    scenario = db.session.get_one(ScenarioVersion, version.scenario_version_id)
    stage = scenario.spec["stages"][version.stage_index]
    spec = next(i for i in stage["items"] if i["id"] == version.item_id)
    return {"spec": spec, "narrative": stage["narrative"], "scenario": scenario.title}
