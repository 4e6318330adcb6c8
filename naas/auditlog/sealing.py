"""The sealer: the one writer of the audit chain.

Records are written without a place in the chain (naas/audit.py). The sealer takes a lock of
its own (only another sealer waits for it), reads the records not yet sealed in id order and
gives each the next place and its hash. The chain's order is the order of sealing, so a record
whose transaction commits late simply joins a later batch: no gap, no reordering.

After sealing, the chain's head is signed with the certificate signing key (a checkpoint),
at most once a minute, kept in `audit_checkpoints` and appended to a file outside the
database (NAAS_AUDIT_CHECKPOINT_FILE), which is what detects the newest records being removed
or the chain being recomputed (docs/audit.md).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import has_app_context
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from naas.audit import GENESIS, chain_hash
from naas.certificates.signing import PublicKey, SigningKey, b64url, b64url_decode, canonical
from naas.models import AuditCheckpoint, AuditEvent

log = logging.getLogger("naas.audit")

SEAL_LOCK_KEY = 0x6E616173_6175  # "naas" "au": held by a sealer until it commits
BATCH = 1000
# How often the head is signed while records keep coming. A quiet chain gets its checkpoint at
# the next run after this too, so the newest records are never unanchored for longer.
CHECKPOINT_EVERY = timedelta(minutes=1)
CHECKPOINT_TYPE = "naas.audit.checkpoint.v1"  # signed with them: not mistakable for a certificate


@dataclass(frozen=True)
class SealOutcome:
    sealed: int
    head: int  # the last seal_seq, 0 for an empty chain
    checkpoint: AuditCheckpoint | None


def signed_document(seq: int, hash_: str, at: datetime, kid: str) -> bytes:
    return canonical(
        {"type": CHECKPOINT_TYPE, "seq": seq, "hash": hash_, "at": at.isoformat(), "kid": kid}
    )


def make_checkpoint(key: SigningKey, seq: int, hash_: str, at: datetime) -> AuditCheckpoint:
    at = at.astimezone(UTC)  # as the database gives it back, so that the signature holds
    signature = key.sign(signed_document(seq, hash_, at, key.kid))
    return AuditCheckpoint(
        seal_seq=seq, hash=hash_, at=at, kid=key.kid, signature=b64url(signature)
    )


def public_form(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    """A checkpoint as the file and the public URL carry it: nothing about anyone."""
    return {
        "seq": checkpoint.seal_seq,
        "hash": checkpoint.hash,
        "at": checkpoint.at.isoformat(),
        "kid": checkpoint.kid,
        "sig": checkpoint.signature,
    }


def signature_holds(checkpoint: AuditCheckpoint, keys: dict[str, PublicKey]) -> bool:
    key = keys.get(checkpoint.kid)
    if key is None:
        return False
    try:
        signature = b64url_decode(checkpoint.signature)
    except ValueError:
        return False
    document = signed_document(checkpoint.seal_seq, checkpoint.hash, checkpoint.at, checkpoint.kid)
    return key.verify(signature, document)


def _lock(session: Session) -> None:
    """Only one sealer at a time. Writers of records never take this lock. On SQLite the
    database's single writer does the same, and the unique seal_seq backs both."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEAL_LOCK_KEY})


def seal_pending(
    session: Session,
    now: datetime,
    *,
    key: SigningKey | None = None,
    checkpoint_file: str | Path | None = None,
    limit: int = 50_000,
) -> SealOutcome:
    """Seal the records waiting (up to `limit`), sign the head when a checkpoint is due, and
    commit. It commits itself because the checkpoint goes into the file only after the
    database holds it: a checkpoint in the file that the database never committed would read
    as the chain's end having been cut off."""
    if key is None:
        from naas.certificates.services import signing_key

        key = signing_key(session)
    _lock(session)
    head = session.execute(
        select(AuditEvent.seal_seq, AuditEvent.hash)
        .where(AuditEvent.seal_seq.is_not(None))
        .order_by(AuditEvent.seal_seq.desc())
        .limit(1)
    ).first()
    seq, previous = (head.seal_seq, head.hash) if head is not None else (0, GENESIS)
    sealed = 0
    while sealed < limit:
        batch = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.seal_seq.is_(None))
            .order_by(AuditEvent.id)
            .limit(min(BATCH, limit - sealed))
        ).all()
        if not batch:
            break
        for event in batch:
            seq += 1
            event.seal_seq, event.prev_hash, event.sealed_at = seq, previous, now
            event.hash = previous = chain_hash(event)
        session.flush()
        sealed += len(batch)
    checkpoint = None
    if seq and _checkpoint_due(session, seq, now):
        checkpoint = make_checkpoint(key, seq, previous, now)
        session.add(checkpoint)
    session.commit()
    if checkpoint_file is not None:
        publish(session, Path(checkpoint_file), {**_trusted_keys(), key.kid: key.public})
    return SealOutcome(sealed, seq, checkpoint)


def _trusted_keys() -> dict[str, PublicKey]:
    if not has_app_context():
        return {}
    from naas.certificates.services import trusted_keys

    return trusted_keys()


def _checkpoint_due(session: Session, head: int, now: datetime) -> bool:
    last = session.execute(
        select(AuditCheckpoint.seal_seq, AuditCheckpoint.at)
        .order_by(AuditCheckpoint.seal_seq.desc())
        .limit(1)
    ).first()
    if last is None:
        return True
    return last.seal_seq < head and now - last.at >= CHECKPOINT_EVERY


# -- the file outside the database ------------------------------------------------------------


def last_filed_seq(path: Path) -> int:
    """The seq of the file's last checkpoint (0 for none), read from its end: the file only
    grows, by one line a minute at most."""
    for line in reversed(_tail(path).splitlines()):
        try:
            return int(json.loads(line)["seq"])
        except (ValueError, KeyError, TypeError):
            continue  # a torn or damaged last line: verification names it
    return 0


def _tail(path: Path, size: int = 4096) -> bytes:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - size))
            return handle.read()
    except FileNotFoundError:
        return b""


def publish(session: Session, path: Path, keys: dict[str, PublicKey]) -> int:
    """Append to the file every checkpoint the database holds beyond the file's last one,
    each whose signature holds (an append that failed last time is made good now). Returns
    how many lines were written."""
    after = last_filed_seq(path)
    missing = session.scalars(
        select(AuditCheckpoint)
        .where(AuditCheckpoint.seal_seq > after)
        .order_by(AuditCheckpoint.seal_seq)
    ).all()
    lines = []
    for checkpoint in missing:
        if not signature_holds(checkpoint, keys):
            log.error(
                "audit checkpoint at seal %s in the database does not hold its signature: "
                "not copied to %s (run `naas audit verify`)",
                checkpoint.seal_seq,
                path,
            )
            continue
        lines.append(json.dumps(public_form(checkpoint), sort_keys=True) + "\n")
    if not lines:
        return 0
    tail = _tail(path, 1)
    if tail and tail != b"\n":
        lines.insert(0, "\n")  # after a torn last line, start a line of our own
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.writelines(lines)
        handle.flush()
        os.fsync(handle.fileno())
    return len(lines)
