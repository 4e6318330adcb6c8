"""Open Badges 3.0 credentials, signed as VC-JWT (EdDSA), and their offline check.

The JWT is built here with `cryptography` alone: header {"alg": "EdDSA", "typ": "JWT",
"kid": ...}, the credential itself as the payload (Open Badges 3.0, section 8.2) with the
registered claims iss, jti, nbf and exp that mirror its issuer, id and dates.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from .accreditation import Accreditation
from .numbers import parse_number
from .signing import PublicKey, SigningKey, b64url, b64url_decode

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
REGISTRATION_TYPE = "ext:SocialWorkEnglandRegistration"


class CredentialError(ValueError):
    """The file is not a genuine credential; the message says why, in one line."""


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _stamp(day: date) -> str:
    return _instant(day).strftime("%Y-%m-%dT%H:%M:%SZ")


def open_badge(accreditation: Accreditation) -> dict[str, Any]:
    """The accreditation as an OpenBadgeCredential (a W3C Verifiable Credential)."""
    a = accreditation
    issuer = {"id": a.issuer_url, "type": ["Profile"], "name": a.issuer_name, "url": a.issuer_url}
    areas = "; ".join(f"{code} {title}" for code, title in a.areas)
    return {
        "@context": CONTEXT,
        "id": a.verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer,
        "validFrom": _stamp(a.issued_on),
        "validUntil": _stamp(a.expires_on),
        "awardedDate": _stamp(a.issued_on),
        "name": a.tier_title,
        "description": f"Certificate {a.number}: {a.holder_name} is accredited as {a.tier_title}.",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": a.holder_name,
                },
                {
                    "type": "IdentityObject",
                    "identityType": REGISTRATION_TYPE,
                    "hashed": False,
                    "identityHash": a.registration_number,
                },
            ],
            "achievement": {
                "id": f"{a.issuer_url}/tiers/{a.tier}",
                "type": ["Achievement"],
                "achievementType": "Certification",
                "name": a.tier_title,
                "description": f"Accreditation at the {a.tier_title} tier of the National Assessment and "
                "Accreditation System for child and family social workers in England.",
                "criteria": {
                    "narrative": "Passed the assessment of the Knowledge and Skills Statement for "
                    f"this tier, in these areas: {areas}."
                },
                "creator": issuer,
            },
        },
    }


def credential_jwt(accreditation: Accreditation, key: SigningKey) -> str:
    credential = open_badge(accreditation)
    claims = {
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "nbf": int(_instant(accreditation.issued_on).timestamp()),
        "exp": int(_instant(accreditation.expires_on).timestamp()),
    }
    return encode_jwt({**credential, **claims}, key)


def encode_jwt(payload: dict[str, Any], key: SigningKey) -> str:
    header = {"alg": "EdDSA", "typ": "JWT", "kid": key.kid}
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
        for part in (header, payload)
    )
    return f"{signing_input}.{b64url(key.sign(signing_input.encode('ascii')))}"


def decode_jwt(token: str, keys: Mapping[str, PublicKey]) -> dict[str, Any]:
    """The payload of a JWT signed by one of `keys` (by id), or CredentialError saying what is wrong."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise CredentialError("it is not a credential: a VC-JWT has three parts separated by dots")
    try:
        header = json.loads(b64url_decode(parts[0]))
    except ValueError:
        raise CredentialError("it is not a credential: its header is not base64url JSON") from None
    if not isinstance(header, dict) or header.get("alg") != "EdDSA":
        alg = header.get("alg") if isinstance(header, dict) else None
        raise CredentialError(
            f"it is forged: it claims the algorithm {alg!r}, but NAAS credentials are "
            "signed with EdDSA"
        )
    kid = header.get("kid")
    key = keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise CredentialError(
            f"it is not signed with the key given: it names the key {header.get('kid')!r}, "
            f"the key given is {', '.join(map(repr, keys))}"
        )
    try:
        signature = b64url_decode(parts[2])
    except ValueError:
        raise CredentialError("it is not a credential: its signature is not base64url") from None
    if not key.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii")):
        raise CredentialError(
            "it has been tampered with or forged: its signature does not match its content"
        )
    try:
        payload = json.loads(b64url_decode(parts[1]))
    except ValueError:
        raise CredentialError("it is signed but its content is not JSON") from None
    if not isinstance(payload, dict):
        raise CredentialError("it is signed but its content is not a credential")
    return payload


@dataclass(frozen=True)
class CheckedCredential:
    number: str
    holder_name: str
    registration_number: str
    tier_title: str
    valid_from: date
    valid_until: date
    verify_url: str

    def current_on(self, today: date) -> bool:
        return self.valid_from <= today < self.valid_until


def check_credential(token: str, keys: Mapping[str, PublicKey]) -> CheckedCredential:
    """Check a credential offline: the signature, then that its content is a NAAS credential
    whose registered claims agree with it."""
    payload = decode_jwt(token, keys)
    try:
        types = payload["type"]
        subject = payload["credentialSubject"]
        identities = {i["identityType"]: i["identityHash"] for i in subject["identifier"]}
        valid_from = datetime.strptime(payload["validFrom"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=UTC
        )
        valid_until = datetime.strptime(payload["validUntil"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=UTC
        )
        claims = (payload["iss"], payload["jti"], payload["nbf"], payload["exp"])
        stated = (
            payload["issuer"]["id"],
            payload["id"],
            int(valid_from.timestamp()),
            int(valid_until.timestamp()),
        )
        checked = CheckedCredential(
            number=parse_number(payload["id"].rsplit("/", 1)[-1]),
            holder_name=identities["name"],
            registration_number=identities[REGISTRATION_TYPE],
            tier_title=subject["achievement"]["name"],
            valid_from=valid_from.date(),
            valid_until=valid_until.date(),
            verify_url=payload["id"],
        )
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        raise CredentialError(
            "it is signed but it is not a NAAS credential (a required part is missing)"
        ) from None
    if "OpenBadgeCredential" not in types:
        raise CredentialError("it is signed but it is not an Open Badges credential")
    if claims != stated:
        raise CredentialError("it is signed but its claims contradict its content")
    return checked
