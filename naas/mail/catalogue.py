"""Every email the service sends: one function per kind, giving its subject and its plain-text
and HTML bodies, rendered from templates/email/.

Subjects are seen by anyone who glances at an inbox or a mail log, so none carries anything
secret: no link, no password, no result. A result is never in an email at all: the message
says it is ready and where to sign in to see it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from naas.config import TEMPLATES
from naas.templating import LONDON

SERVICE = "National Assessment and Accreditation service"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _long_date(day: date | datetime) -> str:
    if isinstance(day, datetime):
        day = day.astimezone(LONDON)
        return f"{day.day} {day:%B %Y} at {day:%H:%M %Z}"
    return f"{day.day} {day:%B %Y}"


# A missing value in a message is a bug to fail on, never a blank left in someone's email.
_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES / "email")),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_env.filters["long_date"] = _long_date


def _render(kind: str, subject: str, **context: Any) -> Rendered:
    context = {"service": SERVICE, "subject": subject, **context}
    return Rendered(
        subject=subject,
        text=_env.get_template(f"{kind}.txt").render(context),
        html=_env.get_template(f"{kind}.html").render(context),
    )


def set_password(*, name: str, opening: str, link: str, expires_at: datetime) -> Rendered:
    """`link` arrives sealed (naas/employers/sealing.py) and is opened only as it is sent."""
    return _render(
        "set_password",
        f"Set your password for the {SERVICE}",
        name=name,
        opening=opening,
        link=link,
        expires_at=expires_at,
    )


def endorsement_received(
    *, name: str, organisation: str, tier_title: str, sign_in_link: str
) -> Rendered:
    return _render(
        "endorsement_received",
        f"{organisation} has endorsed you for an assessment",
        name=name,
        organisation=organisation,
        tier_title=tier_title,
        sign_in_link=sign_in_link,
    )


def result_released(*, name: str, tier_title: str, sign_in_link: str) -> Rendered:
    return _render(
        "result_released",
        "Your assessment result is ready to view",
        name=name,
        tier_title=tier_title,
        sign_in_link=sign_in_link,
    )


def certificate_issued(
    *,
    name: str,
    tier_title: str,
    number: str,
    expires_on: date,
    verify_link: str,
    sign_in_link: str,
) -> Rendered:
    return _render(
        "certificate_issued",
        f"Your certificate from the {SERVICE}",
        name=name,
        tier_title=tier_title,
        number=number,
        expires_on=expires_on,
        verify_link=verify_link,
        sign_in_link=sign_in_link,
    )


def review_outcome(*, name: str, tier_title: str, sign_in_link: str) -> Rendered:
    return _render(
        "review_outcome",
        "Your review has been completed",
        name=name,
        tier_title=tier_title,
        sign_in_link=sign_in_link,
    )


def accreditation_expiring(
    *, name: str, tier_title: str, number: str, expires_on: date, days: int, sign_in_link: str
) -> Rendered:
    return _render(
        "accreditation_expiring",
        f"Your accreditation expires on {_long_date(expires_on)}",
        name=name,
        tier_title=tier_title,
        number=number,
        expires_on=expires_on,
        days=days,
        sign_in_link=sign_in_link,
    )


def test_message(*, base_url: str) -> Rendered:
    return _render("test_message", f"Test email from the {SERVICE}", base_url=base_url)


CATALOGUE: dict[str, Callable[..., Rendered]] = {
    "set_password": set_password,
    "endorsement_received": endorsement_received,
    "result_released": result_released,
    "certificate_issued": certificate_issued,
    "review_outcome": review_outcome,
    "accreditation_expiring": accreditation_expiring,
    "test": test_message,
}


def render(kind: str, context: dict[str, Any]) -> Rendered:
    """The message of `kind` for `context`; an unknown kind or a missing value raises."""
    try:
        build = CATALOGUE[kind]
    except KeyError:
        raise ValueError(f"no email of the kind {kind!r}; kinds: {', '.join(CATALOGUE)}") from None
    return build(**context)
