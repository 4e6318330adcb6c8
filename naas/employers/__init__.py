"""Employers: endorsing staff, following their progress and accreditation, checking numbers
in bulk; the candidate's consent to share their profile; set-password links; and the admin
pages for organisations, employer users and the outbox."""

from __future__ import annotations

from flask import Flask

from naas import db
from naas.certificates.services import uk_date
from naas.clock import now as utcnow
from naas.home.views import admin_link, dashboard_panel

from . import account, admin, staff, views
from .sealing import OUTBOX_FALLBACK_KEYS, OUTBOX_KEY, outbox_key

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    # Sessions carry the outbox's key, so that a link made outside a request (a command) is sealed too.
    sessions = app.extensions["naas.db"]
    sessions.configure(
        info={
            **sessions.kw.get("info", {}),
            OUTBOX_KEY: outbox_key(app.config.get("SECRET_KEY")),
            OUTBOX_FALLBACK_KEYS: [
                outbox_key(old) for old in app.config.get("SECRET_KEY_FALLBACKS") or ()
            ],
        }
    )
    app.register_blueprint(views.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(admin.bp)
    admin_link(app, "employers_admin.organisations", "Organisations and employer accounts")
    admin_link(app, "employers_admin.outbox", "Outbox: emails and their delivery")

    @dashboard_panel(app, "employer", "employers/panel.html")
    def _employer_panel(user):
        if user.organisation_id is None:
            return {"counts": {}, "total": 0}
        now = utcnow()
        staff.submit_overdue(db.session, user.organisation_id, now)
        rows = staff.staff_rows(db.session, user.organisation_id, uk_date(now))
        db.session.commit()  # a sitting found past its deadline stays submitted
        return {"counts": staff.status_counts(rows), "total": len(rows)}

    @dashboard_panel(app, "candidate", "employers/candidate_panel.html")
    def _candidate_panel(user):
        return {"profile": user.profile}
