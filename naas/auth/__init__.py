"""Signing in and out, password hashing, roles and the access decorators."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from naas import db
from naas.config import ConfigError
from naas.extensions import login_manager
from naas.models import User

from .decorators import roles_required
from .services import HASH_METHOD_KEY, hash_password
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

    _password_hash_method(app)
    app.register_blueprint(bp)


def _password_hash_method(app: Flask) -> None:
    """NAAS_PASSWORD_HASH_METHOD (app config only, never read from the environment) lets the
    tests hash with a cheap scrypt; any other environment hashes with the full one."""
    method = app.config.get("NAAS_PASSWORD_HASH_METHOD")
    if not method:
        return
    if app.config["NAAS_ENV"] != "testing":
        raise ConfigError(
            "NAAS_PASSWORD_HASH_METHOD is for the tests only (NAAS_ENV=testing); everywhere "
            "else passwords are hashed with the full scrypt: remove the setting"
        )
    try:
        hash_password("a trial password", method)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"NAAS_PASSWORD_HASH_METHOD is {method!r}, which cannot hash a password ({exc}); "
            "e.g. scrypt:128:8:1"
        ) from None
    sessions = app.extensions["naas.db"]
    sessions.configure(info={**sessions.kw.get("info", {}), HASH_METHOD_KEY: method})
