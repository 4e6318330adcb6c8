"""Security headers on every kind of response, HSTS over https, and which client address counts
when the app stands behind proxies."""

from __future__ import annotations

import pytest

from naas import create_app
from naas.certificates.numbers import new_number
from naas.config import ConfigError

from .helpers import PASSWORD, csrf_token, login, make_user


def _responses(client):
    """One of each kind a browser or a program can get: a page, a form's error, a 404, JSON,
    an API refusal, a stylesheet, the health check."""
    yield "page", client.get("/")
    yield (
        "sign-in error",
        client.post("/login", data={"email": "x@example.org", "password": "wrong"}),
    )
    yield "not found", client.get("/no-such-page")
    yield "JSON 404", client.get(f"/api/v1/certificates/{new_number()}")
    yield "JSON refusal", client.get("/api/v1/certificates/not-a-number")
    yield "stylesheet", client.get("/static/naas.css")
    yield "health", client.get("/healthz")


def test_every_kind_of_response_carries_the_security_headers(client):
    for kind, response in _responses(client):
        csp = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp, kind
        assert "script-src 'self'" in csp and "style-src 'self'" in csp, kind
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, kind
        assert response.headers.get("X-Content-Type-Options") == "nosniff", kind
        assert response.headers.get("Referrer-Policy") == "same-origin", kind
        assert "Strict-Transport-Security" not in response.headers, f"{kind}: HSTS over plain http"


def test_hsts_is_sent_when_served_over_https(app_config):
    app = create_app(
        {**app_config, "NAAS_BASE_URL": "https://naas.example.org", "NAAS_HTTPS": True}
    )
    client = app.test_client()
    for kind, response in _responses(client):
        assert response.headers.get("Strict-Transport-Security", "").startswith(
            "max-age=63072000"
        ), kind
    app.extensions["naas.engine"].dispose()


def _sign_in_attempts(client, addresses):
    """A wrong password from each address in turn (for a different unknown account each time, so
    that only the per-address limit can bite); the statuses."""
    token = csrf_token(client)
    return [
        client.post(
            "/login",
            data={"email": f"nobody{n}@example.org", "password": "wrong", "csrf_token": token},
            headers={"X-Forwarded-For": address},
        ).status_code
        for n, address in enumerate(addresses)
    ]


def test_behind_one_proxy_the_forwarded_address_is_the_client(app_config):
    app = create_app({**app_config, "NAAS_PROXY_HOPS": 1, "NAAS_LOGIN_LIMIT": "3 per minute"})
    statuses = _sign_in_attempts(app.test_client(), ["198.51.100.7"] * 4 + ["203.0.113.9"])
    assert statuses[:4] == [200, 200, 200, 429]
    assert statuses[4] == 200  # another person behind the same proxy is not locked out
    app.extensions["naas.engine"].dispose()


def test_colleagues_signing_in_from_one_office_address_are_never_limited(app_config, session):
    """Twelve colleagues behind one council's NAT sign in correctly: successes never count
    against the address, only failures do."""
    app = create_app({**app_config, "NAAS_PROXY_HOPS": 1, "NAAS_LOGIN_LIMIT": "10 per minute"})
    colleagues = [make_user(session, "candidate") for _ in range(12)]
    statuses = []
    for person in colleagues:
        client = app.test_client()
        token = csrf_token(client)
        statuses.append(
            client.post(
                "/login",
                data={"email": person.email, "password": PASSWORD, "csrf_token": token},
                headers={"X-Forwarded-For": "198.51.100.20"},
            ).status_code
        )
    assert statuses == [302] * 12
    app.extensions["naas.engine"].dispose()


def test_with_no_proxy_a_made_up_forwarded_address_changes_nothing(app_config):
    app = create_app({**app_config, "NAAS_LOGIN_LIMIT": "3 per minute"})
    statuses = _sign_in_attempts(app.test_client(), [f"198.51.100.{n}" for n in range(4)])
    assert statuses == [200, 200, 200, 429]
    app.extensions["naas.engine"].dispose()


def test_forwarded_https_turns_on_hsts_only_behind_a_trusted_proxy(app_config):
    trusting = create_app({**app_config, "NAAS_PROXY_HOPS": 1})
    assert (
        "Strict-Transport-Security"
        in trusting.test_client().get("/", headers={"X-Forwarded-Proto": "https"}).headers
    )
    plain = create_app(app_config)
    assert (
        "Strict-Transport-Security"
        not in plain.test_client().get("/", headers={"X-Forwarded-Proto": "https"}).headers
    )
    for app in (trusting, plain):
        app.extensions["naas.engine"].dispose()


@pytest.mark.parametrize("value", ["-1", "two", "99"])
def test_a_wrong_proxy_count_is_refused_with_a_clear_message(monkeypatch, value):
    monkeypatch.setenv("NAAS_ENV", "testing")
    monkeypatch.setenv("NAAS_PROXY_HOPS", value)
    with pytest.raises(ConfigError, match="NAAS_PROXY_HOPS"):
        create_app()


def test_a_signed_in_page_is_not_cached(client, session):
    user = make_user(session, "candidate")
    login(client, user.email)
    assert client.get("/dashboard").headers["Cache-Control"] == "no-store"
