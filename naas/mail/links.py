"""Links in emails, on the service's public address (NAAS_BASE_URL), never on whatever Host a
request happened to carry: a forged Host header must not send anyone's email to another site.

Messages are written wherever a change happens (a request, a command, a job), so the address
and the URL map travel in the database sessions' info, as the outbox key does, rather than
being read from the current app."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy.orm import Session

LINKS_KEY = "naas.mail.links"


def configure_sessions(app: Flask) -> None:
    sessions = app.extensions["naas.db"]
    sessions.configure(
        info={**sessions.kw.get("info", {}), LINKS_KEY: (app.config["NAAS_BASE_URL"], app.url_map)}
    )


def public_link(session: Session, endpoint: str, **values: Any) -> str:
    base_url, url_map = session.info[LINKS_KEY]
    base = urlsplit(base_url)
    adapter = url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def sign_in_link(session: Session) -> str:
    return public_link(session, "auth.login")
