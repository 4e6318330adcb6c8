"""The application factory."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from pathlib import Path
from typing import Any

from flask import Flask

from . import config as config_module
from . import db
from .extensions import csrf, limiter, login_manager

# The feature areas, each a package with `init_app(app)`. Add a new area here.
FEATURES = (
    "mail",
    "sitting",
    "marking",
    "employers",
    "certificates",
    "standards",
    "statistics",
    "equality",
    "jobs",
    "auditlog",
)


def create_app(config: Mapping[str, Any] | None = None, *, serving: bool = True) -> Flask:
    """Build the application. `config` overrides settings read from the environment.

    `serving=False` is for commands that do not answer web requests (checking a bank,
    migrating the database): they may run without a secret key.
    """
    app = Flask(
        __name__,
        template_folder=str(config_module.TEMPLATES),
        instance_relative_config=True,
    )
    settings = config_module.from_environment(config_module.environ(), app.instance_path)
    settings.update(config or {})
    if settings["NAAS_ENV"] in ("demo", "testing") and not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    config_module.check(settings, serving=serving)
    app.config.update(settings)
    if app.config["SECRET_KEY"] is None:
        app.config["SECRET_KEY"] = "not-serving"  # commands only: no sessions are signed
    if app.config["SECRET_KEY_FALLBACKS"]:
        # Flask checks sessions against the fallbacks itself; form tokens are signed by
        # itsdangerous too, which signs with the last key of a list and accepts any of them.
        app.config.setdefault(
            "WTF_CSRF_SECRET_KEY", [*app.config["SECRET_KEY_FALLBACKS"], app.config["SECRET_KEY"]]
        )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["NAAS_PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["NAAS_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    from . import ratelimit  # also registers naas-memory://, the storage without Redis

    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["NAAS_REDIS_URL"] or "naas-memory://")
    if app.config["NAAS_REDIS_URL"]:
        # Redis gone must not take sign-in or the public checks down with it: a short wait, then
        # the limits fail open with a warning in the log (naas/ratelimit.py, Flask-Limiter's
        # swallow_errors) until it answers again.
        app.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
        )
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    # Said for each app: Flask-Limiter would otherwise give a new app the last one's setting.
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    _check_limits_only_where_declared(app)
    ratelimit.init_app(app)

    from . import auth, home, observability, security

    observability.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    app.register_blueprint(home.bp)
    app.register_blueprint(home.health_bp)
    for name in FEATURES:
        import_module(f"naas.{name}").init_app(
            app
        )  # each registers its blueprint, panels and links

    from .engine.items.free_text import word_count
    from .markdown import render as render_markdown
    from .templating import time_left, uk_time

    app.add_template_filter(render_markdown, "markdown")
    app.add_template_filter(uk_time, "uk_time")
    app.add_template_global(time_left)
    app.add_template_global(word_count)
    app.add_template_global(lambda name: name in app.view_functions, "has_endpoint")

    from .cli import register_commands

    register_commands(app)
    return app


def _check_limits_only_where_declared(app: Flask) -> None:
    """Every rate limit here is declared on its view, whose decorator checks it. Flask-Limiter
    also checks before every request, for limits set on the whole app or a blueprint: there
    are none, and that check cost a fifth of a public certificate check and something on every
    autosave. It stays if such a limit is ever configured."""
    manager = limiter.limit_manager
    if manager._default_limits or manager._application_limits or manager._blueprint_limits:
        return
    checks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in checks:  # absent where RATELIMIT_ENABLED is off
        checks.remove(limiter._check_request_limit)


def _instance_secret(instance: Path) -> str:
    """Demo and tests only: a random key kept in the instance folder, never a fixed one."""
    import secrets

    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "demo-secret-key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
