"""Passwords are hashed with the full scrypt everywhere but in the tests, which may choose a
cheaper method (NAAS_PASSWORD_HASH_METHOD) so that making users and signing in stay fast."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from naas import create_app
from naas.auth.services import authenticate, create_user, set_password
from naas.config import ConfigError

from .conftest import FAST_PASSWORD_HASH
from .helpers import PASSWORD, make_user

SIGNING_KEY = "6xZJnh2Dgt0Me1h0ebk4n+8eSpLdNeQu1sOJ2YG6k/E="  # a test key, signs nothing
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def production_config(database_url: str, **extra: str) -> dict[str, object]:
    return {
        "NAAS_ENV": "production",
        "SECRET_KEY": "f3c9a1d27b64e85019cd3fa2b7e6c4d8",
        "NAAS_SIGNING_KEY": SIGNING_KEY,
        "NAAS_DATABASE_URL": database_url,
        "NAAS_ALLOW_SQLITE": True,
        **extra,
    }


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_production_hashes_passwords_with_the_full_scrypt(database_url):
    app = create_app(production_config(database_url))
    session = app.extensions["naas.db"]()
    user = create_user(
        session, email="ada@example.org", name="Ada", roles=["admin"], password=PASSWORD
    )
    assert user.password_hash.startswith("scrypt:32768:8:1$")  # werkzeug's scrypt, in full
    set_password(user, "another long password")
    assert user.password_hash.startswith("scrypt:32768:8:1$")
    assert authenticate(session, "ada@example.org", "another long password", NOW) is user
    session.close()
    app.extensions["naas.engine"].dispose()


def test_the_tests_hash_with_the_cheap_scrypt_and_still_check_it(client, session):
    user = make_user(session, "candidate")
    assert user.password_hash.startswith(f"{FAST_PASSWORD_HASH}$")
    assert authenticate(session, user.email, PASSWORD, NOW) is user
    assert authenticate(session, user.email, "not the password", NOW) is None


@pytest.mark.parametrize("env", ["production", "demo"])
def test_a_cheaper_hash_is_refused_outside_the_tests(env, tmp_path):
    config = production_config(
        f"sqlite:///{tmp_path}/x.sqlite3",
        NAAS_ENV=env,
        NAAS_PASSWORD_HASH_METHOD=FAST_PASSWORD_HASH,
    )
    with pytest.raises(ConfigError, match="NAAS_PASSWORD_HASH_METHOD is for the tests only"):
        create_app(config)


def test_a_hash_method_werkzeug_does_not_know_is_refused(app_config):
    config = {**app_config, "NAAS_PASSWORD_HASH_METHOD": "rot13"}
    with pytest.raises(ConfigError, match="NAAS_PASSWORD_HASH_METHOD is 'rot13', which cannot"):
        create_app(config)
