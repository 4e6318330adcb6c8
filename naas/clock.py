"""The one place a request reads the time. Tests set NAAS_CLOCK to move time on."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app


def now() -> datetime:
    clock = current_app.config.get("NAAS_CLOCK")
    return clock() if clock is not None else datetime.now(UTC)
