"""Small helpers for templates."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def time_left(deadline: datetime, now: datetime) -> str:
    seconds = max(0, int((deadline - now).total_seconds()))
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def uk_time(moment: datetime) -> str:
    """A moment as a clock in England shows it, with its zone: '14:05 BST', '09:30 GMT'."""
    return moment.astimezone(LONDON).strftime("%H:%M %Z")
