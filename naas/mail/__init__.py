"""Email: the message catalogue, the transports (SMTP, GOV.UK Notify, the outbox only) and the
delivery of outbox messages with retries. See docs/email.md."""

from flask import Flask

from .delivery import (
    Delivery,
    Outcome,
    ResendRefused,
    deliver,
    due_messages,
    queue_message,
    resend,
)
from .links import configure_sessions
from .reminders import queue_expiry_reminders
from .transports import transport_from_config

__all__ = [
    "Delivery",
    "Outcome",
    "ResendRefused",
    "deliver",
    "due_messages",
    "init_app",
    "queue_expiry_reminders",
    "queue_message",
    "resend",
    "transport_from_config",
]


def init_app(app: Flask) -> None:
    configure_sessions(app)
