"""Rotating NAAS_SECRET_KEY: with the old key in NAAS_SECRET_KEY_FALLBACKS, signed-in users stay
signed in, forms already on their screens (and a sitting's autosave) are still accepted, and set-
password links sealed in the outbox still open. Without it, all three stop, as they should."""

from __future__ import annotations

import pytest

from naas import create_app
from naas.config import ConfigError, check, from_environment
from naas.employers.sealing import OUTBOX_KEY, UNREADABLE, opened_in, seal
from tests.helpers import csrf_token, login, make_user

OLD = "old-secret-" + "a1b2c3d4e5f6" * 4
NEW = "new-secret-" + "f6e5d4c3b2a1" * 4


def _app(app_config, secret: str, fallbacks: list[str]):
    app = create_app({**app_config, "SECRET_KEY": secret, "SECRET_KEY_FALLBACKS": fallbacks})
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def _move_cookie(source, target) -> None:
    target.set_cookie("session", source.get_cookie("session").value)


def test_sessions_forms_and_outbox_links_survive_a_rotation_with_the_fallback(app_config):
    before = _app(app_config, OLD, [])
    with before.app_context():
        session = before.extensions["naas.db"]()
        user = make_user(session, "candidate")
        sealed = seal(session.info[OUTBOX_KEY], "http://localhost/set-password/abc123")
        session.close()
    browser = before.test_client()
    login(browser, user.email)
    form_token = csrf_token(browser, "/dashboard")  # a form on the screen when the key changes

    after = _app(app_config, NEW, [OLD])
    rotated = after.test_client()
    _move_cookie(browser, rotated)
    assert rotated.get("/dashboard").status_code == 200  # still signed in
    signed_out = rotated.post("/logout", data={"csrf_token": form_token})
    assert signed_out.status_code == 302  # the old page's form token was accepted
    with after.app_context():
        session = after.extensions["naas.db"]()
        assert opened_in(session, sealed) == "http://localhost/set-password/abc123"
        session.close()
    for each in (before, after):
        each.extensions["naas.engine"].dispose()


def test_without_the_fallback_the_old_session_and_links_no_longer_open(app_config):
    before = _app(app_config, OLD, [])
    with before.app_context():
        session = before.extensions["naas.db"]()
        user = make_user(session, "candidate")
        sealed = seal(session.info[OUTBOX_KEY], "http://localhost/set-password/abc123")
        session.close()
    browser = before.test_client()
    login(browser, user.email)

    after = _app(app_config, NEW, [])
    rotated = after.test_client()
    _move_cookie(browser, rotated)
    assert rotated.get("/dashboard").status_code == 302  # to sign in again
    with after.app_context():
        session = after.extensions["naas.db"]()
        assert opened_in(session, sealed) == UNREADABLE
        session.close()
    for each in (before, after):
        each.extensions["naas.engine"].dispose()


def test_the_setting_lists_earlier_keys_newest_first_and_refuses_short_ones():
    settings = from_environment(
        {"NAAS_SECRET_KEY": NEW, "NAAS_SECRET_KEY_FALLBACKS": f" {OLD} , {'b' * 40},"}, "/tmp"
    )
    assert settings["SECRET_KEY_FALLBACKS"] == [OLD, "b" * 40]
    short = {**settings, "NAAS_SIGNING_KEY": "x", "SECRET_KEY_FALLBACKS": ["too-short"]}
    with pytest.raises(ConfigError, match="NAAS_SECRET_KEY_FALLBACKS holds a key shorter"):
        check(short, serving=True)


@pytest.mark.parametrize("value", ["xml", "JSON ", "yaml"])
def test_an_unknown_log_format_is_one_clear_line(value):
    settings = from_environment({"NAAS_LOG_FORMAT": value, "NAAS_ENV": "demo"}, "/tmp")
    if settings["NAAS_LOG_FORMAT"] in ("json", "text"):
        pytest.fail(f"{value!r} was taken as a known format")
    with pytest.raises(ConfigError, match="NAAS_LOG_FORMAT is .* it must be json or text"):
        check(settings, serving=False)
