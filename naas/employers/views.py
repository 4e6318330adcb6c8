"""The employer's pages: endorse staff, follow them, check numbers in bulk.

Every page reads only the signed-in employer's organisation; an endorsement of another
organisation is answered with 404, as if it did not exist.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from naas import db
from naas.auth import roles_required
from naas.certificates.services import uk_date
from naas.clock import now as utcnow
from naas.extensions import limiter
from naas.models import Endorsement
from naas.sitting.feedback import result_view
from naas.sitting.services import tier_for_form

from . import bulk, services, staff
from .csvfile import csv_response
from .forms import EndorseForm, show_refusal
from .links import set_password_link
from .services import Refused
from .status import LABELS, STATUSES

bp = Blueprint("employers", __name__, url_prefix="/employer")


def _organisation_id() -> int:
    if current_user.organisation_id is None:
        abort(403)
    return current_user.organisation_id


def _own_endorsement(endorsement_id: int) -> Endorsement:
    endorsement = db.session.get(Endorsement, endorsement_id)
    if endorsement is None or endorsement.organisation_id != _organisation_id():
        abort(404)
    return endorsement


def _staff(now) -> list[staff.StaffRow]:
    staff.submit_overdue(db.session, _organisation_id(), now)
    return staff.staff_rows(db.session, _organisation_id(), uk_date(now))


def _filters() -> dict:
    args = request.args
    return {
        "status": args.get("status") if args.get("status") in STATUSES else None,
        "tier": args.get("tier") or None,
        "search": args.get("q", "")[:200],
        "sort": args.get("sort") if args.get("sort") in staff.SORTS else "name",
        "descending": args.get("order") == "desc",
    }


@bp.route("/staff")
@roles_required("employer")
def staff_list():
    rows = _staff(utcnow())
    filters = _filters()
    return render_template(
        "employers/staff.html",
        rows=staff.select_rows(rows, **filters),
        total=len(rows),
        counts=staff.status_counts(rows),
        labels=LABELS,
        filters=filters,
        tiers=staff.known_tiers(db.session),
    )


STAFF_CSV_HEADER = (
    "name",
    "registration number",
    "email",
    "tier",
    "status",
    "status detail",
    "date",
    "endorsed on",
    "certificate number",
)


@bp.route("/staff.csv")
@roles_required("employer")
def staff_csv():
    now = utcnow()
    rows = staff.select_rows(_staff(now), **_filters())
    tiers = staff.known_tiers(db.session)
    return csv_response(
        f"staff-{uk_date(now):%Y-%m-%d}.csv",
        STAFF_CSV_HEADER,
        (
            (
                row.candidate.name,
                row.registration_number,
                row.candidate.email,
                staff.tier_title(tiers, row.endorsement.tier),
                row.status.label,
                row.status.text,
                row.status.on.isoformat() if row.status.on else "",
                uk_date(row.endorsement.created_at).isoformat(),
                row.certificate.number if row.certificate else "",
            )
            for row in rows
        ),
    )


@bp.route("/staff/<int:endorsement_id>")
@roles_required("employer")
def staff_member(endorsement_id: int):
    endorsement = _own_endorsement(endorsement_id)
    now = utcnow()
    staff.submit_overdue(db.session, endorsement.organisation_id, now)
    rows = staff.staff_rows(
        db.session, endorsement.organisation_id, uk_date(now), endorsement_id=endorsement.id
    )
    row = rows[0] if rows else None  # None: withdrawn
    history = staff.sittings_of(db.session, endorsement)
    profile = None
    candidate = endorsement.candidate
    released = [(s, r) for s, r in history if r is not None and r.released_at is not None]
    if released and candidate.profile is not None and candidate.profile.share_profile_with_employer:
        sitting, result = released[0]
        profile = result_view(result, tier_for_form(db.session, sitting.form))
    return render_template(
        "employers/staff_member.html",
        endorsement=endorsement,
        row=row,
        history=history,
        profile=profile,
        candidate=candidate,
        tiers=staff.known_tiers(db.session),
        can_make_link=services.may_make_link(db.session, endorsement.organisation_id, candidate),
    )


@bp.route("/endorse", methods=["GET", "POST"])
@roles_required("employer")
def endorse():
    tiers = staff.known_tiers(db.session)
    form = EndorseForm()
    form.tier.choices = [(tier.id, tier.title) for tier in tiers.values()]
    if form.validate_on_submit():
        try:
            endorsed = services.endorse(
                db.session,
                current_user,
                name=form.name.data or "",
                email=form.email.data or "",
                registration_number=form.registration_number.data or "",
                tier=form.tier.data,
                now=utcnow(),
                link_for=set_password_link,
            )
        except Refused as exc:
            show_refusal(form, exc)
        else:
            return render_template(
                "employers/endorsed.html",
                endorsed=endorsed,
                tier=staff.tier_title(tiers, endorsed.endorsement.tier),
                can_make_link=services.may_make_link(
                    db.session, current_user.organisation_id, endorsed.candidate
                ),
            )
    status = 422 if request.method == "POST" else 200
    return render_template("employers/endorse.html", form=form, tiers=tiers), status


@bp.route("/endorsements/<int:endorsement_id>/withdraw", methods=["POST"])
@roles_required("employer")
def withdraw(endorsement_id: int):
    endorsement = _own_endorsement(endorsement_id)
    try:
        services.withdraw(db.session, current_user, endorsement, utcnow())
    except Refused as exc:
        flash(exc.message, "error")
        return redirect(url_for("employers.staff_member", endorsement_id=endorsement.id))
    flash(f"The endorsement of {endorsement.candidate.name} was withdrawn.", "success")
    return redirect(url_for("employers.staff_list"))


@bp.route("/staff/<int:endorsement_id>/password-link", methods=["POST"])
@roles_required("employer")
def password_link(endorsement_id: int):
    endorsement = _own_endorsement(endorsement_id)
    try:
        invitation = services.new_link_for_staff(
            db.session, current_user, endorsement.candidate, utcnow(), set_password_link
        )
    except Refused as exc:
        flash(exc.message, "error")
        return redirect(url_for("employers.staff_member", endorsement_id=endorsement.id))
    return render_template(
        "employers/new_link.html", invitation=invitation, endorsement=endorsement
    )


# A check may look up 20,000 numbers: each employer user gets an allowance of their own (per
# account, not per address, so that one office's staff do not share it, nor one user escape it
# by changing address). Counted in Redis across workers when NAAS_REDIS_URL is set.
BULK_CHECK_LIMIT = "10 per minute;60 per hour"


def _bulk_check_limit() -> str:
    return current_app.config.get("NAAS_BULK_CHECK_LIMIT", BULK_CHECK_LIMIT)


def _user_key() -> str:
    return f"bulk-check:user:{current_user.get_id()}"


@bp.route("/check", methods=["GET", "POST"])
@roles_required("employer")
@limiter.limit(_bulk_check_limit, key_func=_user_key, methods=["POST"])
def check():
    if request.method == "GET":
        return render_template("employers/check.html", report=None, error=None)
    now = utcnow()
    upload = request.files.get("file")
    data = (
        upload.read(bulk.MAX_BYTES + 1)
        if upload and upload.filename
        else request.form.get("numbers", "").encode("utf-8")
    )
    try:
        if not data.strip():
            raise bulk.FileRefused("Choose a CSV file, or paste the numbers, one on each line.")
        report = bulk.check(db.session, _organisation_id(), bulk.decode(data), uk_date(now))
    except bulk.FileRefused as exc:
        return render_template(
            "employers/check.html",
            report=None,
            error=str(exc),
            pasted=request.form.get("numbers", ""),
        ), 422
    if request.form.get("format") == "csv":
        return csv_response(
            f"check-{uk_date(now):%Y-%m-%d}.csv", bulk.CSV_HEADER, bulk.csv_rows(report)
        )
    return render_template(
        "employers/check.html", report=report, error=None, pasted=request.form.get("numbers", "")
    )
