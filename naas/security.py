"""Headers on every response, and the error pages."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError

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
        present = {key.lower() for key in headers.keys()}
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
            return {"error": title, "message": message}, status
        return render_template("error.html", status=status, title=title, message=message), status

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
