from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from naas import db
from naas.auth import roles_required
from naas.clock import now as clock_now
from naas.models import StandardExercise, TierVersion, User

from . import report as reporting
from . import services
from .forms import HOFSTEE_FIELDS, ExerciseForm, JudgeForm, RatingsForm, ReleasedForm
from .services import StandardsRefused

bp = Blueprint("standards", __name__, url_prefix="/standards")
admin_bp = Blueprint("standards_admin", __name__, url_prefix="/admin/standards")


def _exercise(exercise_id: int) -> StandardExercise:
    exercise = db.session.get(StandardExercise, exercise_id)
    if exercise is None:
        abort(404)
    return exercise


# -- judges ----------------------------------------------------------------------------------------
def _not_on_panel():
    return render_template(
        "error.html",
        title="Not on this panel",
        message="You are not on this exercise's panel: nothing was saved.",
    ), 403


@bp.route("/")
@roles_required(*services.JUDGE_ROLES)
def index():
    return render_template(
        "standards/judge_index.html", exercises=services.judge_exercises(db.session, current_user)
    )


@bp.route("/<int:exercise_id>")
@roles_required(*services.JUDGE_ROLES)
def exercise(exercise_id: int):
    exercise = _exercise(exercise_id)
    if not services.is_judge(db.session, exercise, current_user):
        return _not_on_panel()
    round_ = services.current_round(exercise)
    mine = services.ratings_of(db.session, exercise, round_, current_user.id) if round_ else {}
    pages = services.pages(db.session, exercise.tier)
    done = [sum((current_user.id, i.version.id) in mine for i in page.items) for page in pages]
    return render_template(
        "standards/judge_exercise.html", exercise=exercise, pages=pages, done=done, round=round_
    )


@bp.route("/<int:exercise_id>/pages/<int:page>", methods=["GET", "POST"])
@roles_required(*services.JUDGE_ROLES)
def rate(exercise_id: int, page: int):
    exercise = _exercise(exercise_id)
    if not services.is_judge(db.session, exercise, current_user):
        return _not_on_panel()
    pages = services.pages(db.session, exercise.tier)
    if not 0 <= page < len(pages):
        abort(404)
    form = RatingsForm()
    problems: dict[str, str] = {}
    message = None
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        raw = {}
        for name, value in request.form.items():
            if name.startswith("rating-"):
                suffix = name.removeprefix("rating-")
                raw[int(suffix) if suffix.isdigit() else -1] = value
        try:
            rated_round = int(form.round.data or 0)
            changed = services.save_ratings(
                db.session, exercise, current_user, rated_round, raw, clock_now()
            )
        except (StandardsRefused, ValueError) as exc:
            message = (
                exc.message if isinstance(exc, StandardsRefused) else "Your ratings were not saved."
            )
            problems = exc.problems if isinstance(exc, StandardsRefused) else {}
            status = {"closed": 409, "not_judge": 403}.get(getattr(exc, "code", ""), 422)
        else:
            flash(
                f"Your ratings on this page are saved ({changed} changed). You can change them until the "
                "round closes.",
                "success",
            )
            target = (
                page + 1 if request.form.get("action") == "next" and page + 1 < len(pages) else page
            )
            return redirect(url_for("standards.rate", exercise_id=exercise.id, page=target))
    round_ = services.current_round(exercise)
    mine = services.ratings_of(db.session, exercise, round_, current_user.id) if round_ else {}
    first = services.ratings_of(db.session, exercise, 1, current_user.id) if round_ == 2 else {}
    spread = reporting.round1_spread(db.session, exercise) if round_ == 2 else {}
    facility = reporting.facilities(db.session, exercise.tier) if round_ == 2 else {}
    values = {key: value for key, value in request.form.items()} if problems else {}
    return render_template(
        "standards/rate.html",
        exercise=exercise,
        page=pages[page],
        pages=pages,
        form=form,
        round=round_,
        mine=mine,
        first=first,
        spread=spread,
        facility=facility,
        no_sittings=reporting.NO_SITTINGS,
        problems=problems,
        message=message,
        values=values,
    ), status


# -- admin -----------------------------------------------------------------------------------------
def _tiers() -> list[str]:
    return sorted(set(db.session.scalars(select(TierVersion.tier))))


# standards_admin.index, as every admin blueprint names its list page; the function's own
# name keeps it from shadowing the judges' index above.
@admin_bp.route("/", endpoint="index")
@roles_required("admin")
def admin_index():
    exercises = db.session.scalars(
        select(StandardExercise).order_by(
            StandardExercise.created_at.desc(), StandardExercise.id.desc()
        )
    ).all()
    return render_template(
        "standards/admin_index.html", exercises=exercises, label=services.status_label
    )


@admin_bp.route("/new", methods=["GET", "POST"])
@roles_required("admin")
def new():
    form = ExerciseForm()
    form.set_tiers(_tiers())
    if form.validate_on_submit():
        try:
            bounds = services.check_hofstee({name: form[name].data for name in HOFSTEE_FIELDS})
            exercise = services.create_exercise(
                db.session,
                form.tier.data or "",
                form.title.data or "",
                bounds,
                current_user,
                clock_now(),
            )
        except StandardsRefused as exc:
            for name, problem in exc.problems.items():
                form[name].errors = [*form[name].errors, problem]
            if not exc.problems:
                form.form_errors = [*form.form_errors, exc.message]
        else:
            flash(f"Exercise created for {exercise.tier}. Add the panel's judges.", "success")
            return redirect(url_for("standards_admin.detail", exercise_id=exercise.id))
    return render_template("standards/admin_new.html", form=form), (422 if form.errors else 200)


def _detail_page(
    exercise: StandardExercise, judge_form: JudgeForm | None = None, status: int = 200
):
    state = services.progress(db.session, exercise)
    return render_template(
        "standards/admin_detail.html",
        exercise=exercise,
        progress=state,
        label=services.status_label(exercise),
        judge_form=judge_form or JudgeForm(),
        round2_problems=services.round2_problems(db.session, exercise),
        approval_problems=services.approval_problems(db.session, exercise),
        min_judges=services.MIN_JUDGES,
    ), status


@admin_bp.route("/<int:exercise_id>")
@roles_required("admin")
def detail(exercise_id: int):
    return _detail_page(_exercise(exercise_id))


@admin_bp.route("/<int:exercise_id>/judges", methods=["POST"])
@roles_required("admin")
def add_judge(exercise_id: int):
    exercise = _exercise(exercise_id)
    form = JudgeForm()
    if form.validate_on_submit():
        try:
            judge = services.add_judge(
                db.session, exercise, form.email.data or "", current_user, clock_now()
            )
        except StandardsRefused as exc:
            form.email.errors = [*form.email.errors, exc.problems.get("email", exc.message)]
        else:
            flash(f"{judge.name} is on the panel.", "success")
            return redirect(url_for("standards_admin.detail", exercise_id=exercise.id))
    return _detail_page(exercise, form, 422)


def _refused(exercise: StandardExercise, exc: StandardsRefused):
    flash(exc.message, "error")
    return redirect(url_for("standards_admin.detail", exercise_id=exercise.id), 303)


@admin_bp.route("/<int:exercise_id>/judges/<int:user_id>/remove", methods=["POST"])
@roles_required("admin")
def remove_judge(exercise_id: int, user_id: int):
    exercise = _exercise(exercise_id)
    try:
        judge = services.remove_judge(db.session, exercise, user_id, current_user, clock_now())
    except StandardsRefused as exc:
        return _refused(exercise, exc)
    flash(f"{judge.name} is no longer on the panel; their ratings no longer count.", "success")
    return redirect(url_for("standards_admin.detail", exercise_id=exercise.id))


@admin_bp.route("/<int:exercise_id>/round2", methods=["POST"])
@roles_required("admin")
def round2(exercise_id: int):
    exercise = _exercise(exercise_id)
    try:
        services.begin_round2(db.session, exercise, current_user, clock_now())
    except StandardsRefused as exc:
        return _refused(exercise, exc)
    flash(
        "Round 2 has begun: judges now see the spread of round-1 ratings and each item's facility.",
        "success",
    )
    return redirect(url_for("standards_admin.detail", exercise_id=exercise.id))


@admin_bp.route("/<int:exercise_id>/approve", methods=["POST"])
@roles_required("admin")
def approve(exercise_id: int):
    exercise = _exercise(exercise_id)
    try:
        count = services.approve(db.session, exercise, current_user, clock_now())
    except StandardsRefused as exc:
        return _refused(exercise, exc)
    flash(
        f"Approved: {count} item standard(s) stored. Every result of {exercise.tier} not yet released is now "
        "decided against its form's standard-set cut. Decide below what happens to results already released.",
        "success",
    )
    return redirect(url_for("standards_admin.report", exercise_id=exercise.id))


@admin_bp.route("/<int:exercise_id>/close", methods=["POST"])
@roles_required("admin")
def close(exercise_id: int):
    exercise = _exercise(exercise_id)
    try:
        services.close_exercise(db.session, exercise, current_user, clock_now())
    except StandardsRefused as exc:
        return _refused(exercise, exc)
    flash("The exercise is closed without a standard. Its ratings are kept.", "success")
    return redirect(url_for("standards_admin.detail", exercise_id=exercise.id))


@admin_bp.route("/<int:exercise_id>/report")
@roles_required("admin")
def report(exercise_id: int):
    exercise = _exercise(exercise_id)
    return render_template(
        "standards/report.html",
        report=reporting.report(db.session, exercise),
        exercise=exercise,
        label=services.status_label(exercise),
        form=ReleasedForm(),
        approver=db.session.get(User, exercise.approved_by) if exercise.approved_by else None,
    )


@admin_bp.route("/<int:exercise_id>/released", methods=["POST"])
@roles_required("admin")
def released(exercise_id: int):
    exercise = _exercise(exercise_id)
    form = ReleasedForm()
    if not form.validate_on_submit():
        flash(
            "Choose whether to apply the standard to released results or keep them as decided: nothing was "
            "changed.",
            "error",
        )
        return redirect(url_for("standards_admin.report", exercise_id=exercise.id), 303)
    try:
        changed = services.decide_released(
            db.session, exercise, form.decision.data, current_user, clock_now()
        )
    except StandardsRefused as exc:
        flash(exc.message, "error")
        return redirect(url_for("standards_admin.report", exercise_id=exercise.id), 303)
    flash(
        f"Released results were re-decided against the standard: {changed} decision(s) changed, each audited."
        if form.decision.data == "applied"
        else "Released results are kept as decided; this choice is audited.",
        "success",
    )
    return redirect(url_for("standards_admin.report", exercise_id=exercise.id))
