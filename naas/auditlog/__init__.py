"""The audit log's chain: sealing records into it, signed checkpoints kept in the database, in
a file outside it and at a public address, and verification (docs/audit.md). Records
themselves are written by naas/audit.py, from every feature."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from naas.jobs import scheduler

from . import jobs  # noqa: F401  (registers the job kinds)
from .views import bp

__all__ = ["init_app"]

SEAL_EVERY = timedelta(seconds=10)
VERIFY_EVERY = timedelta(hours=1)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    scheduler.every("seal_audit", SEAL_EVERY)
    scheduler.every("verify_audit", VERIFY_EVERY)
