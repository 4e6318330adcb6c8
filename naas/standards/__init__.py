"""Standard setting (modified Angoff): exercises, the panel's two rounds of ratings, approval
and the report. Scoring reads approved standards through `lookup`, which imports only models,
so the blueprints are imported only when the app is built."""

from __future__ import annotations

from flask import Flask

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    from naas import db
    from naas.demo import demo_seeder
    from naas.home.views import admin_link, dashboard_panel

    from . import demo, services
    from .views import admin_bp, bp

    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    admin_link(app, "standards_admin.index", "Standard setting (modified Angoff)")
    app.add_template_filter(services.rating_text, "rating")
    demo_seeder(app, demo.seed)

    def _judge_panel(user):
        exercises = services.judge_exercises(db.session, user)
        if not exercises and not user.has_role("standard_setter"):
            return None  # an assessor on no panel sees no standard-setting panel
        return {"exercises": exercises, "label": services.status_label}

    dashboard_panel(app, "standard_setter", "standards/panel.html")(_judge_panel)
    dashboard_panel(app, "assessor", "standards/panel.html")(_judge_panel)
