"""The candidate's side: starting, sitting and submitting a test, and seeing the result."""
from __future__ import annotations

from flask import Flask

from naas import db
from naas.clock import now as utcnow
from naas.home.views import dashboard_panel

from .services import candidate_overview
from .views import bp

__all__ = ["bp", "init_app"]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @dashboard_panel(app, "candidate", "sitting/panel.html")
    def _candidate_panel(user):
        overview = candidate_overview(db.session, user, utcnow())
        db.session.commit()  # an expired sitting found here stays submitted
        return overview
