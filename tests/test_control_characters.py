"""Control characters in any form field, query parameter or JSON answer are refused with a
clear 400, before anything reads them, on SQLite and PostgreSQL alike: a NUL used to fail the
request half-way on PostgreSQL (500, DataError)."""

from __future__ import annotations

import pytest
from flask import request

from naas.security import _control_character

from .helpers import PASSWORD, csrf_token, login, make_user

NUL = "\x00"
REFUSED = "contains a character that cannot be typed"


def _filled(rule) -> str:
    from werkzeug.routing import IntegerConverter

    values = {
        name: 1 if isinstance(rule._converters.get(name), IntegerConverter) else "x"
        for name in rule.arguments
    }
    return rule.build(values, append_unknown=False)[1]


def test_every_form_refuses_a_nul_before_anything_reads_it(app, client):
    posts = [rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())]
    assert len(posts) > 30  # every form of the service
    for rule in posts:
        response = client.post(_filled(rule), data={"email": f"a{NUL}b", "name": "Ann"})
        assert response.status_code == 400, rule.rule
        assert REFUSED in response.get_data(as_text=True), rule.rule


@pytest.mark.parametrize(
    "character", ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\x9f"]
)
def test_sign_in_with_a_control_character_is_a_clear_400_and_changes_nothing(
    client, session, character
):
    user = make_user(session, "candidate")
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"email": f"nobody{character}@example.org", "password": PASSWORD, "csrf_token": token},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and REFUSED in page and "Nothing was changed" in page
    assert "field \u201cemail\u201d" in page
    assert login(client, user.email).status_code == 302  # the form itself still works


def test_a_query_parameter_with_a_nul_is_refused(client, session):
    admin = make_user(session, "admin")
    login(client, admin.email)
    response = client.get("/admin/extra-time?candidate=x%00@y.z")
    assert response.status_code == 400 and "parameter \u201ccandidate\u201d" in response.get_data(
        as_text=True
    )
    assert client.get("/admin/extra-time?candidate=x@y.z").status_code == 200


def test_tabs_and_line_breaks_are_text_in_a_form_or_an_answer_but_not_in_an_address(app):

    text = "First point.\tIndented.\r\nSecond line.\n"
    with app.test_request_context("/x", method="POST", data={"answer": text}):
        assert _control_character(request) is None
    with app.test_request_context("/x", method="POST", json={"answer": text, "seq": 2}):
        assert _control_character(request) is None
    with app.test_request_context("/x?candidate=a%0Ab"):
        assert _control_character(request) == "The address\u2019s parameter \u201ccandidate\u201d"
    with app.test_request_context("/x", method="POST", json={"answer": ["ok", "b\x00"]}):
        assert _control_character(request) == "The answer"


def test_a_json_answer_with_a_nul_is_refused_as_json(client):
    response = client.post("/sittings/1/answers", json={"item": 1, "answer": f"a{NUL}", "seq": 1})
    assert response.status_code == 400
    assert REFUSED in response.get_json()["message"]
