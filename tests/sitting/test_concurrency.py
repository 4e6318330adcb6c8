"""Saves racing from several devices at once, over real concurrent database connections."""
from __future__ import annotations

import random
import threading

from sqlalchemy import select

from naas.models import Response

from ..helpers import csrf_token, login
from .conftest import autosave, page_items, start


def test_racing_saves_keep_the_newest_answer_and_lose_no_acknowledged_one(app, signed_in, session, endorsement,
                                                                         candidate):
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
                    acks.append((item, seq, body.get("status") or body.get("error"), reply.status_code))

    threads = [threading.Thread(target=device, args=(seqs[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {status for *_, status in acks} <= {200, 409}, acks  # saved, replayed or refused as stale: never 500
    session.expire_all()
    stored = {r.form_item_id: r for r in session.scalars(select(Response).where(Response.sitting_id == sitting_id))}
    for item, expected in ((single, answers[60 % 3]), (multiple, [answers[60 % 3]])):
        assert stored[item].client_seq == 60
        assert stored[item].answer == expected
        saved = [seq for i, seq, status, _ in acks if i == item and status == "saved"]
        assert 60 in saved and all(seq <= 60 for seq in saved)
    assert stored[ranking].client_seq == 0  # untouched


def test_two_tabs_on_the_same_stage_cannot_overwrite_each_others_newer_answer(app, signed_in, session, endorsement,
                                                                              candidate):
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
