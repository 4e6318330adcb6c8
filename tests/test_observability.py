"""What operators see: request ids, one log line per request, /metrics, and the error pages."""

from __future__ import annotations

import json
import logging

import psycopg
import pytest
from flask import abort
from sqlalchemy.exc import OperationalError, ProgrammingError

from naas.auth.decorators import public
from naas.observability import JsonFormatter
from tests.helpers import PASSWORD, csrf_token, login, make_user


def _sample(client, name: str, **labels) -> float:
    """A metric's value from /metrics (0 when the series does not exist yet)."""
    text = client.get("/metrics").get_data(as_text=True)
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    series = f"{name}{{{wanted}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.fixture
def failing_routes(app):
    """Routes that fail the ways production fails, added to this test's app only."""

    @app.route("/test-failures/bug")
    @public
    def bug():
        raise RuntimeError("a bug")

    @app.route("/api/test-failures/bug")
    @public
    def api_bug():
        raise RuntimeError("a bug")

    @app.route("/test-failures/bad-sql")
    @public
    def bad_sql():
        raise ProgrammingError("SELECT nonsense", {}, Exception("syntax error"))

    @app.route("/test-failures/database-gone")
    @public
    def database_gone():
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    @app.route("/test-failures/driver-gone")
    @public
    def driver_gone():
        raise psycopg.OperationalError("connection refused")

    @app.route("/test-failures/teapot")
    @public
    def teapot():
        abort(404)

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: errors become pages
    return app


def test_every_response_carries_a_request_id_made_here_or_taken_from_the_proxy(client):
    made = client.get("/livez").headers["X-Request-ID"]
    again = client.get("/livez").headers["X-Request-ID"]
    assert len(made) == 32 and made != again
    given = client.get("/livez", headers={"X-Request-ID": "nginx-4f2a9c.17"})
    assert given.headers["X-Request-ID"] == "nginx-4f2a9c.17"


@pytest.mark.parametrize("bad", ["has space", "x" * 129, "<script>", "a\u00e9b", ""])
def test_a_malformed_request_id_is_replaced_not_echoed(client, bad):
    response = client.get("/livez", headers={"X-Request-ID": bad})
    assert response.headers["X-Request-ID"] != bad
    assert len(response.headers["X-Request-ID"]) == 32


def test_one_log_line_per_request_names_the_route_not_the_path_nor_any_field(
    client, session, caplog
):
    user = make_user(session, "candidate")
    token = csrf_token(client)
    caplog.set_level(logging.INFO, logger="naas.request")
    caplog.clear()
    client.post(
        "/login?next=/secret-query",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        headers={"X-Request-ID": "req-login-1"},
    )
    client.get("/set-password/SECRET-TOKEN-VALUE")
    client.get("/dashboard", headers={"X-Request-ID": "req-dash-2"})
    lines = [r for r in caplog.records if r.name == "naas.request"]
    assert len(lines) == 3
    signin, token_page, dashboard = lines
    assert (signin.method, signin.route, signin.status) == ("POST", "/login", 302)
    assert signin.user_id == user.id  # signed in by this very request
    assert token_page.route == "/set-password/<token>"
    assert (dashboard.route, dashboard.status, dashboard.user_id) == ("/dashboard", 200, user.id)
    assert all(isinstance(r.duration_ms, float) and r.duration_ms >= 0 for r in lines)
    everything = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    for secret in (PASSWORD, "SECRET-TOKEN-VALUE", "secret-query", user.email):
        assert secret not in everything


def test_json_log_lines_carry_the_request_id_and_the_fields(app, caplog):
    caplog.set_level(logging.INFO, logger="naas.request")
    with app.test_client() as client:
        client.get("/livez", headers={"X-Request-ID": "abc-123"})
    record = next(r for r in caplog.records if r.name == "naas.request")
    with app.test_request_context(headers={"X-Request-ID": "abc-123"}):
        from flask import g

        g.request_id = "abc-123"
        line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "abc-123" and line["level"] == "info"
    assert {line["method"], line["route"], line["status"]} == {"GET", "/livez", 200}
    assert line["logger"] == "naas.request" and "duration_ms" in line and "time" in line


def test_metrics_count_requests_per_route_and_sign_in_failures(client, session):
    before = _sample(client, "naas_http_requests_total", method="GET", route="/livez", status="200")
    failures = _sample(client, "naas_signin_failures_total")
    for _ in range(3):
        client.get("/livez")
    user = make_user(session, "candidate")
    login(client, user.email, "not the password")
    assert (
        _sample(client, "naas_http_requests_total", method="GET", route="/livez", status="200")
        == before + 3
    )
    assert _sample(client, "naas_signin_failures_total") == failures + 1
    text = client.get("/metrics").get_data(as_text=True)
    assert 'naas_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/livez"}' in (
        text
    )


def test_metrics_are_not_for_the_public(app, client):
    assert client.get("/metrics").status_code == 200  # from this machine
    # through a proxy on this machine, from anywhere: refused
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404
    app.config["NAAS_METRICS_TOKEN"] = "a-long-random-token-for-the-scraper"
    assert client.get("/metrics").status_code == 404  # a token is set: even here, ask for it
    wrong = {"Authorization": "Bearer a-long-random-token-for-the-scraperX"}
    assert client.get("/metrics", headers=wrong).status_code == 404
    right = {"Authorization": "Bearer a-long-random-token-for-the-scraper"}
    remote = client.get("/metrics", headers=right, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert remote.status_code == 200 and b"naas_http_requests_total" in remote.data


def test_an_unexpected_error_gets_the_services_own_page_with_the_reference(failing_routes, client):
    errors = _sample(client, "naas_server_errors_total")
    response = client.get("/test-failures/bug", headers={"X-Request-ID": "ref-500-check"})
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in page and "ref-500-check" in page
    assert 'class="skip-link"' in page or "<header" in page  # the service's layout, not Werkzeug's
    assert "RuntimeError" not in page and "Traceback" not in page
    assert response.headers["X-Request-ID"] == "ref-500-check"
    assert _sample(client, "naas_server_errors_total") == errors + 1
    api = client.get("/api/test-failures/bug", headers={"X-Request-ID": "ref-api"})
    assert api.status_code == 500 and api.get_json()["request_id"] == "ref-api"
    # a database error that is a bug is a 500, not an outage
    assert client.get("/test-failures/bad-sql").status_code == 500


@pytest.mark.parametrize("route", ["/test-failures/database-gone", "/test-failures/driver-gone"])
def test_a_database_that_does_not_answer_gives_a_503_page_that_says_answers_are_safe(
    failing_routes, client, route
):
    before = _sample(client, "naas_database_unavailable_total")
    response = client.get(route, headers={"X-Request-ID": "ref-503"})
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert "Sorry, the service is unavailable" in page and "saved answers are safe" in page
    assert "ref-503" in page
    assert _sample(client, "naas_database_unavailable_total") == before + 1


def test_other_error_pages_keep_their_status_without_a_reference(failing_routes, client):
    response = client.get("/test-failures/teapot")
    assert response.status_code == 404 and "Reference" not in response.get_data(as_text=True)


def test_metrics_show_jobs_waiting_by_state(app, client, session):
    from datetime import timedelta

    from naas.db import utcnow
    from naas.jobs import enqueue

    with app.app_context():
        for _ in range(2):
            enqueue(
                session,
                "compute_statistics",
                {"tier": "practitioner"},
                run_after=utcnow() + timedelta(days=1),
            )
        session.commit()
    assert _sample(client, "naas_jobs_queue_depth", state="pending") == 2
    assert _sample(client, "naas_jobs_queue_depth", state="running") == 0
