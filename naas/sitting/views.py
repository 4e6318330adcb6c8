from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound

from naas import db
from naas.auth import roles_required
from naas.clock import now as utcnow
from naas.metrics import AUTOSAVES
from naas.models import Endorsement, Result, Sitting, User

from . import services
from .feedback import result_view
from .forms import ExtraTimeForm
from .services import SittingRefused

bp = Blueprint("sitting", __name__, url_prefix="/sittings")
admin_bp = Blueprint("sitting_admin", __name__, url_prefix="/admin")

# How each refusal reaches an API client: the status code says what happened.
STATUS = {
    "not_endorsed": 403,
    "former_employer": 403,
    "open_sitting": 409,
    "awaiting_result": 409,
    "already_passed": 409,
    "resit_wait": 409,
    "no_bank": 503,
    "finished": 410,
    "time_up": 410,
    "locked": 423,
    "not_reached": 423,
    "stale": 409,
    "invalid": 422,
    "last_stage": 409,
}


def _own_sitting(sitting_id: int, now: datetime, for_change: bool = False) -> Sitting:
    """The signed-in candidate's sitting or 404 (never 403: another's sitting does not exist for them).
    A sitting past its deadline is submitted here, on the first request that sees it.

    A request that may change the sitting (`for_change`) holds its row until it ends, so that
    two of them (two tabs) take turns, the second seeing what the first did."""
    sitting = db.session.get(
        Sitting, sitting_id, with_for_update=for_change or None, populate_existing=for_change
    )
    if sitting is None or sitting.candidate_id != current_user.id:
        abort(404)
    if services.submit_if_overdue(db.session, sitting, now):
        db.session.commit()
    return sitting


def _own_sitting_or_json_404(sitting_id: int, now: datetime) -> Sitting:
    """_own_sitting for the autosave endpoint, whose client reads JSON."""
    try:
        return _own_sitting(sitting_id, now, for_change=True)
    except NotFound:
        response = jsonify(error="not_found", message="There is no such test.")
        response.status_code = 404
        abort(response)


@bp.route("/start/<int:endorsement_id>", methods=["GET", "POST"])
@roles_required("candidate")
def start(endorsement_id: int):
    endorsement = db.session.get(Endorsement, endorsement_id)
    if endorsement is None or endorsement.candidate_id != current_user.id:
        abort(404)
    now = utcnow()
    services.expire_overdue(db.session, now, candidate_id=current_user.id)
    tier = services.tier_for(db.session, endorsement.tier)
    if request.method == "POST":
        try:
            sitting = services.start_sitting(db.session, current_user, endorsement, now)
        except SittingRefused as exc:
            already = (
                services.open_sitting(db.session, current_user.id)
                if exc.code == "open_sitting"
                else None
            )
            if (
                already is not None
            ):  # e.g. a double click on "Start": back into the one open sitting
                if already.endorsement_id != endorsement.id:
                    flash(exc.message, "error")
                return redirect(url_for("sitting.resume", sitting_id=already.id))
            flash(exc.message, "error")
            return redirect(url_for("home.dashboard"))
        return redirect(url_for("sitting.stage", sitting_id=sitting.id, page=0))
    refusal = None
    try:
        services.may_start(db.session, current_user, endorsement, now)
    except SittingRefused as exc:
        refusal = exc.message
    extra = current_user.profile.extra_time_percent if current_user.profile else 0
    return render_template(
        "sitting/start.html", endorsement=endorsement, tier=tier, extra=extra, refusal=refusal
    )


@bp.route("/<int:sitting_id>")
@roles_required("candidate")
def resume(sitting_id: int):
    sitting = _own_sitting(sitting_id, utcnow())
    if sitting.status != "in_progress":
        return redirect(url_for("sitting.submitted", sitting_id=sitting.id))
    return redirect(url_for("sitting.stage", sitting_id=sitting.id, page=sitting.current_stage))


@bp.route("/<int:sitting_id>/stages/<int:page>", methods=["GET", "POST"])
@roles_required("candidate")
def stage(sitting_id: int, page: int):
    now = utcnow()
    sitting = _own_sitting(sitting_id, now, for_change=request.method == "POST")
    if sitting.status != "in_progress":
        if request.method == "POST":
            flash(
                "Time was up before that page was saved: your test was submitted with the answers "
                "saved by the deadline.",
                "error",
            )
        return redirect(url_for("sitting.submitted", sitting_id=sitting.id))
    form = services.load_form(db.session, sitting.form)
    if not 0 <= page < len(form.pages):
        abort(404)
    if page > sitting.current_stage:
        return redirect(url_for("sitting.stage", sitting_id=sitting.id, page=sitting.current_stage))
    problems: dict[int, str] = {}
    if request.method == "POST":
        if page != sitting.current_stage:
            flash(
                "That stage is locked because you have moved on: its answers were not changed.",
                "error",
            )
            return redirect(
                url_for("sitting.stage", sitting_id=sitting.id, page=sitting.current_stage)
            )
        problems = _save_page(sitting, form.page_items(page), request.form, now)
        if problems:
            # Every valid answer on the page is saved even though the page answers 422, which
            # the request handler would otherwise roll back whole.
            db.session.commit()
        action = request.form.get("action", "save")
        if not problems:
            if action == "continue":
                try:
                    services.move_on(db.session, sitting, page, sitting.form, now)
                except SittingRefused as exc:
                    flash(exc.message, "error")
                return redirect(
                    url_for("sitting.stage", sitting_id=sitting.id, page=sitting.current_stage)
                )
            if action == "review":
                return redirect(url_for("sitting.review", sitting_id=sitting.id))
            flash("Your answers on this page are saved.", "success")
            return redirect(url_for("sitting.stage", sitting_id=sitting.id, page=page))
    responses = services.responses_of(db.session, sitting)
    scenario, stage_index = form.pages[page]
    return render_template(
        "sitting/stage.html",
        sitting=sitting,
        form=form,
        page=page,
        scenario=scenario,
        stage=scenario.stages[stage_index],
        stage_index=stage_index,
        items=form.page_items(page),
        responses=responses,
        locked=page < sitting.current_stage,
        problems=problems,
        now=now,
        scenario_number=list(dict.fromkeys(s.id for s, _ in form.pages)).index(scenario.id) + 1,
        scenario_count=len({s.id for s, _ in form.pages}),
    ), (200 if not problems else 422)


def raw_answer(data: MultiDict, name: str) -> Any:
    """An answer as the page posted it: `qN` (one value or several) or `qN.label` fields."""
    parts = {key[len(name) + 1 :]: data.get(key) for key in data if key.startswith(name + ".")}
    if parts:
        return parts
    values = data.getlist(name)
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def _save_page(sitting: Sitting, items, data: MultiDict, now: datetime) -> dict[int, str]:
    problems = {}
    for loaded in items:
        name = f"q{loaded.form_item.id}"
        try:
            seq = int(data.get(f"seq{loaded.form_item.id}", ""))
        except ValueError:
            problems[loaded.form_item.id] = (
                "This answer could not be saved: reload the page and try again."
            )
            continue
        try:
            services.save_answer(
                db.session, sitting, loaded, raw_answer(data, name), seq, now, source="page"
            )
        except SittingRefused as exc:
            if exc.code in ("finished", "time_up", "locked"):
                raise_page_refusal(sitting, exc)
            problems[loaded.form_item.id] = exc.message
    return problems


def raise_page_refusal(sitting: Sitting, exc: SittingRefused):
    """Leave a page that can no longer be saved for where the sitting now is: its current stage,
    or the submitted page."""
    flash(exc.message, "error")
    abort(redirect(url_for("sitting.resume", sitting_id=sitting.id)))


@bp.route("/<int:sitting_id>/answers", methods=["POST"])
@roles_required("candidate")
def autosave(sitting_id: int):
    """Save one answer as it changes: {"item": id, "answer": ..., "seq": n}. Idempotent."""
    now = utcnow()
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        payload = {}  # not a JSON object: no item, so refused just below
    item_id = payload.get("item")
    if not isinstance(item_id, int) or isinstance(item_id, bool):
        _own_sitting_or_json_404(sitting_id, now)
        return jsonify(error="invalid", message="The save was not understood."), 400
    found = services.load_for_save(db.session, sitting_id, current_user.id, item_id)
    if found is None:
        _own_sitting_or_json_404(sitting_id, now)
        return jsonify(error="not_found", message="There is no such question in this test."), 404
    sitting, loaded = found
    if sitting.status == "in_progress" and now >= sitting.deadline:
        # Let go of the share lock first: the submit updates the row, and two saves that each
        # held the lock while waiting for the other's would deadlock.
        db.session.rollback()
        sitting = _own_sitting_or_json_404(sitting_id, now)
    try:
        saved = services.save_answer(
            db.session,
            sitting,
            loaded,
            payload.get("answer"),
            payload.get("seq"),
            now,
            source="autosave",
        )
    except SittingRefused as exc:
        AUTOSAVES.labels(exc.code).inc()
        return jsonify(error=exc.code, message=exc.message), STATUS[exc.code]
    AUTOSAVES.labels(saved.status).inc()
    return jsonify(
        status=saved.status,
        item=loaded.form_item.id,
        seq=saved.seq,
        saved_at=saved.saved_at.isoformat(),
        complete=loaded.item.is_complete(loaded.item.normalise(payload.get("answer"))),
    )


@bp.route("/<int:sitting_id>/review")
@roles_required("candidate")
def review(sitting_id: int):
    now = utcnow()
    sitting = _own_sitting(sitting_id, now)
    if sitting.status != "in_progress":
        return redirect(url_for("sitting.submitted", sitting_id=sitting.id))
    form = services.load_form(db.session, sitting.form)
    responses = services.responses_of(db.session, sitting)
    unanswered = [i for i in form.items if not i.item.is_complete(responses[i.form_item.id].answer)]
    return render_template(
        "sitting/review.html", sitting=sitting, form=form, unanswered=unanswered, now=now
    )


@bp.route("/<int:sitting_id>/submit", methods=["POST"])
@roles_required("candidate")
def submit(sitting_id: int):
    now = utcnow()
    sitting = _own_sitting(sitting_id, now, for_change=True)
    if sitting.status == "in_progress":
        if request.form.get("confirm") != "yes":
            flash("Confirm that you want to submit your test.", "error")
            return redirect(url_for("sitting.review", sitting_id=sitting.id))
        # Another tab or the deadline may have submitted it first: the submitted page says how.
        with suppress(SittingRefused):
            services.submit(db.session, sitting, now, by="candidate")
    return redirect(url_for("sitting.submitted", sitting_id=sitting.id))


@bp.route("/<int:sitting_id>/submitted")
@roles_required("candidate")
def submitted(sitting_id: int):
    sitting = _own_sitting(sitting_id, utcnow())
    if sitting.status == "in_progress":
        return redirect(url_for("sitting.resume", sitting_id=sitting.id))
    result = db.session.scalar(select(Result).where(Result.sitting_id == sitting.id))
    return render_template("sitting/submitted.html", sitting=sitting, result=result)


@bp.route("/<int:sitting_id>/result")
@roles_required("candidate")
def result(sitting_id: int):
    sitting = _own_sitting(sitting_id, utcnow())
    result = db.session.scalar(select(Result).where(Result.sitting_id == sitting.id))
    if result is None or result.released_at is None:
        return redirect(url_for("sitting.submitted", sitting_id=sitting.id))
    tier = services.tier_for_form(db.session, sitting.form)
    from naas.marking.services import review_of, scripts_of_sitting_by_item

    form = services.load_form(db.session, sitting.form)
    scripts = scripts_of_sitting_by_item(db.session, sitting)
    written = [
        (entry, scripts.get(entry.form_item.id))
        for entry in form.items
        if not entry.item.auto_scored
    ]
    reviews = {
        script.id: review_of(db.session, script) for _, script in written if script is not None
    }
    return render_template(
        "sitting/result.html",
        sitting=sitting,
        result=result,
        view=result_view(result, tier),
        written=written,
        reviews=reviews,
    )


# -- admin: a candidate's approved extra time ------------------------------------------------
@admin_bp.route("/extra-time", methods=["GET", "POST"])
@roles_required("admin")
def extra_time():
    """Find a candidate (by email or registration number), see their adjustment, record a new one."""
    form = ExtraTimeForm()
    if request.method == "POST":
        candidate_id = form.candidate_id.data or ""
        candidate = db.session.get(User, int(candidate_id)) if candidate_id.isdigit() else None
        if candidate is None or candidate.profile is None:
            return _extra_time_page(
                None, None, "", lookup_error="Find the candidate first.", status=422
            )
        if form.validate_on_submit():
            try:
                services.set_extra_time(
                    db.session,
                    candidate,
                    form.percent.data,
                    form.reason.data or "",
                    current_user,
                    utcnow(),
                )
            except SittingRefused as exc:
                form.form_errors.append(exc.message)
            else:
                flash(
                    f"{candidate.name} now has {form.percent.data}% extra time on every test they start.",
                    "success",
                )
                return redirect(url_for("sitting_admin.extra_time", candidate=candidate.email))
        return _extra_time_page(form, candidate, candidate.email, status=422)
    query = request.args.get("candidate", "").strip()
    candidate = services.find_candidate(db.session, query) if query else None
    if candidate is None or candidate.profile is None:  # find_candidate finds only candidates
        return _extra_time_page(
            None,
            None,
            query,
            lookup_error=(
                "No candidate has that email address or registration number." if query else None
            ),
        )
    form = ExtraTimeForm(
        formdata=None, candidate_id=str(candidate.id), percent=candidate.profile.extra_time_percent
    )
    return _extra_time_page(form, candidate, query)


def _extra_time_page(
    form: ExtraTimeForm | None,
    candidate: User | None,
    query: str,
    lookup_error: str | None = None,
    status: int = 200,
):
    profile = candidate.profile if candidate is not None else None
    approver = (
        db.session.get(User, profile.extra_time_approved_by)
        if profile is not None and profile.extra_time_approved_by
        else None
    )
    return render_template(
        "sitting/admin_extra_time.html",
        form=form,
        candidate=candidate,
        query=query,
        approver=approver,
        lookup_error=lookup_error,
    ), status
