"""Ways an email leaves the service: SMTP, GOV.UK Notify, or not at all (the outbox only).

Each transport sends one `Email` and returns the provider's reference for it, or raises
`DeliveryError` saying whether trying again later could help (`temporary`: a server that is
down or busy) or not (a recipient or request refused for good), with the provider's reason.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol

from naas.config import ConfigError

OUTBOX_ONLY_REFERENCE = "outbox-only"


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str | None
    reference: str  # ours: names the message in the provider's records


class DeliveryError(Exception):
    def __init__(self, reason: str, *, temporary: bool):
        super().__init__(reason)
        self.reason = reason
        self.temporary = temporary


class Transport(Protocol):
    name: str

    def send(self, email: Email) -> str: ...


class OutboxOnlyTransport:
    """Sends nothing: for the demo and development, where an admin reads the outbox page."""

    name = "outbox"

    def send(self, email: Email) -> str:
        return OUTBOX_ONLY_REFERENCE


def _smtp_reason(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"the mail server answered {code} {' '.join(text.split())}"


class SmtpTransport:
    """Plain SMTP with smtplib: STARTTLS when asked for (then the server's certificate is
    checked against `ssl_context`, the system's trusted authorities by default), and a login
    when a username is given. A 4xx answer is temporary, a 5xx one permanent (RFC 5321)."""

    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        sender: str,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30,
        ssl_context: ssl.SSLContext | None = None,
    ):
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.username, self.password = starttls, username, password
        self.timeout = timeout
        self.ssl_context = ssl_context

    def message(self, email: Email) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Message-ID"] = make_msgid(idstring=email.reference.replace("@", "."))
        message.set_content(email.text)
        if email.html is not None:
            message.add_alternative(email.html, subtype="html")
        return message

    def send(self, email: Email) -> str:
        message = self.message(email)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=self.ssl_context or ssl.create_default_context())
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise DeliveryError(_smtp_reason(code, text), temporary=code < 500) from None
        except smtplib.SMTPResponseException as exc:  # sender, data, login refused, ...
            raise DeliveryError(
                _smtp_reason(exc.smtp_code, exc.smtp_error), temporary=exc.smtp_code < 500
            ) from None
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            # Refused or dropped connections, timeouts, a TLS handshake that failed: the
            # server may be back, or fixed, by the next attempt.
            raise DeliveryError(
                f"cannot reach the mail server {self.host}:{self.port}: "
                f"{exc.__class__.__name__}: {exc}",
                temporary=True,
            ) from None
        return str(message["Message-ID"])


class NotifyTransport:
    """GOV.UK Notify, through its Python client, with one email template of ours whose body is
    `((body))` and subject `((subject))`: the usual way to send free-form messages through
    Notify, which renders its own HTML from the text. 400 and 403 (a request or key refused)
    are permanent; 429 (rate limit) and 5xx (and no answer at all) are temporary."""

    name = "notify"

    def __init__(self, api_key: str, template_id: str, *, base_url: str = "", timeout: float = 30):
        from notifications_python_client.notifications import NotificationsAPIClient

        self.template_id = template_id
        self.client = NotificationsAPIClient(
            api_key, base_url=base_url or NOTIFY_URL, timeout=timeout
        )

    def send(self, email: Email) -> str:
        from notifications_python_client.errors import APIError

        try:
            response = self.client.send_email_notification(
                email_address=email.to,
                template_id=self.template_id,
                personalisation={"subject": email.subject, "body": email.text},
                reference=email.reference,
            )
        except APIError as exc:
            status = exc.status_code
            raise DeliveryError(
                f"GOV.UK Notify answered {status}: {_notify_reason(exc.message)}",
                temporary=status == 429 or status >= 500,
            ) from None
        return str(response.get("id", ""))


def _notify_reason(message: Any) -> str:
    if isinstance(message, list):  # Notify's errors: [{"error": ..., "message": ...}, ...]
        return "; ".join(str(part.get("message", part)) for part in message if part)
    return str(message)


NOTIFY_URL = "https://api.notifications.service.gov.uk"
BACKENDS = ("outbox", "smtp", "notify")


def transport_from_config(config: Mapping[str, Any]) -> Transport:
    """The transport the settings choose (checked at start-up by naas.config)."""
    backend = config.get("NAAS_EMAIL_BACKEND", "outbox")
    if backend == "smtp":
        return SmtpTransport(
            config["NAAS_SMTP_HOST"],
            config["NAAS_SMTP_PORT"],
            sender=config["NAAS_EMAIL_FROM"],
            starttls=config["NAAS_SMTP_STARTTLS"],
            username=config.get("NAAS_SMTP_USERNAME"),
            password=config.get("NAAS_SMTP_PASSWORD"),
        )
    if backend == "notify":
        return NotifyTransport(
            config["NAAS_NOTIFY_API_KEY"],
            config["NAAS_NOTIFY_TEMPLATE_ID"],
            base_url=config.get("NAAS_NOTIFY_BASE_URL") or NOTIFY_URL,
        )
    if backend == "outbox":
        return OutboxOnlyTransport()
    raise ConfigError(f"NAAS_EMAIL_BACKEND is {backend!r}; it must be one of {', '.join(BACKENDS)}")
