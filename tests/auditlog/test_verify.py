"""`naas audit verify` names each way the log can be bent outside the service, and exits 1."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from naas import audit
from naas.auditlog.sealing import CHECKPOINT_EVERY
from naas.auditlog.services import seal
from naas.db import utcnow
from naas.models import AuditCheckpoint, AuditEvent

START = utcnow()


@pytest.fixture
def checkpoints(app):
    from pathlib import Path

    return Path(app.config["NAAS_AUDIT_CHECKPOINT_FILE"])


@pytest.fixture
def logged(app, session):
    """Six records, sealed in two batches a minute apart: two signed checkpoints (seals 3, 6)."""
    with app.app_context():
        for batch in range(2):
            for n in range(3):
                audit.record(
                    session,
                    action="test.event",
                    subject_type="thing",
                    subject_id=3 * batch + n,
                    actor_id=None,
                    now=START,
                    data={"n": n},
                )
            session.commit()
            seal(session, START + batch * CHECKPOINT_EVERY)
    return session


def verify(runner, *args):
    result = runner.invoke(args=["audit", "verify", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def change(session, sql, **params):
    session.execute(text(sql), params)
    session.commit()


def test_an_untouched_log_verifies_with_its_counts(runner, logged, checkpoints):
    assert len(checkpoints.read_text().splitlines()) == 2
    code, output = verify(runner)
    assert code == 0, output
    assert output.startswith("OK: 6 record(s): 6 sealed (from seal 1 to 6;")
    assert "0 waiting to be sealed; 2 checkpoint(s) in the database, 2 in the file" in output


def test_records_waiting_to_be_sealed_are_checked_and_counted(runner, logged):
    audit.record(
        logged, action="test.late", subject_type="thing", subject_id=9, actor_id=None, now=START
    )
    logged.commit()
    code, output = verify(runner)
    assert code == 0 and "1 waiting to be sealed" in output
    change(logged, "UPDATE audit_events SET subject_id = '10' WHERE seal_seq IS NULL")
    code, output = verify(runner)
    assert code == 1
    assert "record 7 (test.late, not yet sealed): its content does not match its MAC" in output


def test_an_edited_record_is_named(runner, logged):
    change(logged, "UPDATE audit_events SET subject_id = '99' WHERE id = 2")
    code, output = verify(runner)
    assert code == 1
    lines = output.splitlines()
    assert lines[0] == (
        "Error: record 2 (test.event, seal 2): its content does not match its MAC: it was "
        "edited, or copied under another id, outside the service"
    )
    assert "record 2 (test.event, seal 2): its content does not match its hash" in output
    assert "Traceback" not in output


def test_a_removed_record_in_the_middle_is_named(runner, logged):
    change(logged, "DELETE FROM audit_events WHERE id = 4")
    code, output = verify(runner)
    assert code == 1
    assert "record 5 (test.event, seal 5): the sealed record 4 before it are missing" in output


def test_reordered_records_are_named(runner, logged):
    change(logged, "UPDATE audit_events SET seal_seq = -seal_seq WHERE id IN (2, 3)")
    change(logged, "UPDATE audit_events SET seal_seq = 3 WHERE id = 2")
    change(logged, "UPDATE audit_events SET seal_seq = 2 WHERE id = 3")
    code, output = verify(runner)
    assert code == 1
    assert "record 3 (test.event, seal 2): its link to the record before it is broken" in output


def test_the_newest_sealed_records_removed_with_their_checkpoint_are_caught_by_the_file(
    runner, logged, checkpoints
):
    change(logged, "DELETE FROM audit_events WHERE seal_seq > 4")
    change(logged, "DELETE FROM audit_checkpoints WHERE seal_seq > 4")
    code, output = verify(runner)
    assert code == 1
    assert (
        f"the checkpoint on {checkpoints} line 2 seals record 6, but the chain ends at seal 4: "
        "the newest sealed records were removed" in output
    )


def test_a_recomputed_chain_is_caught_by_the_mac_and_the_checkpoints(runner, logged, checkpoints):
    """The chain's hashes are public arithmetic: rewriting them after an edit is easy. The MAC
    and the signed checkpoints are not."""
    event = logged.get(AuditEvent, 2)
    event.data = {"n": 42}
    previous = event.prev_hash
    for each in logged.scalars(
        select(AuditEvent).where(AuditEvent.seal_seq >= 2).order_by(AuditEvent.seal_seq)
    ):
        each.prev_hash = None
        each.hash = None
    logged.flush()
    for each in logged.scalars(
        select(AuditEvent).where(AuditEvent.seal_seq >= 2).order_by(AuditEvent.seal_seq)
    ):
        each.prev_hash = previous
        each.hash = previous = audit.chain_hash(each)
        logged.flush()
    logged.execute(text("DELETE FROM audit_checkpoints"))
    logged.commit()
    code, output = verify(runner)
    assert code == 1
    assert "record 2 (test.event, seal 2): its content does not match its MAC" in output
    assert (
        f"the checkpoint on {checkpoints} line 1 does not match the chain at seal 3: the chain "
        "was recomputed or rewritten" in output
    )


def test_a_tampered_checkpoint_line_is_named(runner, logged, checkpoints):
    lines = checkpoints.read_text().splitlines()
    first = json.loads(lines[0])
    first["hash"] = "0" * 64
    checkpoints.write_text("\n".join([json.dumps(first), lines[1], "not json at all"]) + "\n")
    code, output = verify(runner)
    assert code == 1
    assert (
        f"Error: {checkpoints} line 1: the checkpoint at seal 3 does not hold its signature: "
        "the line was altered" in output
    )
    assert f"Error: {checkpoints} line 3 is not a checkpoint" in output
    assert "Traceback" not in output


def test_a_checkpoint_with_a_bad_signature_in_the_database_is_named(runner, logged):
    checkpoint = logged.scalar(select(AuditCheckpoint).where(AuditCheckpoint.seal_seq == 6))
    checkpoint.signature = checkpoint.signature[::-1]
    logged.commit()
    code, output = verify(runner)
    assert code == 1
    assert (
        "the checkpoint at seal 6 in the database: its signature does not hold: it was forged "
        "or altered" in output
    )


def test_a_missing_checkpoint_file_is_named(runner, logged, checkpoints):
    checkpoints.unlink()
    code, output = verify(runner)
    assert code == 1 and f"the checkpoint file {checkpoints} is missing" in output


def test_a_record_forged_without_the_key_is_named(runner, logged):
    change(
        logged,
        "INSERT INTO audit_events (id, at, action, subject_type, subject_id, data, row_mac, "
        "mac_kid) VALUES (50, :at, 'certificate.revoke', 'certificate', '1', '{}', :mac, :kid)",
        at=START.replace(tzinfo=None),
        mac="a" * 64,
        kid=logged.scalar(select(AuditEvent.mac_kid).limit(1)),
    )
    code, output = verify(runner)
    assert code == 1
    assert "record 50 (certificate.revoke, not yet sealed): its content does not match" in output


def test_verify_since_checks_the_chain_from_there(runner, logged):
    change(logged, "UPDATE audit_events SET prev_hash = NULL, hash = NULL WHERE id = 1")
    code, _ = verify(runner)
    assert code == 1
    code, output = verify(runner, "--since", "3")
    assert code == 0, output
    assert "4 record(s): 4 sealed (from seal 3 to 6;" in output


def test_verify_since_beyond_the_chain_or_below_one_is_refused_clearly(runner, logged):
    code, output = verify(runner, "--since", "40")
    assert code == 1 and "there is no sealed record 39 to start from" in output
    result = runner.invoke(args=["audit", "verify", "--since", "0"])
    assert result.exit_code == 2 and "0 is not in the range x>=1" in result.output


def test_legacy_records_are_checked_by_the_chain(runner, session):
    """Records from before sealing (migration 0017) have no MAC; their old hashes still link."""
    previous = audit.GENESIS
    for n in range(1, 4):
        event = AuditEvent(
            id=n,
            at=START,
            actor_id=None,
            action="old.event",
            subject_type="thing",
            subject_id=str(n),
            data={},
            seal_seq=n,
            prev_hash=previous,
        )
        event.hash = previous = audit.legacy_hash(event)
        session.add(event)
    session.commit()
    code, output = verify(runner)
    assert code == 0 and "3 legacy" in output, output
    change(session, "UPDATE audit_events SET subject_id = '9' WHERE id = 2")
    code, output = verify(runner)
    assert code == 1
    assert "record 2 (old.event, seal 2): its content does not match its hash" in output


def test_the_sealing_job_and_the_hourly_verification_job(app, session, logged):
    from naas.jobs import scheduler
    from naas.jobs.core import enqueue, run
    from naas.models import Job

    assert {"seal_audit", "verify_audit"} <= {periodic.kind for periodic in scheduler.PERIODIC}
    # the jobs read the app's clock: ten seconds after the fixture's last checkpoint, so that
    # no new checkpoint falls due however long after import the test runs
    app.config["NAAS_CLOCK"] = lambda: START + CHECKPOINT_EVERY + timedelta(seconds=10)
    audit.record(
        session, action="test.late", subject_type="thing", subject_id=7, actor_id=None, now=START
    )
    seal_job = enqueue(session, "seal_audit", now=START)
    verify_job = enqueue(session, "verify_audit", now=START)
    session.commit()
    assert run(app, seal_job.id).state == "done"
    assert run(app, verify_job.id).state == "done"
    session.expire_all()
    assert session.get(Job, seal_job.id).outcome == "Sealed 1 audit record(s)."
    assert session.get(Job, verify_job.id).outcome.startswith("The audit log verifies: 7 record")
    change(session, "UPDATE audit_events SET action = 'x' WHERE id = 5")
    job = enqueue(session, "verify_audit", now=START)
    session.commit()
    assert run(app, job.id).state == "failed"
    session.expire_all()
    error = session.get(Job, job.id).error
    assert error.startswith("The audit log failed verification: record 5 (x, seal 5)")


def test_the_checkpoints_are_published_without_anything_about_anyone(client, logged):
    response = client.get("/.well-known/audit-checkpoints.json")
    assert response.status_code == 200
    body = response.get_json()
    assert [c["seq"] for c in body["checkpoints"]] == [6, 3]
    assert set(body["checkpoints"][0]) == {"seq", "hash", "at", "kid", "sig"}
    assert body["keys"] == "/.well-known/jwks.json"


def test_a_checkpoint_the_file_missed_is_appended_at_the_next_seal(app, session, checkpoints):
    audit.record(session, action="t", subject_type="thing", subject_id=1, actor_id=None, now=START)
    session.commit()
    with app.app_context():
        seal(session, START)
        checkpoints.unlink()  # as if the append had failed after the commit
        audit.record(
            session, action="t", subject_type="thing", subject_id=2, actor_id=None, now=START
        )
        session.commit()
        seal(session, START + timedelta(minutes=2))
    assert [json.loads(line)["seq"] for line in checkpoints.read_text().splitlines()] == [1, 2]
