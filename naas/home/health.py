"""Health for load balancers and orchestrators: /livez (the process answers) and /readyz
(everything a request needs answers: the database, its schema, the bank, Redis where
configured, the templates). /healthz is kept as an alias of /readyz.

A node that fails any check answers 503 with the failing check named, so a load balancer
takes it out of rotation instead of sending users to pages that would fail."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from sqlalchemy import select, text

from naas import db
from naas.auth.decorators import public
from naas.migrate import current_revision, head_revision
from naas.models import ScenarioVersion

bp = Blueprint("health", __name__)


def _database() -> str | None:
    db.session.execute(text("SELECT 1"))
    return None


def _migrations() -> str | None:
    current = current_revision(db.session.connection())
    if current == head_revision():
        return None
    return f"the database schema is at {current or 'no revision'}, not {head_revision()}: run naas db upgrade"


def _bank() -> str | None:
    loaded = db.session.scalar(
        select(ScenarioVersion.id).where(ScenarioVersion.status == "live").limit(1)
    )
    return None if loaded is not None else "no live question bank is loaded: run naas bank load"


def _redis() -> str | None:
    url = current_app.config.get("NAAS_REDIS_URL")
    if not url:
        return None
    import redis

    redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    return None


def _templates() -> str | None:
    current_app.jinja_env.get_template("base.html")
    return None


CHECKS = (
    ("database", _database),
    ("migrations", _migrations),
    ("bank", _bank),
    ("redis", _redis),
    ("templates", _templates),
)


def readiness() -> tuple[dict[str, Any], int]:
    results: dict[str, str] = {}
    for name, check in CHECKS:
        try:
            problem = check()
        except Exception as exc:  # any failure of a dependency means not ready, whatever its kind
            problem = (
                f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else 'failed'}"
            )
        if problem is None:
            results[name] = (
                "ok"
                if name != "redis" or current_app.config.get("NAAS_REDIS_URL")
                else "not configured"
            )
        else:
            current_app.logger.error("readiness: %s: %s", name, problem)
            results[name] = problem
            if name == "database":
                db.session.rollback()
    failing = [name for name, value in results.items() if value not in ("ok", "not configured")]
    body: dict[str, Any] = {"status": "unavailable" if failing else "ok", "checks": results}
    if failing:
        body["failing"] = failing
    return body, 503 if failing else 200


@bp.route("/livez")
@public
def livez():
    return {"status": "ok"}


@bp.route("/readyz")
@public
def readyz():
    return readiness()


@bp.route("/healthz")
@public
def healthz():
    return readiness()
