"""The admin's jobs pages: recent jobs with their state, progress, errors and retries; one
job's page (which a release redirects to, and which shows its progress however often it is
reloaded); cancelling a job that has not started, and trying a failed one again."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from naas import audit, db
from naas.auth.decorators import roles_required
from naas.clock import now as clock_now
from naas.models import Job

from . import core, queue

admin_bp = Blueprint("jobs_admin", __name__, url_prefix="/admin/jobs")

PAGE = 50
STATES = ("pending", "queued", "running", "done", "failed", "cancelled")


@admin_bp.route("")
@roles_required("admin")
def index():
    state = request.args.get("state", "")
    if state and state not in STATES:
        abort(404)
    before = request.args.get("before", type=int)
    query = select(Job).order_by(Job.id.desc()).limit(PAGE + 1)
    if state:
        query = query.where(Job.state == state)
    if before:
        query = query.where(Job.id < before)  # keyset: the next page starts below the last id
    jobs = list(db.session.scalars(query))
    more = len(jobs) > PAGE
    jobs = jobs[:PAGE]
    counts = dict(db.session.execute(select(Job.state, func.count()).group_by(Job.state)).all())
    return render_template(
        "jobs/index.html",
        jobs=jobs,
        counts=counts,
        states=STATES,
        state=state,
        next_before=jobs[-1].id if more and jobs else None,
        kinds=core.KINDS,
        broker=queue.configured(current_app),
        broker_problem=queue.reachable(current_app),
    )


@admin_bp.route("/<int:job_id>")
@roles_required("admin")
def show(job_id: int):
    job = db.session.get(Job, job_id)
    if job is None:
        abort(404)
    return render_template("jobs/show.html", job=job, kind=core.KINDS.get(job.kind))


@admin_bp.route("/<int:job_id>/cancel", methods=["POST"])
@roles_required("admin")
def cancel(job_id: int):
    now = clock_now()
    if db.session.get(Job, job_id) is None:
        abort(404)
    if core.cancel(db.session, job_id, now):
        audit.record(
            db.session,
            action="job.cancel",
            subject_type="job",
            subject_id=job_id,
            actor_id=current_user.id,
            now=now,
        )
        flash("The job was cancelled before it started.", "success")
    else:
        flash("The job has already started or finished, so it cannot be cancelled.", "error")
    return redirect(url_for("jobs_admin.show", job_id=job_id)), 303


@admin_bp.route("/<int:job_id>/retry", methods=["POST"])
@roles_required("admin")
def retry(job_id: int):
    if db.session.get(Job, job_id) is None:
        abort(404)
    if core.retry(db.session, job_id, current_user.id) is None:
        flash("Only a job that failed can be tried again.", "error")
    else:
        audit.record(
            db.session,
            action="job.retry",
            subject_type="job",
            subject_id=job_id,
            actor_id=current_user.id,
            now=clock_now(),
        )
        flash("The job will be tried again.", "success")
    return redirect(url_for("jobs_admin.show", job_id=job_id)), 303
