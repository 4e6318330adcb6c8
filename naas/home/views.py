"""The home page, each role's dashboard, and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required

from naas.auth.decorators import public

bp = Blueprint("home", __name__)


@bp.route("/")
@public
def index():
    return render_template("home/index.html")


@bp.route("/dashboard")
@login_required
def dashboard():
    """One page for whatever roles the user holds. Each feature area adds panels for a role
    with `dashboard_panel`: a template and a function gathering what it shows."""
    registry = current_app.extensions.get("naas.dashboard", [])
    panels, seen = [], set()
    for role, template, provider in registry:
        if (
            current_user.has_role(role) and template not in seen
        ):  # one panel may serve several roles
            seen.add(template)
            data = provider(current_user)
            if data is None:  # the provider has nothing to show this user
                continue
            roles = [r for r, t, _ in registry if t == template and current_user.has_role(r)]
            panels.append((" ".join(roles), template, data))
    shown_roles = {r for roles, _, _ in panels for r in roles.split()}
    admin_links = current_app.extensions.get("naas.admin_links", [])
    return render_template(
        "home/dashboard.html", panels=panels, shown_roles=shown_roles, admin_links=admin_links
    )


def dashboard_panel(app, role: str, template: str):
    """Register a panel of `role`'s dashboard: `template` rendered with `data` from the provider
    (which may return None to show no panel to this user)."""

    def register(provider):
        app.extensions.setdefault("naas.dashboard", []).append((role, template, provider))
        return provider

    return register


def admin_link(app, endpoint: str, label: str) -> None:
    """Add a link to the admin dashboard panel (each feature area adds its own pages)."""
    app.extensions.setdefault("naas.admin_links", []).append((endpoint, label))
