"""Signing in and out, password hashing, roles and the access decorators."""
from __future__ import annotations

from flask import Flask

from naas import db
from naas.extensions import login_manager
from naas.models import User

from .decorators import roles_required
from .views import bp

__all__ = ["init_app", "roles_required"]


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(user_id: str) -> User | None:
        ident, _, version = user_id.partition(":")
        if not ident.isdigit() or not version.isdigit():
            return None
        user = db.session.get(User, int(ident))
        if user is None or user.session_version != int(version):
            return None  # signed out by a password change or deactivation
        return user

    app.register_blueprint(bp)
