"""Equality monitoring and the fairness report (docs/fairness.md): candidates' optional
answers, kept apart from everything else, and an admin report per tier of outcomes by group,
differential item functioning and marker effects."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user

from naas import db
from naas.demo import demo_seeder
from naas.home.views import admin_link, dashboard_panel

from . import demo, jobs, services  # noqa: F401  (jobs: registers the fairness job)
from .views import admin_bp, bp

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    admin_link(app, "fairness_admin.index", "Fairness report: outcomes by group and DIF")
    demo_seeder(app, demo.seed)

    @dashboard_panel(app, "candidate", "equality/panel.html")
    def _candidate_panel(user):
        record = services.answers_of(db.session, user.id)
        return {
            "consented": services.has_consented(record),
            "withdrawn": record is not None and record.withdrawn_at is not None,
        }

    @app.template_global("equality_invitation")
    def _invitation() -> bool:
        """Whether to invite the signed-in candidate to answer before a sitting (never required)."""
        return (
            current_user.is_authenticated
            and current_user.has_role("candidate")
            and services.should_invite(db.session, current_user.id)
        )
