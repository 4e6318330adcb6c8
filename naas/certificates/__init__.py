"""Certificates: issued at release for a pass, signed, rendered as PDF, verifiable by anyone."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from naas import db
from naas.home.views import admin_link, dashboard_panel

from .services import (
    SIGNING_KEY,
    TRUSTED_KEYS,
    certificates_of,
    issue_for_result,
    record_intact,
    uk_date,
)
from .signing import instance_key, parse_key, retired_keys
from .status import expiring_soon, status_of
from .views import admin_bp, bp, today

__all__ = ["certificates_of", "expiring_soon", "init_app", "issue_for_result", "status_of"]


def init_app(app: Flask) -> None:
    configured = app.config.get("NAAS_SIGNING_KEY")
    if configured:
        key = parse_key(configured)
    elif app.config["NAAS_ENV"] in ("demo", "testing"):
        key = instance_key(Path(app.instance_path))
    else:
        key = None
    if key is not None:
        app.extensions[SIGNING_KEY] = key
        sessions = app.extensions["naas.db"]
        sessions.configure(
            info={**sessions.kw.get("info", {}), SIGNING_KEY: key}
        )  # see services.signing_key
    current = {key.kid: key.public} if key is not None else {}
    app.extensions[TRUSTED_KEYS] = {
        **retired_keys(app.config.get("NAAS_SIGNING_RETIRED_KEYS")),
        **current,
    }
    # In production without a key the app refused to start (config.check); a command that does
    # not serve may still run, and says so if it comes to sign something.

    app.add_template_filter(lambda moment: f"{uk_date(moment):%-d %B %Y}", "uk_date")
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    admin_link(app, "certificates_admin.index", "Certificates: look up and revoke")

    @dashboard_panel(app, "candidate", "certificates/panel.html")
    def _candidate_panel(user):
        day, rows = today(), []
        for c in certificates_of(db.session, user.id):
            intact = record_intact(
                c
            )  # a row changed without the key is shown as such, without downloads
            rows.append(
                (
                    c,
                    status_of(c, day) if intact else "unverifiable",
                    intact and expiring_soon(c, day),
                )
            )
        return {"rows": rows}
