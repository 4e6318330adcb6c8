"""`naas cert verify FILE [--key]` checks a credential offline and names a tampered or forged
one in one line (exit 1); `naas results release` issues certificates; key commands."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta

import pytest

from naas.certificates.credentials import credential_jwt
from naas.certificates.signing import b64url, new_key_text, parse_key
from naas.sitting import services as sitting_services

from .conftest import START, certificate_of, endorse
from .test_signing import FACTS

KEY = parse_key(new_key_text())


def naas(*args: str, cwd) -> subprocess.CompletedProcess:
    """As someone holding only the file and the published key would run it: no database, no key of their own."""
    env = {
        **os.environ,
        "NAAS_ENV": "production",
        "NAAS_SECRET_KEY": "",
        "NAAS_SIGNING_KEY": "",
        "NAAS_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
    }
    command = [sys.executable, "-c", "from naas.cli import run; run()", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


@pytest.fixture
def published(tmp_path):
    path = tmp_path / "naas-signing-key.pem"
    path.write_text(KEY.public.pem())
    return path


def write(tmp_path, name, token):
    path = tmp_path / name
    path.write_text(token + "\n")
    return path


def current_facts():
    today = date.today()
    return replace(
        FACTS,
        issued_on=today.replace(year=today.year - 1),
        expires_on=today.replace(year=today.year + 2),
    )


def test_a_genuine_credential_is_reported_genuine(tmp_path, published):
    path = write(tmp_path, "mine.jwt", credential_jwt(current_facts(), KEY))
    result = naas("cert", "verify", str(path), "--key", str(published), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Genuine: certificate {FACTS.number}: Amara Okafor (SW424242)")


def test_a_tampered_credential_fails_in_one_clear_line(tmp_path, published):
    header, payload, signature = credential_jwt(current_facts(), KEY).split(".")
    content = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    content["credentialSubject"]["identifier"][0]["identityHash"] = "Someone Else"
    path = write(
        tmp_path, "altered.jwt", f"{header}.{b64url(json.dumps(content).encode())}.{signature}"
    )
    result = naas("cert", "verify", str(path), "--key", str(published), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: {path} is not a genuine NAAS credential: it has been tampered with or forged: "
        "its signature does not match its content"
    ]


def test_a_credential_from_another_key_fails(tmp_path, published):
    path = write(tmp_path, "forged.jwt", credential_jwt(current_facts(), parse_key(new_key_text())))
    result = naas("cert", "verify", str(path), "--key", str(published), cwd=tmp_path)
    assert result.returncode == 1 and "not signed with the key given" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_expired_credential_is_genuine_but_not_current(tmp_path, published):
    old = replace(FACTS, issued_on=date(2019, 1, 1), expires_on=date(2022, 1, 1))
    path = write(tmp_path, "old.jwt", credential_jwt(old, KEY))
    result = naas("cert", "verify", str(path), "--key", str(published), cwd=tmp_path)
    assert result.returncode == 1 and "is genuine but not current" in result.stderr


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda tmp: write(tmp, "junk.jwt", "hello"),
            "not a genuine NAAS credential: it is not a credential",
        ),
        (lambda tmp: tmp / "missing.jwt", "cannot read"),
    ],
)
def test_a_file_that_is_no_credential_is_one_clear_line(tmp_path, published, make, message):
    result = naas("cert", "verify", str(make(tmp_path)), "--key", str(published), cwd=tmp_path)
    assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr


def test_a_bad_key_file_is_one_clear_line(tmp_path):
    path = write(tmp_path, "mine.jwt", credential_jwt(current_facts(), KEY))
    key = write(tmp_path, "key.pem", "not a key")
    result = naas("cert", "verify", str(path), "--key", str(key), cwd=tmp_path)
    assert result.returncode == 1 and "is not an Ed25519 public key" in result.stderr


def test_without_key_and_without_a_configured_key_it_says_to_give_one(tmp_path):
    path = write(tmp_path, "mine.jwt", credential_jwt(current_facts(), KEY))
    result = naas("cert", "verify", str(path), cwd=tmp_path)
    assert result.returncode == 1 and "give the issuer's published key with --key" in result.stderr


def test_the_installations_own_key_checks_a_downloaded_credential(
    runner, signed_in_as, candidate, certificate, tmp_path
):
    token = (
        signed_in_as(candidate)
        .get(f"/certificates/{certificate.number}/credential.jwt")
        .get_data(as_text=True)
    )
    path = write(tmp_path, "download.jwt", token)
    result = runner.invoke(args=["cert", "verify", str(path)])
    assert result.exit_code == 0, result.output
    assert "Genuine" in result.output and certificate.number in result.output


def test_naas_results_release_issues_certificates_for_passes(
    runner, session, candidate, org, employer
):
    endorsement = endorse(session, candidate, org, employer)
    sitting = sitting_services.start_sitting(session, candidate, endorsement, START)
    result = sitting_services.submit(
        session, sitting, START + timedelta(minutes=30), by="candidate"
    )
    result.status, result.passed = "final", True
    session.commit()
    outcome = runner.invoke(args=["results", "release", "--tier", "practitioner"])
    assert outcome.exit_code == 0, outcome.output
    assert certificate_of(session, result).holder_name == "Amara Okafor"


def test_new_key_prints_a_key_the_setting_accepts(runner):
    result = runner.invoke(args=["cert", "new-key"])
    assert parse_key(result.output.strip()).kid


def test_public_key_prints_the_published_pem(runner, client):
    result = runner.invoke(args=["cert", "public-key"])
    assert result.output == client.get("/.well-known/naas-signing-key.pem").get_data(as_text=True)
