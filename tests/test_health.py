"""/livez says the process answers; /readyz (and its alias /healthz) says whether a request
would work, naming what fails, so a load balancer takes a broken node out of rotation."""

from __future__ import annotations

import socket

import pytest
from jinja2 import DictLoader

from naas import create_app

from .sitting.conftest import loaded, small_bank  # noqa: F401  (fixtures)


def test_livez_answers_whatever_the_dependencies_say(tmp_path):
    app = create_app(
        {
            "NAAS_ENV": "testing",
            "SECRET_KEY": "t" * 40,
            "NAAS_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        }
    )
    assert app.test_client().get("/livez").get_json() == {"status": "ok"}


@pytest.mark.usefixtures("loaded")
def test_ready_when_the_database_schema_bank_and_templates_answer(client):
    for path in ("/readyz", "/healthz"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.get_json() == {
            "status": "ok",
            "checks": {
                "database": "ok",
                "migrations": "ok",
                "bank": "ok",
                "redis": "not configured",
                "templates": "ok",
            },
        }


def test_not_ready_without_a_loaded_bank(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["bank"] and "run naas bank load" in body["checks"]["bank"]


def test_not_ready_when_the_database_is_unreachable():
    app = create_app(
        {
            "NAAS_ENV": "testing",
            "SECRET_KEY": "t" * 40,
            "NAAS_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert "database" in response.get_json()["failing"]


def test_not_ready_on_a_database_that_was_never_migrated(tmp_path):
    app = create_app(
        {
            "NAAS_ENV": "testing",
            "SECRET_KEY": "t" * 40,
            "NAAS_DATABASE_URL": f"sqlite:///{tmp_path}/empty.sqlite3",
        }
    )
    body = app.test_client().get("/readyz").get_json()
    assert "migrations" in body["failing"]
    assert body["checks"]["migrations"].startswith("the database schema is at no revision")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.usefixtures("loaded")
def test_not_ready_when_the_configured_redis_does_not_answer(app, client):
    app.config["NAAS_REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    body = client.get("/readyz").get_json()
    assert body["failing"] == ["redis"] and body["checks"]["redis"].startswith("ConnectionError")


@pytest.mark.redis
@pytest.mark.usefixtures("loaded")
def test_ready_with_a_redis_that_answers(app, client):
    app.config["NAAS_REDIS_URL"] = "redis://127.0.0.1:6379/0"
    body = client.get("/readyz").get_json()
    assert body["status"] == "ok" and body["checks"]["redis"] == "ok"


@pytest.mark.usefixtures("loaded")
def test_not_ready_when_the_templates_cannot_be_found(app, client):
    app.jinja_env.loader = DictLoader({})  # as a wheel without its templates would be
    body = client.get("/readyz").get_json()
    assert body["failing"] == ["templates"] and "base.html" in body["checks"]["templates"]
