"""Assessors' side: blind double marking, moderation, reviews, reliability; admins' release."""
from __future__ import annotations

from flask import Flask

from naas import db
from naas.home.views import admin_link, dashboard_panel

from . import services
from .views import admin_bp, bp

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    admin_link(app, "marking_admin.overview", "Marking, moderation and release of results")
    admin_link(app, "marking_admin.controls", "Control scripts")

    def _marking_panel(user):
        return {"open": services.open_marks(db.session, user), "counts": services.queue_counts(db.session)}

    dashboard_panel(app, "assessor", "marking/panel.html")(_marking_panel)
    dashboard_panel(app, "moderator", "marking/panel.html")(_marking_panel)
