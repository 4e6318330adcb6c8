"""What the commands, jobs and pages of the audit log call: sealing and verifying with the
app's key and checkpoint file."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from naas.audit import mac_key
from naas.certificates.services import signing_key, trusted_keys
from naas.models import AuditCheckpoint

from .sealing import SealOutcome, public_form, seal_pending
from .verify import Report, verify

PUBLISHED = 100  # the newest checkpoints served at /.well-known/audit-checkpoints.json


def seal(session: Session, now: datetime) -> SealOutcome:
    from flask import current_app

    return seal_pending(
        session,
        now,
        key=signing_key(session),
        checkpoint_file=current_app.config["NAAS_AUDIT_CHECKPOINT_FILE"],
    )


def run_verification(session: Session, config: Mapping[str, Any], since: int = 1) -> Report:
    key = signing_key(session)
    return verify(
        session,
        mac_key=mac_key(session),
        keys={**trusted_keys(), key.kid: key.public},
        checkpoint_file=config["NAAS_AUDIT_CHECKPOINT_FILE"],
        since=since,
    )


def published_checkpoints(session: Session) -> list[dict[str, Any]]:
    newest = session.scalars(
        select(AuditCheckpoint).order_by(AuditCheckpoint.seal_seq.desc()).limit(PUBLISHED)
    )
    return [public_form(checkpoint) for checkpoint in newest]
