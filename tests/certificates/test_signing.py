"""The signing key: where it comes from, its published id, and the signed record it protects."""

from __future__ import annotations

import base64
import json
import stat
from dataclasses import replace
from datetime import date

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from naas import create_app
from naas.certificates.accreditation import Accreditation, record_holds, sign_record
from naas.certificates.signing import (
    INSTANCE_KEY_FILE,
    PublicKey,
    b64url,
    instance_key,
    load_public_keys,
    new_key_text,
    parse_key,
    retired_keys,
)
from naas.config import ConfigError

FACTS = Accreditation(
    number="NAAS-7K2M-Q9XD-4HT8B-E",
    holder_name="Amara Okafor",
    registration_number="SW424242",
    tier="practitioner",
    tier_title="Approved child and family practitioner",
    areas=(("P1", "Relationships"),),
    issued_on=date(2026, 3, 12),
    expires_on=date(2029, 3, 12),
    verify_url="https://naas.example.org/verify/NAAS-7K2M-Q9XD-4HT8B-E",
    issuer_name="National Assessment and Accreditation System",
    issuer_url="https://naas.example.org",
)


def test_the_key_id_is_the_rfc_7638_thumbprint_of_its_jwk():
    # RFC 8037, appendix A.3: the thumbprint of the example Ed25519 key
    raw = base64.urlsafe_b64decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
    assert (
        PublicKey(Ed25519PublicKey.from_public_bytes(raw)).kid
        == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    )


def test_a_key_is_read_from_base64_of_its_raw_bytes_in_either_alphabet():
    raw = b"\xff" * 32  # base64 "/////...8=": looks like a path, is a key
    expected = PublicKey(Ed25519PrivateKey.from_private_bytes(raw).public_key()).kid
    assert parse_key(base64.b64encode(raw).decode()).kid == expected
    assert parse_key(base64.urlsafe_b64encode(raw).decode()).kid == expected
    assert len(base64.b64decode(new_key_text())) == 32


def test_a_key_is_read_from_a_pem_file(tmp_path):
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "signing.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    assert parse_key(str(path)).public.raw == key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


@pytest.mark.parametrize(
    "value, message",
    [
        (
            "not a key",
            "neither the base64 of a 32-byte Ed25519 private key nor the path of a PEM file",
        ),
        (base64.b64encode(b"x" * 31).decode(), "neither the base64 of a 32-byte"),
        (
            "/nonexistent/signing.pem",
            "names the file /nonexistent/signing.pem, which cannot be read",
        ),
    ],
)
def test_a_bad_key_setting_is_one_clear_line(value, message):
    with pytest.raises(ConfigError, match=message):
        parse_key(value)


def test_a_pem_file_holding_another_kind_of_key_is_refused(tmp_path):
    from cryptography.hazmat.primitives.asymmetric import ec

    path = tmp_path / "p256.pem"
    path.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ConfigError, match="not an Ed25519 key"):
        parse_key(str(path))


def test_demo_and_test_instances_generate_a_private_key_once(tmp_path, caplog):
    first = instance_key(tmp_path)
    assert "No NAAS_SIGNING_KEY is set" in caplog.text
    assert instance_key(tmp_path).kid == first.kid
    assert stat.S_IMODE((tmp_path / INSTANCE_KEY_FILE).stat().st_mode) == 0o600


def test_production_refuses_to_start_without_a_signing_key(monkeypatch):
    monkeypatch.setenv("NAAS_ENV", "production")
    monkeypatch.setenv("NAAS_SECRET_KEY", "test-secret-0123456789abcdefghijklmnop")
    monkeypatch.delenv("NAAS_SIGNING_KEY", raising=False)
    with pytest.raises(ConfigError, match="NAAS_SIGNING_KEY is not set"):
        create_app()


def test_production_starts_with_the_configured_key(monkeypatch, tmp_path):
    key = new_key_text()
    monkeypatch.setenv("NAAS_ENV", "production")
    monkeypatch.setenv("NAAS_SECRET_KEY", "test-secret-0123456789abcdefghijklmnop")
    monkeypatch.setenv("NAAS_SIGNING_KEY", key)
    monkeypatch.setenv("NAAS_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("NAAS_ALLOW_SQLITE", "1")
    app = create_app()
    assert app.extensions["naas.signing_key"].kid == parse_key(key).kid


def test_the_signed_record_holds_for_the_facts_it_was_signed_with():
    key = parse_key(new_key_text())
    record, signature = sign_record(key, FACTS)
    assert record_holds({key.kid: key.public}, FACTS, record, signature)


@pytest.mark.parametrize(
    "field, value",
    [
        ("number", "NAAS-0000-0000-00000-0"),
        ("holder_name", "Amara Okafor-Smith"),
        ("registration_number", "SW424243"),
        ("tier", "leader"),
        ("tier_title", "Practice leader"),
        ("issued_on", date(2026, 3, 13)),
        ("expires_on", date(2039, 3, 12)),
    ],
)
def test_changing_any_signed_fact_breaks_the_record(field, value):
    key = parse_key(new_key_text())
    record, signature = sign_record(key, FACTS)
    assert not record_holds(
        {key.kid: key.public}, replace(FACTS, **{field: value}), record, signature
    )


def test_a_new_record_says_its_version_and_covers_the_tier_title():
    record = json.loads(sign_record(parse_key(new_key_text()), FACTS)[0])
    assert record["v"] == 2 and record["tier_title"] == "Approved child and family practitioner"


def version_1_record(key, facts):
    """A record as signed before the tier title was signed: no version, no title."""
    record = {
        **{
            k: v
            for k, v in json.loads(sign_record(key, facts)[0]).items()
            if k not in ("v", "tier_title")
        }
    }
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text, b64url(key.sign(text.encode("utf-8")))


def test_a_version_1_record_still_verifies_by_its_own_fields():
    key = parse_key(new_key_text())
    record, signature = version_1_record(key, FACTS)
    assert record_holds({key.kid: key.public}, FACTS, record, signature)
    assert not record_holds(
        {key.kid: key.public}, replace(FACTS, holder_name="Someone Else"), record, signature
    )


@pytest.mark.parametrize("version", [3, "2", None, [2]])
def test_a_record_of_a_version_we_do_not_know_fails(version):
    key = parse_key(new_key_text())
    text = json.dumps(
        {**json.loads(sign_record(key, FACTS)[0]), "v": version},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert not record_holds(
        {key.kid: key.public}, FACTS, text, b64url(key.sign(text.encode("utf-8")))
    )


def test_a_record_rewritten_to_match_altered_facts_fails_its_signature():
    key = parse_key(new_key_text())
    record, signature = sign_record(key, FACTS)
    altered = replace(FACTS, holder_name="Someone Else")
    rewritten = json.dumps(
        {**json.loads(record), "holder_name": "Someone Else"}, sort_keys=True, separators=(",", ":")
    )
    assert not record_holds({key.kid: key.public}, altered, rewritten, signature)


def test_a_record_signed_by_a_key_not_trusted_fails():
    ours, theirs = parse_key(new_key_text()), parse_key(new_key_text())
    record, signature = sign_record(theirs, FACTS)
    assert not record_holds({ours.kid: ours.public}, FACTS, record, signature)


def test_a_retired_key_still_checks_what_it_signed(tmp_path):
    old = parse_key(new_key_text())
    path = tmp_path / "old.pem"
    path.write_text(old.public.pem())
    record, signature = sign_record(old, FACTS)
    assert record_holds(retired_keys(str(path)), FACTS, record, signature)


def test_public_keys_load_from_the_published_pem_and_jwk_set():
    key = parse_key(new_key_text())
    assert list(load_public_keys(key.public.pem().encode())) == [key.kid]
    assert list(load_public_keys(json.dumps({"keys": [key.public.jwk()]}).encode())) == [key.kid]
    with pytest.raises(ValueError):
        load_public_keys(b"hello")
