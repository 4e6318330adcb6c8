"""The candidate's account page (their consent to share their profile with their employer),
and the public page where a set-password link is used."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, logout_user
from sqlalchemy import select

from naas import db
from naas.auth import roles_required
from naas.auth.decorators import public
from naas.auth.services import AccountError
from naas.clock import now as utcnow
from naas.extensions import limiter
from naas.models import Endorsement

from . import services
from .forms import SetPasswordForm
from .invitations import INVALID_LINK, LinkRefused, set_password_with_link, usable_link

bp = Blueprint("account", __name__)

SET_PASSWORD_LIMIT = "10 per minute;60 per hour"


def _set_password_limit() -> str:
    return current_app.config.get("NAAS_SET_PASSWORD_LIMIT", SET_PASSWORD_LIMIT)


@bp.route("/account")
@roles_required("candidate")
def account():
    if current_user.profile is None:
        abort(404)
    employers = sorted(
        {
            e.organisation.name
            for e in db.session.scalars(
                select(Endorsement).where(
                    Endorsement.candidate_id == current_user.id, Endorsement.withdrawn_at.is_(None)
                )
            )
        }
    )
    return render_template(
        "employers/account.html", profile=current_user.profile, employers=employers
    )


@bp.route("/account/sharing", methods=["POST"])
@roles_required("candidate")
def sharing():
    choice = request.form.get("share")
    if choice not in ("yes", "no") or current_user.profile is None:
        flash(
            "Choose whether to share your profile with your employer. Nothing was changed.", "error"
        )
        return redirect(url_for("account.account"))
    changed = services.set_profile_sharing(db.session, current_user, choice == "yes", utcnow())
    if not changed:
        flash("Your choice was already recorded: nothing was changed.", "info")
    elif choice == "yes":
        flash(
            "Your employer can now see your profile across the areas of the Knowledge and Skills Statement.",
            "success",
        )
    else:
        flash(
            "Your employer can no longer see your profile across the areas: only your outcome and its dates.",
            "success",
        )
    return redirect(url_for("account.account"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(_set_password_limit)
@public
def set_password(token: str):
    now = utcnow()
    if usable_link(db.session, token, now) is None:
        return render_template("employers/link_invalid.html", message=INVALID_LINK), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            set_password_with_link(db.session, token, form.password.data or "", now)
        except LinkRefused as exc:
            return render_template("employers/link_invalid.html", message=str(exc)), 404
        except AccountError as exc:
            form.password.errors = [*form.password.errors, str(exc)]
        else:
            if current_user.is_authenticated:
                logout_user()  # whoever was signed in on this browser, the link was for its owner
            flash(
                "Your password is set. Sign in with your email address and the new password.",
                "success",
            )
            return redirect(url_for("auth.login"))
    return render_template("employers/set_password.html", form=form), (
        422 if request.method == "POST" else 200
    )
