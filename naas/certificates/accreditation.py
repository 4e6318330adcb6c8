"""An accreditation as plain values, and the signed record that fixes its facts.

Rendering a PDF and building a credential take an `Accreditation` (no database, no
Flask), as Indico renders from plain values. The signed record covers the facts a forger
would want to change: number, holder name, registration number, tier, the tier's title as
shown, and both dates.

The record says which version of this list it follows ("v"; a record without one is
version 1, from before the title was signed). Each record is checked against its own
version's list, so records signed earlier keep verifying after the list grows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from .signing import PublicKey, SigningKey, b64url, b64url_decode, canonical

FIELDS_BY_VERSION = {
    1: ("number", "holder_name", "registration_number", "tier", "issued_on", "expires_on"),
    2: (
        "number",
        "holder_name",
        "registration_number",
        "tier",
        "tier_title",
        "issued_on",
        "expires_on",
    ),
}
RECORD_VERSION = 2  # what new records are signed as
SIGNED_FIELDS = FIELDS_BY_VERSION[RECORD_VERSION]
_NOT_FACTS = ("kid", "v")


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


def record_of(facts: Any, fields: tuple[str, ...] = SIGNED_FIELDS) -> dict[str, str]:
    """The signed facts of a certificate (a model row or an Accreditation)."""
    return {
        name: (value.isoformat() if isinstance(value, date) else value)
        for name in fields
        for value in [getattr(facts, name)]
    }


def sign_record(key: SigningKey, facts: Any) -> tuple[str, str]:
    """(record text, signature): the record names the key that signed it and its version."""
    record = {**record_of(facts), "v": RECORD_VERSION, "kid": key.kid}
    text = canonical(record).decode("utf-8")
    return text, b64url(key.sign(text.encode("utf-8")))


def record_holds(keys: dict[str, PublicKey], facts: Any, record_text: str, signature: str) -> bool:
    """True when the stored record is signed by a key we trust and states exactly these facts."""
    try:
        record = json.loads(record_text)
        key = keys.get(record.get("kid"))
        fields = FIELDS_BY_VERSION.get(record.get("v", 1))
        signed = key is not None and key.verify(
            b64url_decode(signature), record_text.encode("utf-8")
        )
    except (ValueError, AttributeError, TypeError):
        return False
    return (
        signed
        and fields is not None
        and {k: v for k, v in record.items() if k not in _NOT_FACTS} == record_of(facts, fields)
    )
