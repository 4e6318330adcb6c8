"""Audit records are written without a lock, each with a MAC under a key the database does not
hold, and sealed into one hash chain in the order they became visible."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from naas import audit
from naas.auditlog.sealing import CHECKPOINT_EVERY, seal_pending
from naas.certificates.services import SIGNING_KEY
from naas.config import ConfigError
from naas.db import utcnow
from naas.models import AuditCheckpoint, AuditEvent


def write(session, n, **extra):
    return audit.record(
        session,
        action="test.event",
        subject_type="thing",
        subject_id=n,
        actor_id=None,
        now=utcnow(),
        data={"n": n, "note": "é", **extra},
    )


def chain(session):
    session.expire_all()
    return session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()


def test_a_record_is_written_with_its_mac_and_no_place_in_the_chain(session):
    event = write(session, 1)
    session.commit()
    key, kid = audit.mac_key(session)
    assert event.row_mac == audit.row_mac(key, event) and event.mac_kid == kid
    assert event.seal_seq is None and event.hash is None and event.prev_hash is None


def test_the_mac_key_comes_from_the_signing_key_and_no_record_is_written_without_one(app):
    session = app.extensions["naas.db"]()
    key = session.info.pop(SIGNING_KEY)
    assert audit.mac_key_from(key)[0] != key.key.private_bytes_raw()  # derived, not the key
    with app.app_context(), pytest.raises(ConfigError, match="NAAS_SIGNING_KEY"):
        app.extensions.pop(SIGNING_KEY)
        write(session, 1)
    session.close()


def test_the_sealer_chains_the_waiting_records_in_order(session):
    for n in range(3):
        write(session, n)
    session.commit()
    outcome = seal_pending(session, utcnow())
    assert (outcome.sealed, outcome.head) == (3, 3)
    events = chain(session)
    assert [e.seal_seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == audit.GENESIS
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:2]]
    assert all(e.hash == audit.chain_hash(e) for e in events)


def test_sealing_again_seals_only_what_is_new(session):
    write(session, 1)
    session.commit()
    seal_pending(session, utcnow())
    assert seal_pending(session, utcnow()).sealed == 0
    write(session, 2)
    session.commit()
    outcome = seal_pending(session, utcnow())
    assert (outcome.sealed, outcome.head) == (1, 2)
    assert chain(session)[1].prev_hash == chain(session)[0].hash


def test_the_head_is_signed_at_most_once_a_minute_and_a_quiet_chain_still_gets_one(session):
    start = utcnow()
    write(session, 1)
    session.commit()
    assert seal_pending(session, start).checkpoint.seal_seq == 1
    write(session, 2)
    session.commit()
    assert seal_pending(session, start + timedelta(seconds=10)).checkpoint is None
    # nothing new to seal, but the head (seal 2) has not been signed for a minute
    later = seal_pending(session, start + CHECKPOINT_EVERY + timedelta(seconds=1))
    assert later.sealed == 0 and later.checkpoint.seal_seq == 2
    assert seal_pending(session, start + 3 * CHECKPOINT_EVERY).checkpoint is None  # no change
    assert session.scalars(select(AuditCheckpoint.seal_seq)).all() == [1, 2]


def test_the_checkpoint_signature_holds_with_the_published_key(app, session):
    write(session, 1)
    session.commit()
    checkpoint = seal_pending(session, utcnow()).checkpoint
    from naas.auditlog.sealing import signature_holds

    key = session.info[SIGNING_KEY]
    assert signature_holds(checkpoint, {key.kid: key.public})
    checkpoint.hash = "f" * 64
    assert not signature_holds(checkpoint, {key.kid: key.public})


# SQLite has one writer at a time by design: the lock this is about was PostgreSQL's
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_transactions_recording_at_once_do_not_wait_for_each_other(app, database_url):
    sessions = app.extensions["naas.db"]
    holding, other = sessions(), sessions()
    write(holding, 1)  # this transaction stays open, as a slow request's would
    finished = threading.Event()

    def record_and_commit():
        write(other, 2)
        other.commit()
        finished.set()

    thread = threading.Thread(target=record_and_commit)
    thread.start()
    try:
        assert finished.wait(5), "a record waited for another transaction's commit"
    finally:
        holding.commit()
        thread.join()
    holding.close()
    other.close()


# needs two writers at once, which SQLite does not have
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_record_that_commits_late_is_sealed_in_a_later_batch(app, database_url):
    sessions = app.extensions["naas.db"]
    late, early, sealer = sessions(), sessions(), sessions()
    first = write(late, 1)  # the lower id, still uncommitted
    second = write(early, 2)
    early.commit()
    assert seal_pending(sealer, utcnow()).sealed == 1  # only what is visible
    late.commit()
    assert seal_pending(sealer, utcnow()).sealed == 1
    places = dict(sealer.execute(select(AuditEvent.id, AuditEvent.seal_seq)).all())
    assert places == {second.id: 1, first.id: 2}
    for each in (late, early, sealer):
        each.close()
