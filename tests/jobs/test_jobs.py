"""Background jobs without a broker (run in the process that writes them, as in the demo):
the transactional outbox, claiming, retries with backoff, cancelling, the release job and the
admin's pages, and the scheduler's once-per-cluster periodic work."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from naas.db import utcnow as clock_now
from naas.jobs import core, scheduler
from naas.jobs.core import JobRefused, NothingToDo, backoff, claim, enqueue, kind
from naas.models import AuditEvent, Job, Result

from ..helpers import csrf_token, login

CALLS: list[dict] = []


@kind("test.record", title="Record a call (tests)", max_attempts=3)
def _record(context):
    CALLS.append(dict(context.payload))
    if context.payload.get("fail"):
        raise RuntimeError("a temporary failure")
    if context.payload.get("refuse"):
        raise JobRefused("cannot do that as things stand")
    if context.payload.get("gone"):
        raise NothingToDo("the message was deleted")
    return "recorded"


@pytest.fixture(autouse=True)
def _fresh_calls():
    CALLS.clear()


def _job(session, job_id) -> Job:
    session.expire_all()
    return session.get(Job, job_id)


def test_a_job_runs_once_its_transaction_commits_and_never_if_it_rolls_back(app, session):
    with app.app_context():
        job = enqueue(session, "test.record", {"n": 1})
        assert CALLS == []  # written, not run: the transaction is still open
        session.commit()
    assert CALLS == [{"n": 1}]
    assert _job(session, job.id).state == "done" and _job(session, job.id).outcome == "recorded"
    with app.app_context():
        enqueue(session, "test.record", {"n": 2})
        session.rollback()
    assert CALLS == [{"n": 1}]
    assert session.scalar(select(func.count()).select_from(Job)) == 1


def test_a_dedupe_key_writes_one_job_however_often_it_is_asked_for(app, session):
    with app.app_context():
        first = enqueue(session, "test.record", {"n": 1}, dedupe_key="once")
        second = enqueue(session, "test.record", {"n": 2}, dedupe_key="once")
        session.commit()
    assert first is not None and second is None
    assert CALLS == [{"n": 1}]


def test_a_failing_job_is_retried_with_backoff_then_fails_and_an_admin_can_try_again(
    app, client, session, admin
):
    with app.app_context():
        job = enqueue(session, "test.record", {"fail": True})
        session.commit()
    failed = _job(session, job.id)
    assert failed.state == "queued" and failed.attempts == 1
    assert failed.error == "RuntimeError: a temporary failure"
    wait = failed.run_after - failed.started_at
    assert timedelta(seconds=29) <= wait <= timedelta(seconds=31)  # the first backoff
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]
    # run again early: refused until its wait is over
    assert core.run(app, job.id).retry_in > 0 and _job(session, job.id).attempts == 1
    for _ in range(2):  # the wait over, attempts two and three
        failed = _job(session, job.id)
        failed.run_after = clock_now() - timedelta(seconds=1)
        session.commit()
        core.run(app, job.id)
    failed = _job(session, job.id)
    assert failed.state == "failed" and failed.attempts == 3 and len(CALLS) == 3

    login(client, admin.email)
    page = client.get(f"/admin/jobs/{job.id}").get_data(as_text=True)
    assert "Failed." in page and "a temporary failure" in page and "3 of 3" in page
    listing = client.get("/admin/jobs?state=failed").get_data(as_text=True)
    assert f'href="/admin/jobs/{job.id}"' in listing and "Failed (1)" in listing
    token = csrf_token(client, f"/admin/jobs/{job.id}")
    assert client.post(f"/admin/jobs/{job.id}/retry", data={"csrf_token": token}).status_code == 303
    assert len(CALLS) == 4  # tried again at once (no broker), failed again
    assert _job(session, job.id).attempts == 1
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "job.retry")) is not None
    assert client.post(f"/admin/jobs/{job.id}/retry").status_code == 400  # no CSRF token


def test_a_refused_job_fails_at_once_and_a_job_with_nothing_to_do_ends_done(app, session):
    with app.app_context():
        refused = enqueue(session, "test.record", {"refuse": True})
        gone = enqueue(session, "test.record", {"gone": True})
        session.commit()
    assert _job(session, refused.id).state == "failed" and _job(session, refused.id).attempts == 1
    assert _job(session, refused.id).error == "cannot do that as things stand"
    assert _job(session, gone.id).state == "done"
    assert _job(session, gone.id).outcome == "Nothing to do: the message was deleted"


def test_a_deleted_job_is_nothing_to_do_not_a_retry_loop(app, session):
    assert core.run(app, 987654) == core.RunOutcome("absent")


def test_only_one_claimant_holds_a_running_job_until_its_lease_ends(app, session):
    with app.app_context():
        job = enqueue(session, "test.record", {}, run_after=clock_now() + timedelta(days=1))
        session.commit()
    now = clock_now() + timedelta(days=2)
    lease = timedelta(seconds=60)
    assert claim(session, job.id, now, lease)
    assert not claim(session, job.id, now + timedelta(seconds=30), lease)  # still held
    assert claim(session, job.id, now + timedelta(seconds=61), lease)  # its holder died
    assert _job(session, job.id).attempts == 2


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_workers_claiming_at_once_never_both_win(app, session):
    with app.app_context():
        jobs = [
            enqueue(session, "test.record", {}, run_after=clock_now() + timedelta(days=1))
            for _ in range(20)
        ]
        session.commit()
    now, lease = clock_now() + timedelta(days=2), timedelta(seconds=60)
    wins: list[int] = []
    barrier = threading.Barrier(2)

    def worker():
        own = app.extensions["naas.db"]()
        barrier.wait()
        for job in jobs:
            if claim(own, job.id, now, lease):
                wins.append(job.id)
        own.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == sorted(job.id for job in jobs)  # each claimed exactly once


def test_cancelling_works_before_a_job_starts_and_not_after(app, client, session, admin):
    with app.app_context():
        waiting = enqueue(session, "test.record", {}, run_after=clock_now() + timedelta(hours=1))
        finished = enqueue(session, "test.record", {})
        session.commit()
    login(client, admin.email)
    token = csrf_token(client, f"/admin/jobs/{waiting.id}")
    page = client.get(f"/admin/jobs/{waiting.id}").get_data(as_text=True)
    assert "Waiting to start" in page and 'http-equiv="refresh"' in page
    answer = client.post(
        f"/admin/jobs/{waiting.id}/cancel", data={"csrf_token": token}, follow_redirects=True
    )
    assert "cancelled before it started" in answer.get_data(as_text=True)
    assert _job(session, waiting.id).state == "cancelled"
    core.run(app, waiting.id)
    assert len(CALLS) == 1  # the cancelled job never ran; `finished` did
    late = client.post(
        f"/admin/jobs/{finished.id}/cancel", data={"csrf_token": token}, follow_redirects=True
    )
    assert "cannot be cancelled" in late.get_data(as_text=True)
    assert _job(session, finished.id).state == "done"
    assert client.post("/admin/jobs/999999/cancel", data={"csrf_token": token}).status_code == 404


def test_the_admin_release_is_a_job_whose_page_shows_what_it_did(
    app, client, session, admin, ready
):
    app.config["NAAS_RELEASE_CHUNK"] = 2  # five results: three steps
    login(client, admin.email)
    token = csrf_token(client, "/admin/marking/")
    answer = client.post("/admin/marking/practitioner/release", data={"csrf_token": token})
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/admin/jobs/")
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Finished." in page and "Released 5 result(s) for practitioner" in page
    assert 'http-equiv="refresh"' not in page  # finished: the page stops refreshing
    session.expire_all()
    released = session.scalars(select(Result.released_at)).all()
    assert len(released) == 5 and all(released)
    events = session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "result.release")
    )
    assert events == 5
    job = session.scalar(select(Job).where(Job.kind == "release_results"))
    assert (job.progress_done, job.progress_total, job.created_by) == (5, 5, admin.id)
    # released twice: the second finds nothing to do and releases nothing again
    again = client.post("/admin/marking/practitioner/release", data={"csrf_token": token})
    assert "Nothing to release" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "result.release")
        )
        == 5
    )


def test_the_scheduler_writes_each_periodic_job_once_per_slot(app, session, monkeypatch):
    # one periodic kind, so that the counts are its own (feature areas add theirs)
    monkeypatch.setattr(
        scheduler, "PERIODIC", [scheduler.Periodic("expire_sittings", timedelta(minutes=1))]
    )
    now = clock_now().replace(second=10, microsecond=0)
    first = scheduler.tick(app, now)
    second = scheduler.tick(app, now + timedelta(seconds=20))  # same minute
    third = scheduler.tick(app, now + timedelta(minutes=1))
    assert (first["periodic"], second["periodic"], third["periodic"]) == (1, 0, 1)
    session.expire_all()
    expiries = session.scalars(select(Job).where(Job.kind == "expire_sittings")).all()
    assert len(expiries) == 2 and all(job.state == "done" for job in expiries)
    assert all(job.outcome.startswith("Submitted 0 sitting(s)") for job in expiries)


def test_the_scheduler_hands_over_a_job_whose_hand_over_was_lost(app, session):
    # as if the process died between the commit and the hand-over
    job = Job(
        kind="test.record",
        payload={"n": 7},
        state="pending",
        attempts=0,
        max_attempts=3,
        progress_done=0,
        created_at=clock_now() - timedelta(minutes=1),
    )
    session.add(job)
    session.commit()
    assert scheduler.tick(app)["handed_over"] >= 1
    assert CALLS == [{"n": 7}] and _job(session, job.id).state == "done"


def test_only_one_scheduler_is_active_at_a_time(app):
    with scheduler.leadership(app) as first, scheduler.leadership(app) as second:
        assert first is True and second is False
    with scheduler.leadership(app) as again:
        assert again is True  # let go when the first stopped
