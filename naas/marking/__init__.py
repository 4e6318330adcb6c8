"""Assessors' side: blind double marking, moderation, reviews, reliability; admins' release."""

from __future__ import annotations

from flask import Flask

from naas import db
from naas.clock import now as clock_now
from naas.home.views import admin_link, dashboard_panel

from . import services
from .views import admin_bp, bp

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    rules = services.ReliabilityRules()
    app.config.setdefault("NAAS_MARKING_CONTROL_RATE", services.CONTROL_RATE)
    app.config.setdefault("NAAS_MARKING_DRIFT_WINDOW", rules.drift_window)
    app.config.setdefault("NAAS_MARKING_CONTROL_BLOCK", rules.control_block)
    app.config.setdefault("NAAS_MARKING_CONTROL_DELAY_DAYS", rules.control_delay.days)
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    admin_link(app, "marking_admin.overview", "Marking, moderation and release of results")
    admin_link(app, "marking_admin.controls", "Control scripts")

    def _marking_panel(user):
        return {
            "open": services.open_marks(db.session, user),
            "counts": services.queue_counts(db.session, user, clock_now()),
        }

    dashboard_panel(app, "assessor", "marking/panel.html")(_marking_panel)
    dashboard_panel(app, "moderator", "marking/panel.html")(_marking_panel)
