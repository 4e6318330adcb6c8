"""The audit log: every record written freely, then sealed into one hash chain by one job.

`record()` inserts a record in the caller's transaction and takes no lock, so that unrelated
starts, submits and marks never wait for each other. It stores an HMAC of the record
(`row_mac`) under a key derived from the certificate signing key, which the database never
holds: whoever can only write to the database cannot forge or alter a record unnoticed. The
sealer (naas/auditlog/sealing.py) later gives each record its place in the chain, in the order
the records became visible, and signs the chain's head (docs/audit.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

from naas.config import ConfigError
from naas.models import AuditEvent

GENESIS = "0" * 64
MAC_PURPOSE = b"naas audit log: record MAC, v1"
MAC_KEY = "naas.audit_mac_key"  # in a session's info: (key, key id), derived once per session
KID_LENGTH = 16  # how much of the signing key's id a record keeps to name its MAC key


def mac_key_from(signing_key: Any) -> tuple[bytes, str]:
    """The records' MAC key, derived (HKDF-SHA256, a purpose label of its own) from the
    Ed25519 signing key's private bytes, and the id it is known by."""
    raw = signing_key.key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=MAC_PURPOSE).derive(raw)
    return key, signing_key.kid[:KID_LENGTH]


def mac_key(session: Session) -> tuple[bytes, str]:
    """The MAC key for records written through `session`: from the signing key its app gave it
    (naas/certificates). Without one no record can be written, and the caller hears why."""
    cached = session.info.get(MAC_KEY)
    if cached is not None:
        return cached
    from naas.certificates.services import signing_key

    try:
        signing = signing_key(session)
    except ConfigError:
        raise ConfigError(
            "NAAS_SIGNING_KEY is not set, so no audit record can be written (each record's MAC "
            "key is derived from it): set it (make a key with `naas cert new-key`)"
        ) from None
    session.info[MAC_KEY] = derived = mac_key_from(signing)
    return derived


def canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")


def content(event: AuditEvent) -> dict[str, Any]:
    """What a record says, including its id: a copy of a record under a new id fails its MAC."""
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor_id": event.actor_id,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "data": event.data,
    }


def row_mac(key: bytes, event: AuditEvent) -> str:
    return hmac.new(key, canonical(content(event)), hashlib.sha256).hexdigest()


def chain_hash(event: AuditEvent) -> str:
    """A sealed record's hash: its predecessor's hash, its place, its content and its MAC."""
    return hashlib.sha256(
        canonical(
            {
                "prev": event.prev_hash,
                "seq": event.seal_seq,
                "row": content(event),
                "mac": event.row_mac,
                "kid": event.mac_kid,
            }
        )
    ).hexdigest()


def legacy_hash(event: AuditEvent) -> str:
    """The hash of a record written before sealing existed (migration 0017): its content
    without the id, and its predecessor's hash."""
    return hashlib.sha256(
        canonical(
            {
                "at": event.at.isoformat(),
                "actor_id": event.actor_id,
                "action": event.action,
                "subject_type": event.subject_type,
                "subject_id": event.subject_id,
                "data": event.data,
                "prev_hash": event.prev_hash,
            }
        )
    ).hexdigest()


def record(
    session: Session,
    *,
    action: str,
    subject_type: str,
    subject_id: Any,
    actor_id: int | None,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one record in the caller's transaction, with its MAC and without a lock: it joins
    the chain when the sealer next runs after the transaction commits."""
    key, kid = mac_key(session)
    event = AuditEvent(
        at=now.astimezone(UTC),
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        # as the database will give it back, so that the MAC is of what is stored
        data=json.loads(json.dumps(data or {}, default=str)),
        mac_kid=kid,
    )
    session.add(event)
    session.flush()  # the id, which the MAC covers
    event.row_mac = row_mac(key, event)
    session.flush()
    return event
