"""Links that leave the service (in the outbox, shown to be passed on) use its public address."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def set_password_link(token: str) -> str:
    """The set-password link on NAAS_BASE_URL, never on the Host a request happened to carry
    (a forged Host header must not turn the link into one to another site)."""
    base = urlsplit(current_app.config["NAAS_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build("account.set_password", {"token": token}, force_external=True)
