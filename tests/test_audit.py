"""The audit log is a hash chain: any edit or removal is detected."""

from __future__ import annotations

from sqlalchemy import text

from naas import audit
from naas.db import utcnow


def write_three(session):
    for n in range(3):
        audit.record(
            session,
            action="test.event",
            subject_type="thing",
            subject_id=n,
            actor_id=None,
            now=utcnow(),
            data={"n": n, "note": "é"},
        )
    session.commit()


def test_an_untouched_chain_verifies(session):
    write_three(session)
    report = audit.verify_chain(session)
    assert report.ok and report.records == 3


def test_an_edited_record_is_detected(session):
    write_three(session)
    session.execute(text("UPDATE audit_events SET subject_id = '99' WHERE id = 2"))
    session.commit()
    report = audit.verify_chain(session)
    assert report.first_bad_id == 2 and "edited" in report.reason


def test_a_removed_record_is_detected(session):
    write_three(session)
    session.execute(text("DELETE FROM audit_events WHERE id = 2"))
    session.commit()
    report = audit.verify_chain(session)
    assert report.first_bad_id == 3 and "link" in report.reason


def test_the_chain_cannot_fork(session, app):
    write_three(session)
    other = app.extensions["naas.db"]()
    first = audit.record(
        session, action="a", subject_type="t", subject_id=1, actor_id=None, now=utcnow()
    )
    assert first.prev_hash != audit.GENESIS
    session.commit()
    second = audit.record(
        other, action="b", subject_type="t", subject_id=2, actor_id=None, now=utcnow()
    )
    other.commit()
    assert second.prev_hash == first.hash
    other.close()
    assert audit.verify_chain(session).ok
