"""Item statistics and reliability, and their admin pages (docs/psychometrics.md)."""

from __future__ import annotations

from flask import Flask

from naas.home.views import admin_link

from .views import admin_bp

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    app.register_blueprint(admin_bp)
    admin_link(app, "statistics_admin.index", "Item statistics and reliability")
