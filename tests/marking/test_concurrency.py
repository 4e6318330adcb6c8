"""Assessors taking work at the same moment, over real concurrent database connections."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text

from naas.marking import services
from naas.models import Mark, Script, User

from .test_services import NOW, scripts


def take_at_once(app, assessor_ids):
    """Each assessor takes next in a thread of their own, all released at the same moment;
    returns the script each was given (or the exception raised) and whether any thread hung."""
    outcomes, barrier = {}, threading.Barrier(len(assessor_ids))

    def run(assessor_id):
        session = app.extensions["naas.db"]()
        try:
            if session.get_bind().dialect.name == "postgresql":
                # a take that waited on another's script would fail here instead of hanging
                session.execute(text("SET lock_timeout = '5s'"))
            assessor = session.get(User, assessor_id)
            barrier.wait()
            mark = services.take_next(session, assessor, NOW, control_rate=0)
            outcomes[assessor_id] = mark.script_id if mark else None
            session.commit()
        except Exception as exc:  # the outcome under test
            session.rollback()
            outcomes[assessor_id] = exc
        finally:
            session.close()

    threads = [threading.Thread(target=run, args=(a,)) for a in assessor_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes, any(thread.is_alive() for thread in threads)


def test_assessors_taking_next_at_the_same_time_each_get_a_different_script(
    app, session, sitting, assessors
):
    a, b, _ = assessors
    outcomes, hung = take_at_once(app, [a.id, b.id])
    assert not hung
    assert all(isinstance(o, int) for o in outcomes.values()), outcomes
    assert sorted(outcomes.values()) == [s.id for s in scripts(session)]
    session.expire_all()
    marks = session.scalars(select(Mark).order_by(Mark.id)).all()
    assert sorted((m.assessor_id, m.purpose) for m in marks) == [(a.id, "first"), (b.id, "first")]


# row locks are PostgreSQL's: SQLite lets one writer at a time
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_take_passes_over_a_script_another_assessor_is_taking_without_waiting(
    app, session, sitting, assessors
):
    a, b, _ = assessors
    oldest, newer = scripts(session)
    session.close()
    taking = app.extensions["naas.db"]()
    other = app.extensions["naas.db"]()
    try:
        # b's take is under way: its transaction holds the oldest script's row
        taking.scalar(select(Script.id).where(Script.id == oldest.id).with_for_update())
        other.execute(text("SET lock_timeout = '2s'"))  # a wait on b's row fails the test
        mark = services.take_next(other, other.get(User, a.id), NOW, control_rate=0)
        assert mark.script_id == newer.id
        other.commit()
    finally:
        taking.rollback()
        taking.close()
        other.close()
