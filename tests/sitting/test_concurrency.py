"""Saves racing from several devices at once, over real concurrent database connections."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from naas.models import AuditEvent, Response, Result, Sitting
from naas.sitting import services
from naas.sitting.services import SittingRefused

from ..helpers import csrf_token, login, make_user
from .conftest import START, autosave, endorse, page_items, start


def test_racing_saves_keep_the_newest_answer_and_lose_no_acknowledged_one(
    app, signed_in, session, endorsement, candidate
):
    sitting_id = start(signed_in, endorsement)
    items, _ = page_items(signed_in, sitting_id, 0)
    single, multiple, ranking = items
    answers = ["a", "b", "c"]
    seqs = list(range(1, 61))
    random.Random(5).shuffle(seqs)
    acks: list[tuple[int, int, str, int]] = []  # (item, seq, status, http status)
    lock = threading.Lock()

    def device(share: list[int]) -> None:
        client = app.test_client()
        login(client, candidate.email)
        token = csrf_token(client, "/dashboard")
        for seq in share:
            single_reply = autosave(client, sitting_id, single, answers[seq % 3], seq, token)
            multiple_reply = autosave(client, sitting_id, multiple, [answers[seq % 3]], seq, token)
            with lock:
                for item, reply in ((single, single_reply), (multiple, multiple_reply)):
                    body = reply.get_json()
                    acks.append(
                        (item, seq, body.get("status") or body.get("error"), reply.status_code)
                    )

    threads = [threading.Thread(target=device, args=(seqs[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {status for *_, status in acks} <= {200, 409}, (
        acks
    )  # saved, replayed or refused as stale: never 500
    session.expire_all()
    stored = {
        r.form_item_id: r
        for r in session.scalars(select(Response).where(Response.sitting_id == sitting_id))
    }
    for item, expected in ((single, answers[60 % 3]), (multiple, [answers[60 % 3]])):
        assert stored[item].client_seq == 60
        assert stored[item].answer == expected
        saved = [seq for i, seq, status, _ in acks if i == item and status == "saved"]
        assert 60 in saved and all(seq <= 60 for seq in saved)
    assert stored[ranking].client_seq == 0  # untouched


def test_two_tabs_on_the_same_stage_cannot_overwrite_each_others_newer_answer(
    app, signed_in, session, endorsement, candidate
):
    sitting_id = start(signed_in, endorsement)
    items, _ = page_items(signed_in, sitting_id, 0)
    single = next(iter(items))
    tab_a, tab_b = signed_in, app.test_client()
    login(tab_b, candidate.email)
    # both tabs loaded the page when the stored seq was 0, so both start from seq 1
    assert autosave(tab_a, sitting_id, single, "a", 1).get_json()["status"] == "saved"
    assert autosave(tab_a, sitting_id, single, "b", 2).get_json()["status"] == "saved"
    reply = autosave(tab_b, sitting_id, single, "c", 1)
    assert reply.status_code == 409
    session.expire_all()
    assert session.scalar(select(Response.answer).where(Response.form_item_id == single)) == "b"


# -- finishing a sitting while another request holds it, on PostgreSQL ----------------------
# Each test below keeps one transaction open in the test while a second request or session runs
# in a thread, waits until that thread is blocked on the sitting's row, and only then commits:
# the interleaving is forced, not hoped for. SQLite serialises writers, so it cannot interleave.

postgres_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def sessions(app):
    """New database sessions of their own (one per connection), closed at the end."""
    made = []

    def new():
        made.append(app.extensions["naas.db"]())
        return made[-1]

    yield new
    for each in made:
        each.rollback()
        each.close()


class InThread:
    """Run `work` in a thread; keep what it returned or raised."""

    def __init__(self, work):
        self.returned = self.raised = None
        self.thread = threading.Thread(target=self._run, args=(work,))
        self.thread.start()

    def _run(self, work):
        try:
            self.returned = work()
        except Exception as exc:  # kept for the test to assert on
            self.raised = exc

    def wait_until_blocked(self, app, timeout=15.0):
        """Until another connection waits for a lock, or the thread finished without waiting."""
        engine = app.extensions["naas.engine"]
        until = time.monotonic() + timeout
        while self.thread.is_alive() and time.monotonic() < until:
            with engine.connect() as connection:
                if connection.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock'"
                    )
                ).scalar():
                    return
            time.sleep(0.02)

    def join(self):
        self.thread.join(30)
        assert not self.thread.is_alive()
        return self


def in_session(sessions, work):
    """`work(session)` in a session of its own, committed."""

    def run():
        session = sessions()
        value = work(session)
        session.commit()
        return value

    return run


def started(session, candidate, endorsement):
    sitting = services.start_sitting(session, candidate, endorsement, START)
    session.commit()
    return sitting


def first_item(session, sitting_id):
    """The sitting, share-locked as an autosave takes it, and the first question of its first
    stage: a single choice whose key is `a`, worth one mark."""
    sitting = session.get(Sitting, sitting_id)
    entry = services.load_form(session, sitting.form).page_items(0)[0]
    return services.load_for_save(session, sitting_id, sitting.candidate_id, entry.form_item.id)


def result_of(session, sitting_id):
    session.expire_all()
    return session.scalar(select(Result).where(Result.sitting_id == sitting_id))


@postgres_only
def test_a_submit_waits_for_a_save_in_flight_and_scores_it(
    app, session, sessions, candidate, endorsement
):
    sitting_id = started(session, candidate, endorsement).id
    saver = sessions()
    sitting, item = first_item(saver, sitting_id)
    services.save_answer(
        saver, sitting, item, "a", 1, START + timedelta(minutes=1), source="autosave"
    )
    submitting = InThread(
        in_session(
            sessions,
            lambda s: services.submit(
                s, s.get(Sitting, sitting_id), START + timedelta(minutes=2), by="candidate"
            ),
        )
    )
    submitting.wait_until_blocked(app)
    saver.commit()  # the save is acknowledged
    assert submitting.join().raised is None
    assert result_of(session, sitting_id).total == 1


@postgres_only
def test_a_save_that_arrives_while_a_submit_is_in_flight_is_refused_as_finished(
    app, session, sessions, candidate, endorsement
):
    sitting_id = started(session, candidate, endorsement).id
    submitter = sessions()
    services.submit(
        submitter, submitter.get(Sitting, sitting_id), START + timedelta(minutes=2), by="candidate"
    )

    def save(s):
        sitting, item = first_item(s, sitting_id)
        return services.save_answer(
            s, sitting, item, "a", 1, START + timedelta(minutes=2), source="autosave"
        )

    saving = InThread(in_session(sessions, save))
    saving.wait_until_blocked(app)
    submitter.commit()
    assert isinstance(saving.join().raised, SittingRefused) and saving.raised.code == "finished"
    assert result_of(session, sitting_id).total == 0


@postgres_only
def test_of_two_submits_at_once_one_scores_and_the_other_is_refused_as_finished(
    app, session, sessions, candidate, endorsement
):
    sitting_id = started(session, candidate, endorsement).id
    first = sessions()
    services.submit(
        first, first.get(Sitting, sitting_id), START + timedelta(minutes=5), by="candidate"
    )
    second = InThread(
        in_session(
            sessions,
            lambda s: services.submit(
                s, s.get(Sitting, sitting_id), START + timedelta(minutes=5), by="candidate"
            ),
        )
    )
    second.wait_until_blocked(app)
    first.commit()
    assert isinstance(second.join().raised, SittingRefused) and second.raised.code == "finished"
    session.expire_all()
    assert len(session.scalars(select(Result).where(Result.sitting_id == sitting_id)).all()) == 1
    assert (
        len(session.scalars(select(AuditEvent).where(AuditEvent.action == "sitting.submit")).all())
        == 1
    )


@postgres_only
def test_a_page_opened_after_the_deadline_while_another_request_submits_shows_the_submitted_test(
    app, signed_in, session, sessions, candidate, endorsement, clock
):
    sitting_id = started(session, candidate, endorsement).id
    clock.advance(minutes=61)
    first = sessions()
    services.submit(first, first.get(Sitting, sitting_id), clock(), by="deadline")
    opening = InThread(lambda: signed_in.get(f"/sittings/{sitting_id}/stages/0"))
    opening.wait_until_blocked(app)
    first.commit()
    response = opening.join().returned
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/sittings/{sitting_id}/submitted"
    )


@postgres_only
def test_an_autosave_after_the_deadline_while_another_request_submits_is_refused_as_time_up(
    app, signed_in, session, sessions, candidate, endorsement, clock
):
    sitting_id = started(session, candidate, endorsement).id
    items, _ = page_items(signed_in, sitting_id, 0)
    token = csrf_token(signed_in, "/dashboard")
    clock.advance(minutes=61)
    first = sessions()
    services.submit(first, first.get(Sitting, sitting_id), clock(), by="deadline")
    saving = InThread(lambda: autosave(signed_in, sitting_id, next(iter(items)), "a", 1, token))
    saving.wait_until_blocked(app)
    first.commit()
    reply = saving.join().returned
    assert reply.status_code == 410 and reply.get_json()["error"] == "time_up"


@postgres_only
def test_a_second_submit_from_another_tab_lands_on_the_submitted_page(
    app, signed_in, session, sessions, candidate, endorsement
):
    sitting_id = started(session, candidate, endorsement).id
    token = csrf_token(signed_in, "/dashboard")
    first = sessions()
    services.submit(first, first.get(Sitting, sitting_id), START, by="candidate")
    second_tab = InThread(
        lambda: signed_in.post(
            f"/sittings/{sitting_id}/submit", data={"csrf_token": token, "confirm": "yes"}
        )
    )
    second_tab.wait_until_blocked(app)
    first.commit()
    response = second_tab.join().returned
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/sittings/{sitting_id}/submitted"
    )


@postgres_only
def test_continue_from_a_second_tab_after_the_first_moved_on_lands_on_the_next_stage(
    app, signed_in, session, sessions, candidate, endorsement
):
    sitting_id = started(session, candidate, endorsement).id
    items, _ = page_items(signed_in, sitting_id, 0)
    token = csrf_token(signed_in, "/dashboard")
    first = sessions()
    sitting = first.get(Sitting, sitting_id)
    services.move_on(first, sitting, 0, sitting.form, START)
    data = {"csrf_token": token, "action": "continue", **{f"seq{qid}": "1" for qid in items}}
    second_tab = InThread(lambda: signed_in.post(f"/sittings/{sitting_id}/stages/0", data=data))
    second_tab.wait_until_blocked(app)
    first.commit()
    response = second_tab.join().returned
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/sittings/{sitting_id}/stages/1"
    )
    session.expire_all()
    assert session.get(Sitting, sitting_id).current_stage == 1
    assert (
        len(session.scalars(select(AuditEvent).where(AuditEvent.action == "sitting.move_on")).all())
        == 1
    )


@postgres_only
def test_expiring_overdue_sittings_skips_one_submitted_meanwhile_and_submits_the_rest(
    app, session, sessions, candidate, endorsement, org, employer
):
    other = make_user(session, "candidate", org=org)
    first_id = started(session, candidate, endorsement).id
    second_id = started(session, other, endorse(session, other, org, employer)).id
    later = START + timedelta(hours=2)
    candidate_request = sessions()
    services.submit(
        candidate_request, candidate_request.get(Sitting, first_id), later, by="deadline"
    )
    expiring = InThread(in_session(sessions, lambda s: services.expire_overdue(s, later)))
    expiring.wait_until_blocked(app)
    candidate_request.commit()
    assert expiring.join().raised is None and expiring.returned == [second_id]
    session.expire_all()
    assert {session.get(Sitting, i).status for i in (first_id, second_id)} == {"submitted"}


@postgres_only
def test_a_start_racing_another_lands_the_candidate_in_the_one_open_sitting(
    app, signed_in, session, sessions, candidate, endorsement
):
    first = sessions()
    sitting_id = services.start_sitting(
        first,
        first.get(type(candidate), candidate.id),
        first.get(type(endorsement), endorsement.id),
        START,
    ).id
    token = csrf_token(signed_in, "/dashboard")
    second_click = InThread(
        lambda: signed_in.post(f"/sittings/start/{endorsement.id}", data={"csrf_token": token})
    )
    second_click.wait_until_blocked(app)
    first.commit()
    response = second_click.join().returned
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/sittings/{sitting_id}"
    )
    session.expire_all()
    assert len(session.scalars(select(Sitting)).all()) == 1
