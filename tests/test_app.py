"""The app: configuration, pages, sign-in, roles, CSRF and cookies."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from naas import create_app
from naas.auth import roles_required
from naas.certificates.numbers import new_number
from naas.config import ConfigError

from .helpers import PASSWORD, csrf_token, login, make_user


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("NAAS_SECRET_KEY", raising=False)
    monkeypatch.setenv("NAAS_ENV", "production")
    with pytest.raises(ConfigError, match="NAAS_SECRET_KEY is not set"):
        create_app()


def test_production_refuses_a_short_secret_key(monkeypatch):
    monkeypatch.setenv("NAAS_ENV", "production")
    monkeypatch.setenv("NAAS_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="too short"):
        create_app()


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("NAAS_ENV", "production")
    monkeypatch.setenv("NAAS_SECRET_KEY", "test-secret-0123456789abcdefghijklmnop")
    monkeypatch.setenv(
        "NAAS_SIGNING_KEY", "6xZJnh2Dgt0Me1h0ebk4n+8eSpLdNeQu1sOJ2YG6k/E="
    )  # a test key, signs nothing
    monkeypatch.setenv("NAAS_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("NAAS_ALLOW_SQLITE", "1")
    monkeypatch.setenv("NAAS_BASE_URL", "https://naas.example.org")
    app = create_app()
    assert app.config["NAAS_DATABASE_URL"] == f"sqlite:///{tmp_path}/x.db"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("NAAS_DATABASE_URL", raising=False)
    monkeypatch.setenv("NAAS_ENV", "testing")
    app = create_app()
    assert app.config["NAAS_DATABASE_URL"] == f"sqlite:///{app.instance_path}/naas.sqlite3"


def test_home_page_says_what_the_service_is_and_links_to_sign_in(client):
    page = client.get("/").get_data(as_text=True)
    assert "National Assessment and Accreditation" in page
    assert 'href="/login"' in page


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_requests_carry_on_after_the_database_drops_every_connection(client, session, database_url):
    """A database restart (or an idle timeout) closes the pooled connections: the next
    requests must get fresh ones, not a 500."""
    user = make_user(session, "candidate")
    login(client, user.email)
    number = new_number()
    assert client.get("/dashboard").status_code == 200  # the pool now holds a connection
    assert (
        client.get(f"/api/v1/certificates/{number}").status_code == 404
    )  # and the public checks' pool
    outside = create_engine(database_url, poolclass=NullPool)
    with outside.connect() as other:
        ended = other.exec_driver_sql(
            "SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).scalar()
    assert ended >= 1
    for _ in range(3):
        assert client.get("/dashboard").status_code == 200
        assert client.get("/readyz").get_json()["checks"]["database"] == "ok"
        assert client.get(f"/api/v1/certificates/{number}").status_code == 404


def test_sign_in_and_out(client, session):
    user = make_user(session, "candidate")
    response = login(client, user.email)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Your assessments" in page and user.name in page
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 302  # back to sign-in


def test_email_is_matched_without_regard_to_case(client, session):
    user = make_user(session, "candidate", email="Mixed.Case@Example.org")
    assert user.email == "mixed.case@example.org"
    assert login(client, "  MIXED.case@example.ORG ").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_message(client, session):
    user = make_user(session, "candidate")
    wrong = login(client, user.email, "not the password").get_data(as_text=True)
    unknown = login(client, "nobody@example.org", "not the password").get_data(as_text=True)
    message = "The email address or password is not right."
    assert message in wrong and message in unknown
    strip = lambda page: page.replace(user.email, "").replace("nobody@example.org", "")  # noqa: E731
    assert (
        strip(wrong).split("<main")[1].split("csrf_token")[0]
        == strip(unknown).split("<main")[1].split("csrf_token")[0]
    )


def test_passwords_are_stored_hashed_with_scrypt(client, session):
    user = make_user(session, "candidate")
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


def test_repeated_failures_for_one_account_are_limited(client, session):
    user = make_user(session, "candidate")
    statuses = [login(client, user.email, f"wrong {n}").status_code for n in range(6)]
    assert statuses[:5] == [200] * 5 and statuses[5] == 429
    assert "Too many attempts" in login(client, user.email).get_data(
        as_text=True
    )  # even the right one waits


def test_a_deactivated_user_cannot_sign_in_and_is_signed_out(client, session):
    user = make_user(session, "candidate")
    assert login(client, user.email).status_code == 302
    user.active = False
    user.session_version += 1
    session.commit()
    assert client.get("/dashboard").status_code == 302
    assert login(client, user.email).status_code == 200


def test_login_refuses_a_post_without_a_csrf_token(client, session):
    user = make_user(session, "candidate")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)


def test_logout_refuses_a_post_without_a_csrf_token(client, session):
    user = make_user(session, "candidate")
    login(client, user.email)
    assert client.post("/logout").status_code == 400
    assert client.get("/dashboard").status_code == 200  # still signed in


def test_login_never_redirects_to_another_site(client, session):
    user = make_user(session, "candidate")
    token = csrf_token(client)
    response = client.post(
        "/login?next=https://evil.example/x",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/dashboard"


def test_session_cookie_is_httponly_and_samesite_lax(client, session):
    user = make_user(session, "candidate")
    login(client, user.email)
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"
    assert not cookie.secure  # served over http in tests


def test_session_cookie_is_secure_when_served_over_https(app_config):
    app = create_app(
        {
            **app_config,
            "NAAS_BASE_URL": "https://naas.example.org",
            "NAAS_HTTPS": True,
            "SESSION_COOKIE_SECURE": True,
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    "roles", [("employer",), ("assessor",), ("admin",), ("assessor", "moderator")]
)
def test_dashboard_shows_a_panel_for_each_role_held(client, session, roles):
    user = make_user(session, roles)
    login(client, user.email)
    page = client.get("/dashboard").get_data(as_text=True)
    shown = {role for group in re.findall(r'data-roles="([^"]*)"', page) for role in group.split()}
    assert shown == set(roles)


def test_role_decorator_refuses_other_roles_and_anonymous_users(app, session):
    @app.route("/only-admins")
    @roles_required("admin")
    def only_admins():
        return "secret"

    client = app.test_client()
    assert client.get("/only-admins").status_code == 302  # to sign-in
    candidate = make_user(session, "candidate")
    login(client, candidate.email)
    assert client.get("/only-admins").status_code == 403
    other = app.test_client()
    admin = make_user(session, "admin")
    login(other, admin.email)
    assert other.get("/only-admins").get_data(as_text=True) == "secret"


def test_role_decorator_rejects_unknown_roles():
    with pytest.raises(ValueError):
        roles_required("superuser")


def test_security_headers_on_every_response(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Referrer-Policy" in response.headers


def test_marking_rules_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("NAAS_ENV", "testing")
    monkeypatch.setenv("NAAS_MARKING_CONTROL_RATE", "0.1")
    monkeypatch.setenv("NAAS_MARKING_DRIFT_WINDOW", "20")
    app = create_app()
    assert app.config["NAAS_MARKING_CONTROL_RATE"] == 0.1
    assert app.config["NAAS_MARKING_DRIFT_WINDOW"] == 20
    assert app.config["NAAS_MARKING_CONTROL_BLOCK"] == 5  # unset: the marking area's default
    app.extensions["naas.engine"].dispose()


@pytest.mark.parametrize(
    "name, value",
    [
        ("NAAS_MARKING_CONTROL_RATE", "1.5"),
        ("NAAS_MARKING_CONTROL_RATE", "often"),
        ("NAAS_MARKING_DRIFT_WINDOW", "0"),
        ("NAAS_MARKING_CONTROL_DELAY_DAYS", "-3"),
    ],
)
def test_a_marking_rule_out_of_range_is_refused_by_name(monkeypatch, name, value):
    monkeypatch.setenv("NAAS_ENV", "testing")
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        create_app()


def test_times_are_shown_as_a_clock_in_england_shows_them():
    from datetime import UTC, datetime

    from naas.templating import uk_time

    assert uk_time(datetime(2026, 1, 15, 14, 5, tzinfo=UTC)) == "14:05 GMT"
    assert uk_time(datetime(2026, 7, 1, 23, 30, tzinfo=UTC)) == "00:30 BST"
