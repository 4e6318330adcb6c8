"""An accreditation as plain values, and the signed record that fixes its facts.

Rendering a PDF and building a credential take an `Accreditation` (no database, no
Flask), as Indico renders from plain values. The signed record covers the facts a forger
would want to change: number, holder name, registration number, tier and both dates.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from .signing import PublicKey, SigningKey, b64url, b64url_decode, canonical

SIGNED_FIELDS = ("number", "holder_name", "registration_number", "tier", "issued_on", "expires_on")


@dataclass(frozen=True)
class Accreditation:
    number: str
    holder_name: str
    registration_number: str
    tier: str
    tier_title: str
    areas: tuple[tuple[str, str], ...]  # KSS (code, title)
    issued_on: date
    expires_on: date
    verify_url: str
    issuer_name: str
    issuer_url: str
    revoked_on: date | None = None
    revoked_reason: str | None = None


def record_of(facts: Any) -> dict[str, str]:
    """The signed facts of a certificate (a model row or an Accreditation)."""
    return {name: (value.isoformat() if isinstance(value, date) else value)
            for name in SIGNED_FIELDS for value in [getattr(facts, name)]}


def sign_record(key: SigningKey, facts: Any) -> tuple[str, str]:
    """(record text, signature): the record names the key that signed it."""
    record = {**record_of(facts), "kid": key.kid}
    text = canonical(record).decode("utf-8")
    return text, b64url(key.sign(text.encode("utf-8")))


def record_holds(keys: dict[str, PublicKey], facts: Any, record_text: str, signature: str) -> bool:
    """True when the stored record is signed by a key we trust and states exactly these facts."""
    try:
        record = json.loads(record_text)
        key = keys.get(record.get("kid"))
        signed = key is not None and key.verify(b64url_decode(signature), record_text.encode("utf-8"))
    except (ValueError, AttributeError):
        return False
    return signed and {k: v for k, v in record.items() if k != "kid"} == record_of(facts)
