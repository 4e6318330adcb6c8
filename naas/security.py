"""Headers on every response, and the error pages."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Request, g, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import InternalServerError

from .extensions import login_manager
from .metrics import DATABASE_UNAVAILABLE, SERVER_ERRORS
from .observability import request_id
from .ratelimit import LimitReached

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)


HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


def init_app(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        headers = response.headers
        present = {key.lower() for key, _value in headers.items()}
        # Appended, not set: setting a header searches the list for one to replace, and
        # `present` has already said there is none.
        headers.extend(
            (key, value) for key, value in HEADERS if key.lower() not in present
        )  # a view's own wins
        if "strict-transport-security" not in present and (
            app.config["NAAS_HTTPS"] or request.is_secure
        ):
            headers.add("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        if "cache-control" not in present and request.endpoint != "static":
            headers.add("Cache-Control", "no-store")
        return response

    def _error(status: int, title: str, message: str):
        if (
            request.path.startswith("/api/")
            or request.accept_mimetypes.best == "application/json"
            or request.is_json
        ):
            return {"error": title, "message": message, "request_id": request_id()}, status
        return render_template("error.html", status=status, title=title, message=message), status

    def _unavailable():
        """The database did not answer (restarting, failing over, unreachable). Nothing was
        changed by this request; the pool reconnects by itself once the server is back."""
        DATABASE_UNAVAILABLE.inc()
        app.logger.warning("database unavailable", exc_info=True)
        # The page must not ask the database who is signed in: show it as to a visitor.
        g._login_user = login_manager.anonymous_user()
        body, status = _error(
            503,
            "Sorry, the service is unavailable",
            "The service could not reach its database. Nothing was changed by this request "
            "and your saved answers are safe. Try again in a minute.",
        )
        return body, status, {"Retry-After": "30"}

    @app.errorhandler(DBAPIError)
    def _database_error(error: DBAPIError):
        if database_unavailable(error):
            return _unavailable()
        raise error  # any other database error is a bug: Flask logs it and answers 500

    @app.errorhandler(500)
    def _server_error(error: InternalServerError):
        original = getattr(error, "original_exception", None)
        if database_unavailable(original):  # e.g. the commit after the view, or a psycopg read
            return _unavailable()
        SERVER_ERRORS.inc()
        g._login_user = login_manager.anonymous_user()
        return _error(
            500,
            "Sorry, there is a problem with the service",
            "Something went wrong on our side and nothing was changed by this request. Try "
            "again later; if it keeps happening, contact support and quote the reference below.",
        )

    def _refuse_control_characters():
        """Refuse a request whose fields carry a control character: NUL (which PostgreSQL
        cannot store and would fail the request half-way) and the others no person types.
        Tab and line breaks are text in a form's fields and a JSON answer; a query parameter
        takes none. Checked before anything else reads the request, so nothing is changed."""
        where = _control_character(request)
        if where is None:
            return None
        return _error(
            400,
            "There is a problem with what was sent",
            f"{where} contains a character that cannot be typed (a control character such as "
            "NUL). Nothing was changed. Remove it (retype the text rather than pasting it) and "
            "try again.",
        )

    # straight after the request id is given (naas/observability.py), ahead of the CSRF check
    # and anything else that reads the form
    app.before_request_funcs.setdefault(None, []).insert(1, _refuse_control_characters)

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return _error(
            400,
            "Form expired or invalid",
            "This form could not be accepted because its security token was missing or "
            "out of date. Nothing was changed. Go back, reload the page and try again.",
        )

    @app.errorhandler(403)
    def _forbidden(_error_):
        return _error(403, "Not allowed", "Your account does not have access to this page.")

    @app.errorhandler(404)
    def _not_found(_error_):
        return _error(404, "Page not found", "There is nothing at this address.")

    @app.errorhandler(405)
    def _method(_error_):
        return _error(405, "Not allowed", "This address does not accept that kind of request.")

    @app.errorhandler(429)
    def _too_many(error):
        body, status = _error(
            429,
            "Too many attempts",
            "There have been too many attempts from here. Wait a few minutes and try again.",
        )
        return body, status, error.headers if isinstance(error, LimitReached) else {}

    @app.errorhandler(413)
    def _too_large(_error_):
        return _error(413, "Too large", "What you sent is larger than this service accepts.")


def database_unavailable(error: BaseException | None) -> bool:
    """Whether `error` says the database could not be reached or dropped the connection, as
    opposed to a statement that failed (which is a bug and a 500)."""
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    # Public checks read with psycopg's own prepared statements (naas/db.py, reading()).
    return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)


# C0 controls and DEL and the C1 controls, less tab, line feed and carriage return (text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _control_character(incoming: Request) -> str | None:
    """Where the request carries a control character ("The field 'email'"), or None."""
    for name, value in incoming.args.items(multi=True):
        if _CONTROL_OR_BREAK.search(name) or _CONTROL_OR_BREAK.search(value):
            return f"The address\u2019s parameter \u201c{_shown(name)}\u201d"
    if incoming.method in ("POST", "PUT", "PATCH"):
        if incoming.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for name, value in incoming.form.items(multi=True):
                if _CONTROL.search(name) or _CONTROL.search(value):
                    return f"The field \u201c{_shown(name)}\u201d"
        elif incoming.is_json:
            payload = incoming.get_json(silent=True)
            if payload is not None and _json_has_control(payload):
                return "The answer"
    return None


def _json_has_control(value: Any) -> bool:
    if isinstance(value, str):
        return _CONTROL.search(value) is not None
    if isinstance(value, dict):
        return any(_json_has_control(k) or _json_has_control(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_json_has_control(v) for v in value)
    return False


def _shown(name: str) -> str:
    return _CONTROL_OR_BREAK.sub("?", name)[:40]
