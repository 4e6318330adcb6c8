from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from naas import db
from naas.clock import now as utcnow
from naas.extensions import limiter
from naas.metrics import SIGNIN_FAILURES

from .decorators import public
from .forms import LoginForm
from .services import authenticate

bp = Blueprint("auth", __name__)

FAILED = "The email address or password is not right. Check both and try again."


def _login_limit() -> str:
    return current_app.config["NAAS_LOGIN_LIMIT"]


def _failure_limit() -> str:
    return current_app.config["NAAS_LOGIN_FAILURE_LIMIT"]


def _email_key() -> str:
    return "login-email:" + request.form.get("email", "").strip().lower()


def _failed(response) -> bool:
    """A sign-in that did not succeed shows the form again (200); a success redirects."""
    return response.status_code == 200


# Both limits count failed sign-ins only: a whole council office signs in from one address behind
# NAT on exam morning, and successful sign-ins must never lock its colleagues out. Per address, a
# generous ceiling against credential stuffing; per account, a tight one against guessing.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_failure_limit, methods=["POST"], key_func=_email_key, deduct_when=_failed)
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(
            db.session, form.email.data or "", form.password.data or "", now=utcnow()
        )
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("home.dashboard"))
        SIGNIN_FAILURES.inc()
        flash(FAILED, "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("You have signed out.", "info")
    return redirect(url_for("home.index"))


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an open redirect to another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
