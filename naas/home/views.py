"""The home page, each role's dashboard, and the health check."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required
from sqlalchemy import text

from naas import db
from naas.auth.decorators import public

bp = Blueprint("home", __name__)


@bp.route("/")
@public
def index():
    return render_template("home/index.html")


@bp.route("/dashboard")
@login_required
def dashboard():
    """One page for whatever roles the user holds. Each feature area registers a function
    giving its role's panel the data it shows (see `dashboard_panel`)."""
    providers = current_app.extensions.get("naas.dashboard", {})
    panels = {role: provider(current_user) for role, provider in providers.items()
              if current_user.has_role(role)}
    return render_template("home/dashboard.html", panels=panels)


def dashboard_panel(app, role: str):
    """Register the function that gathers what `role`'s dashboard panel shows."""
    def register(provider):
        app.extensions.setdefault("naas.dashboard", {})[role] = provider
        return provider
    return register


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any database failure means unhealthy, whatever its kind
        current_app.logger.error("health check: database unreachable: %s", exc)
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}
