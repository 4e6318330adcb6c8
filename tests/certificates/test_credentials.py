"""The portable credential: an Open Badges 3.0 credential signed as a VC-JWT (EdDSA), and its
offline check, which tells a genuine credential from a tampered or forged one."""

from __future__ import annotations

import base64
import json

import pytest

from naas.certificates.credentials import (
    CredentialError,
    check_credential,
    credential_jwt,
    encode_jwt,
    open_badge,
)
from naas.certificates.signing import b64url, new_key_text, parse_key

from .test_signing import FACTS

KEY = parse_key(new_key_text())
KEYS = {KEY.kid: KEY.public}


def parts(token):
    header, payload, signature = token.split(".")
    decode = lambda part: json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # noqa: E731
    return decode(header), decode(payload), signature


def test_the_header_names_eddsa_jwt_and_the_key():
    header, _, _ = parts(credential_jwt(FACTS, KEY))
    assert header == {"alg": "EdDSA", "typ": "JWT", "kid": KEY.kid}


def test_the_payload_is_an_open_badges_credential_with_matching_registered_claims():
    _, payload, _ = parts(credential_jwt(FACTS, KEY))
    assert payload["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert payload["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert payload["id"] == payload["jti"] == FACTS.verify_url
    assert payload["issuer"]["id"] == payload["iss"] == "https://naas.example.org"
    assert (
        payload["validFrom"] == "2026-03-12T00:00:00Z"
        and payload["validUntil"] == "2029-03-12T00:00:00Z"
    )
    achievement = payload["credentialSubject"]["achievement"]
    assert achievement["name"] == "Approved child and family practitioner"
    assert "P1 Relationships" in achievement["criteria"]["narrative"]


def test_a_genuine_credential_checks_out_with_its_facts():
    checked = check_credential(credential_jwt(FACTS, KEY), KEYS)
    assert (
        checked.number,
        checked.holder_name,
        checked.registration_number,
        checked.tier_title,
    ) == (FACTS.number, "Amara Okafor", "SW424242", "Approved child and family practitioner")


@pytest.mark.parametrize(
    "path, value",
    [
        (("credentialSubject", "identifier", 0, "identityHash"), "Someone Else"),
        (("credentialSubject", "achievement", "name"), "Practice leader"),
        (("validUntil",), "2039-03-12T00:00:00Z"),
        (("exp",), 2200000000),
    ],
)
def test_a_credential_whose_content_was_changed_is_reported_as_tampered(path, value):
    header, payload, signature = credential_jwt(FACTS, KEY).split(".")
    content = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    target = content
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    tampered = f"{header}.{b64url(json.dumps(content).encode())}.{signature}"
    with pytest.raises(CredentialError, match="tampered with or forged"):
        check_credential(tampered, KEYS)


def test_a_credential_forged_with_another_key_under_our_key_id_is_reported_as_forged():
    forger = parse_key(new_key_text())
    header, payload, _ = credential_jwt(FACTS, KEY).split(".")
    forged = f"{header}.{payload}.{b64url(forger.sign(f'{header}.{payload}'.encode()))}"
    with pytest.raises(CredentialError, match="tampered with or forged"):
        check_credential(forged, KEYS)


def test_a_credential_signed_with_another_key_is_not_accepted():
    with pytest.raises(CredentialError, match="not signed with the key given"):
        check_credential(credential_jwt(FACTS, parse_key(new_key_text())), KEYS)


def test_an_unsigned_alg_none_token_is_reported_as_forged():
    header = b64url(json.dumps({"alg": "none", "typ": "JWT", "kid": KEY.kid}).encode())
    payload = b64url(json.dumps(open_badge(FACTS)).encode())
    with pytest.raises(CredentialError, match="forged: it claims the algorithm 'none'"):
        check_credential(f"{header}.{payload}.", KEYS)


@pytest.mark.parametrize("text", ["", "hello", "a.b", "a.b.c", "%%%.%%%.%%%"])
def test_something_that_is_not_a_jwt_is_not_a_credential(text):
    with pytest.raises(CredentialError, match="not a credential"):
        check_credential(text, KEYS)


def test_a_signed_jwt_that_is_not_a_naas_credential_is_refused():
    with pytest.raises(CredentialError, match="not a NAAS credential"):
        check_credential(encode_jwt({"hello": "world"}, KEY), KEYS)
