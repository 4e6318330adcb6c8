"""What operators see: a request id on every request, one structured log line per request,
Prometheus metrics at /metrics, and error pages that carry the request id.

The request id comes from the proxy's `X-Request-ID` when it is well formed (so a line in
nginx's log and a line in ours can be matched), or is made here; it goes back in the response's
`X-Request-ID` and on every error page, so a user who reports a problem can quote it.

A log line names the route's rule (`/sittings/<int:sitting_id>/answers`), never the path with
its values or the query string: a set-password token or a search must not reach the logs, and
neither may a form field, which is why no request body is ever logged.

Metrics are prometheus_client's. Under gunicorn each worker is a process of its own:
`naas serve` points PROMETHEUS_MULTIPROC_DIR at an empty folder before the workers start, and
/metrics then adds up every worker's figures (naas/gunicorn_conf.py tidies a dead worker's)."""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from naas.auth.decorators import public
from naas.metrics import (
    HTTP_DURATION,
    HTTP_REQUESTS,
    RATE_LIMIT_REFUSALS,
    RATE_LIMIT_STORAGE_ERRORS,
)

REQUEST_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")
REQUEST_LOG = logging.getLogger("naas.request")

bp = Blueprint("observability", __name__)
# Feature areas add functions here that set gauges from the database just before a scrape.
METRICS_REFRESH = "naas.metrics_refresh"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    def _start() -> None:
        g.request_started = time.perf_counter()
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex

    # first of everything before a request: every later check's refusal carries the id
    app.before_request_funcs.setdefault(None, []).insert(0, _start)

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = request_id()
        _record(response.status_code)
        return response

    app.add_template_global(request_id)


def request_id() -> str:
    """This request's id (made on first use outside the request hooks, e.g. in a test)."""
    if "request_id" not in g:
        g.request_id = uuid.uuid4().hex
    return str(g.request_id)


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"


def _record(status: int) -> None:
    started = g.get("request_started")
    seconds = time.perf_counter() - started if started is not None else 0.0
    route, method = _route(), request.method
    if route == "/metrics":
        return  # a scraper every 15 s would otherwise outnumber the users
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_DURATION.labels(method, route).observe(seconds)
    if status == 429:
        RATE_LIMIT_REFUSALS.labels(route).inc()
    REQUEST_LOG.info(
        "%s %s %s %.1f ms",
        method,
        route,
        status,
        seconds * 1000,
        extra={
            "event": "request",
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "user_id": _user_id(),
        },
    )


def _user_id() -> int | None:
    """The signed-in user's id, if the request already knew it: the log never loads a user."""
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "id", None)


# Logging -------------------------------------------------------------------------------------

# Attributes every LogRecord has; anything else on a record was passed as `extra` and is logged.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id where there is a
    request, and the fields a caller passed as `extra`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        rid = _current_request_id()
        if rid is not None:
            line["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        rid = _current_request_id()
        return f"{text} [request {rid}]" if rid else text


def _current_request_id() -> str | None:
    from flask import has_request_context

    if has_request_context():
        return g.get("request_id")
    return None


LOG_FORMATS = {"json": JsonFormatter, "text": TextFormatter}


def configure_logging(app: Flask) -> None:
    """Once per process, by the process's entry point (naas/wsgi.py for gunicorn's workers, the
    job worker, the scheduler): the `naas` loggers (the app's own, requests, features) write to
    standard error in NAAS_LOG_FORMAT. An app built elsewhere (tests, other commands) leaves
    logging as Python has it, so pytest captures the records."""
    logger = logging.getLogger("naas")
    if getattr(logger, "_naas_configured", False):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LOG_FORMATS[app.config["NAAS_LOG_FORMAT"]]())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger._naas_configured = True  # type: ignore[attr-defined]
    # Flask's app.logger is named after the import name, "naas": already covered. Flask-Limiter
    # says here when its storage failed; count that for the metric.
    logging.getLogger("flask-limiter").addFilter(_count_limiter_storage_errors)


def _count_limiter_storage_errors(record: logging.LogRecord) -> bool:
    if record.exc_info or "storage" in record.getMessage().lower():
        RATE_LIMIT_STORAGE_ERRORS.inc()
    return True


# /metrics ------------------------------------------------------------------------------------


@bp.route("/metrics")
@public
def metrics() -> Response:
    """Prometheus metrics, for the monitoring system only: with NAAS_METRICS_TOKEN set, a
    request must carry it as a bearer token; without one, only this machine may read them."""
    token = current_app.config.get("NAAS_METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            abort(404)  # no hint that something is here
    elif not _loopback(request.remote_addr) or "X-Forwarded-For" in request.headers:
        abort(404)  # a request through the proxy comes from loopback too, but says so
    for refresh in current_app.extensions.get(METRICS_REFRESH, ()):
        refresh()  # figures read at scrape time, e.g. jobs waiting (naas/jobs)
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
