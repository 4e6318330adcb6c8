"""The candidate's side: starting, sitting and submitting a test, and seeing the result."""

from __future__ import annotations

from flask import Flask

from naas import db
from naas.clock import now as utcnow
from naas.home.views import admin_link, dashboard_panel

from .services import candidate_overview
from .views import admin_bp, bp

__all__ = ["bp", "init_app"]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    admin_link(app, "sitting_admin.extra_time", "Extra time for a candidate")

    @dashboard_panel(app, "candidate", "sitting/panel.html")
    def _candidate_panel(user):
        overview = candidate_overview(db.session, user, utcnow())
        db.session.commit()  # an expired sitting found here stays submitted
        return overview
