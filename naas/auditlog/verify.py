"""Verifying the audit log: every record's MAC, the chain in seal order, every checkpoint's
signature, and the checkpoints kept outside the database against the chain.

What each check catches (docs/audit.md): a record edited, forged or copied fails its MAC; one
removed or reordered breaks the chain where it was; the newest records removed, or the chain
recomputed after an edit, no longer match a checkpoint in the file, which the database's
administrators cannot reach, nor re-sign without the signing key.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from naas.audit import GENESIS, KID_LENGTH, chain_hash, legacy_hash, row_mac
from naas.certificates.signing import PublicKey
from naas.models import AuditCheckpoint, AuditEvent

from .sealing import signature_holds

MAX_RECORD_PROBLEMS = 20  # beyond this, a count: the first ones say what happened


@dataclass
class Report:
    since: int = 1
    rows: int = 0
    sealed: int = 0
    unsealed: int = 0
    legacy: int = 0
    other_key: int = 0  # sealed under a signing key since replaced: chain-checked only
    head: int = 0
    checkpoints: int = 0
    filed: int = 0
    problems: list[str] = field(default_factory=list)
    _record_problems: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def record_problem(self, message: str) -> None:
        self._record_problems += 1
        if self._record_problems <= MAX_RECORD_PROBLEMS:
            self.problems.append(message)

    def finish(self) -> None:
        hidden = self._record_problems - MAX_RECORD_PROBLEMS
        if hidden > 0:
            self.problems.append(f"... and {hidden} more record(s) with the same kinds of problem")

    def summary(self) -> str:
        return (
            f"{self.rows} record(s): {self.sealed} sealed (from seal {self.since} to "
            f"{self.head}; {self.legacy} legacy, {self.other_key} under a replaced key, "
            f"checked by the chain only), {self.unsealed} waiting to be sealed; "
            f"{self.checkpoints} checkpoint(s) in the database, {self.filed} in the file"
        )


@dataclass(frozen=True)
class Anchor:
    """A checkpoint as found, in the database or on a line of the file."""

    where: str
    seq: int
    hash: str


def _name(event: AuditEvent) -> str:
    place = f", seal {event.seal_seq}" if event.seal_seq is not None else ", not yet sealed"
    return f"record {event.id} ({event.action}{place})"


def verify(
    session: Session,
    *,
    mac_key: tuple[bytes, str],
    keys: dict[str, PublicKey],
    checkpoint_file: str | Path | None,
    since: int = 1,
) -> Report:
    """Check the log from seal `since` on (and every record not yet sealed); the report lists
    one line per problem, the first bad record of the chain named with why."""
    report = Report(since=since)
    retired = {kid[:KID_LENGTH] for kid in keys} - {mac_key[1]}
    anchors = _database_checkpoints(session, keys, since, report)
    if checkpoint_file is not None:
        anchors += _filed_checkpoints(Path(checkpoint_file), keys, since, report)
    _walk_chain(session, mac_key, retired, since, anchors, report)
    _check_unsealed(session, mac_key, retired, report)
    report.finish()
    return report


def _check_mac(
    event: AuditEvent, mac_key: tuple[bytes, str], retired: set[str], report: Report
) -> None:
    key, kid = mac_key
    if event.mac_kid != kid:
        if event.seal_seq is not None and event.mac_kid in retired:
            report.other_key += 1  # sealed, and its key replaced since: the chain vouches for it
            return
        report.record_problem(
            f"{_name(event)}: its MAC names a key the service does not hold "
            f"({event.mac_kid or 'none'}): it was not written by the service"
        )
        return
    if event.row_mac is None or not hmac.compare_digest(event.row_mac, row_mac(key, event)):
        report.record_problem(
            f"{_name(event)}: its content does not match its MAC: it was edited, or copied "
            "under another id, outside the service"
        )


def _walk_chain(
    session: Session,
    mac_key: tuple[bytes, str],
    retired: set[str],
    since: int,
    anchors: list[Anchor],
    report: Report,
) -> None:
    wanted: dict[int, list[Anchor]] = {}
    for anchor in anchors:
        wanted.setdefault(anchor.seq, []).append(anchor)
    expected_seq, previous = since, GENESIS
    if since > 1:
        previous = session.scalar(select(AuditEvent.hash).where(AuditEvent.seal_seq == since - 1))
        if previous is None:
            report.problems.append(f"there is no sealed record {since - 1} to start from")
            return
    keyed_seen = since > 1 and session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.seal_seq < since, AuditEvent.row_mac.is_not(None))
    )
    broken = False
    rows = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.seal_seq >= since)
        .order_by(AuditEvent.seal_seq)
        .execution_options(yield_per=1000)
    )
    for event in rows:
        seq = cast(int, event.seal_seq)  # the query asks for seal_seq >= since: never NULL
        report.rows += 1
        report.sealed += 1
        report.head = seq
        legacy = event.row_mac is None and event.mac_kid is None
        if legacy:
            report.legacy += 1
            if keyed_seen and not broken:
                report.problems.append(
                    f"{_name(event)}: it has no MAC but comes after records that have one: it "
                    "was inserted, or its MAC removed, outside the service"
                )
                broken = True
        else:
            keyed_seen = True
            _check_mac(event, mac_key, retired, report)
        if broken:
            continue
        reason = None
        sealed_hash = legacy_hash(event) if legacy else chain_hash(event)
        if seq != expected_seq:
            missing = (
                f"record {expected_seq}"
                if seq == expected_seq + 1
                else f"records {expected_seq} to {seq - 1}"
            )
            reason = f"the sealed {missing} before it are missing: removed outside the service"
        elif event.prev_hash != previous:
            reason = "its link to the record before it is broken: a record was removed or reordered"
        elif event.hash != sealed_hash:
            reason = "its content does not match its hash in the chain: it was edited"
        if reason is not None:
            report.problems.append(f"{_name(event)}: {reason}")
            broken = True
            continue
        for anchor in wanted.pop(seq, ()):
            if anchor.hash != event.hash:
                report.problems.append(
                    f"{anchor.where} does not match the chain at seal {anchor.seq}: the chain "
                    "was recomputed or rewritten after the checkpoint was signed"
                )
                broken = True
        expected_seq, previous = seq + 1, sealed_hash  # the record's hash: it matched above
    if broken:
        return
    for seq in sorted(wanted):
        for anchor in wanted[seq]:
            report.problems.append(
                f"{anchor.where} seals record {seq}, but the chain ends at seal {report.head or since - 1}: "
                "the newest sealed records were removed"
            )


def _check_unsealed(
    session: Session, mac_key: tuple[bytes, str], retired: set[str], report: Report
) -> None:
    rows = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.seal_seq.is_(None))
        .order_by(AuditEvent.id)
        .execution_options(yield_per=1000)
    )
    for event in rows:
        report.rows += 1
        report.unsealed += 1
        _check_mac(event, mac_key, retired, report)


def _database_checkpoints(
    session: Session, keys: dict[str, PublicKey], since: int, report: Report
) -> list[Anchor]:
    anchors = []
    for checkpoint in session.scalars(
        select(AuditCheckpoint)
        .where(AuditCheckpoint.seal_seq >= since)
        .order_by(AuditCheckpoint.seal_seq)
    ):
        report.checkpoints += 1
        where = f"the checkpoint at seal {checkpoint.seal_seq} in the database"
        if checkpoint.kid not in keys:
            report.problems.append(
                f"{where} names a key this service does not trust ({checkpoint.kid})"
            )
        elif not signature_holds(checkpoint, keys):
            report.problems.append(
                f"{where}: its signature does not hold: it was forged or altered"
            )
        else:
            anchors.append(Anchor(where, checkpoint.seal_seq, checkpoint.hash))
    return anchors


def _filed_checkpoints(
    path: Path, keys: dict[str, PublicKey], since: int, report: Report
) -> list[Anchor]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        if report.checkpoints:
            report.problems.append(
                f"the checkpoint file {path} is missing, though the database holds "
                f"{report.checkpoints} checkpoint(s): the newest records cannot be vouched for"
            )
        return []
    except (OSError, UnicodeDecodeError) as exc:
        report.problems.append(f"the checkpoint file {path} cannot be read ({exc})")
        return []
    anchors = []
    for number, line in enumerate(lines, 1):
        where = f"{path} line {number}"
        checkpoint = _parse(line)
        if checkpoint is None:
            report.problems.append(f"{where} is not a checkpoint: it was damaged or altered")
            continue
        if checkpoint.seal_seq < since:
            continue
        report.filed += 1
        if checkpoint.kid not in keys:
            report.problems.append(
                f"{where} names a key this service does not trust ({checkpoint.kid})"
            )
        elif not signature_holds(checkpoint, keys):
            report.problems.append(
                f"{where}: the checkpoint at seal {checkpoint.seal_seq} does not hold its "
                "signature: the line was altered"
            )
        else:
            anchors.append(
                Anchor(f"the checkpoint on {where}", checkpoint.seal_seq, checkpoint.hash)
            )
    return anchors


def _parse(line: str) -> AuditCheckpoint | None:
    try:
        fields = json.loads(line)
        seq, hash_, kid, sig = fields["seq"], fields["hash"], fields["kid"], fields["sig"]
        at = datetime.fromisoformat(fields["at"])
    except (ValueError, KeyError, TypeError):
        return None
    if not (
        isinstance(seq, int)
        and seq > 0
        and all(isinstance(value, str) for value in (hash_, kid, sig))
        and at.tzinfo is not None
    ):
        return None
    return AuditCheckpoint(seal_seq=seq, hash=hash_, at=at, kid=kid, signature=sig)
