"""Admin pages: organisations and their employer users, and the outbox: every email, its
delivery, and a resend for one that failed."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from naas import db, mail
from naas.auth import roles_required
from naas.clock import now as utcnow
from naas.models import Endorsement, Organisation, OutboxMessage, User, UserRole

from . import services
from .forms import KIND_LABELS, EmployerUserForm, OrganisationForm, show_refusal
from .links import set_password_link
from .sealing import opened_in
from .services import Refused

bp = Blueprint("employers_admin", __name__, url_prefix="/admin")

OUTBOX_PAGE = 50
OUTBOX_FILTERS = {  # the choice in the page's filter: its label and the states it shows
    "all": ("All messages", ()),
    "pending": ("Waiting to be sent", ("pending", "sending")),
    "failed": ("Failed", ("failed",)),
    "sent": ("Sent", ("sent",)),
}
STATE_LABELS = {
    "pending": "Waiting to be sent",
    "sending": "Being sent",
    "sent": "Sent",
    "failed": "Failed",
    "cancelled": "Not sent",
}


@bp.route("/organisations", methods=["GET", "POST"])
@roles_required("admin")
def organisations():
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            organisation = services.create_organisation(
                db.session, form.name.data or "", form.kind.data, current_user.id, utcnow()
            )
        except Refused as exc:
            show_refusal(form, exc)
        else:
            return redirect(
                url_for("employers_admin.organisation", organisation_id=organisation.id)
            )
    employers = dict(
        db.session.execute(
            select(User.organisation_id, func.count())
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "employer")
            .group_by(User.organisation_id)
        ).all()
    )
    endorsements = dict(
        db.session.execute(
            select(Endorsement.organisation_id, func.count())
            .where(Endorsement.withdrawn_at.is_(None))
            .group_by(Endorsement.organisation_id)
        ).all()
    )
    rows = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    return render_template(
        "employers/admin_organisations.html",
        form=form,
        rows=rows,
        employers=employers,
        endorsements=endorsements,
        kinds=KIND_LABELS,
    ), (422 if form.errors else 200)


def _organisation(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    return organisation


def _organisation_page(
    organisation: Organisation, form: EmployerUserForm, invitation=None, status: int = 200
):
    users = db.session.scalars(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.organisation_id == organisation.id, UserRole.role == "employer")
        .order_by(User.name)
    ).all()
    return render_template(
        "employers/admin_organisation.html",
        organisation=organisation,
        users=users,
        form=form,
        invitation=invitation,
        kinds=KIND_LABELS,
    ), status


@bp.route("/organisations/<int:organisation_id>")
@roles_required("admin")
def organisation(organisation_id: int):
    return _organisation_page(_organisation(organisation_id), EmployerUserForm())


@bp.route("/organisations/<int:organisation_id>/employers", methods=["POST"])
@roles_required("admin")
def add_employer(organisation_id: int):
    organisation = _organisation(organisation_id)
    form = EmployerUserForm()
    if form.validate_on_submit():
        try:
            invitation = services.create_employer_user(
                db.session,
                organisation,
                name=form.name.data or "",
                email=form.email.data or "",
                actor_id=current_user.id,
                now=utcnow(),
                link_for=set_password_link,
            )
        except Refused as exc:
            show_refusal(form, exc)
        else:
            return _organisation_page(organisation, EmployerUserForm(formdata=None), invitation)
    return _organisation_page(organisation, form, status=422)


@bp.route("/outbox")
@roles_required("admin")
def outbox():
    shown = request.args.get("state", "all")
    if shown not in OUTBOX_FILTERS:
        shown = "all"
    page = max(request.args.get("page", 1, type=int), 1)
    query = select(OutboxMessage)
    if shown != "all":
        query = query.where(OutboxMessage.state.in_(OUTBOX_FILTERS[shown][1]))
    total = db.session.scalars(select(func.count()).select_from(query.subquery())).one()
    on_page = db.session.scalars(
        query.order_by(OutboxMessage.id.desc()).offset((page - 1) * OUTBOX_PAGE).limit(OUTBOX_PAGE)
    ).all()
    # links unsealed for this page only
    messages = [(message, opened_in(db.session, message.body)) for message in on_page]
    return render_template(
        "employers/admin_outbox.html",
        messages=messages,
        page=page,
        total=total,
        pages=max((total + OUTBOX_PAGE - 1) // OUTBOX_PAGE, 1),
        shown=shown,
        filters={name: label for name, (label, _) in OUTBOX_FILTERS.items()},
        states=STATE_LABELS,
    )


@bp.route("/outbox/<int:message_id>/resend", methods=["POST"])
@roles_required("admin")
def resend_message(message_id: int):
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    try:
        mail.resend(db.session, message, current_user.id, utcnow())
    except mail.ResendRefused as exc:
        flash(str(exc), "error")
        return redirect(url_for("employers_admin.outbox")), 303
    flash(f"“{message.subject}” will be sent again to {message.to_email}.", "success")
    return redirect(url_for("employers_admin.outbox", state="failed"))
