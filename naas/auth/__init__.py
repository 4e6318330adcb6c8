"""Signing in and out, password hashing, roles and the access decorators."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from naas import db
from naas.extensions import login_manager
from naas.models import User

from .decorators import roles_required
from .views import bp

__all__ = ["init_app", "roles_required"]

# The signed-in user with their roles, in one statement built once: every request asks for it.
_USER = select(User).options(joinedload(User.role_rows)).where(User.id == bindparam("id"))


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
        user = db.session.execute(_USER, {"id": int(ident)}).unique().scalar_one_or_none()
        if user is None or user.session_version != int(version):
            return None  # signed out by a password change or deactivation
        return user

    app.register_blueprint(bp)
