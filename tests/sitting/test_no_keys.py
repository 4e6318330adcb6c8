"""No key, rationale, model answer or rubric reaches a candidate, in any page or JSON of a
whole sitting on the bundled bank."""
from __future__ import annotations

import html
import json
import re

from naas.bank_store import store_bank
from naas.db import utcnow
from naas.models import Endorsement

from ..helpers import csrf_token, login, make_org, make_user
from .conftest import START


def secrets_of(bank, tier):
    """Text that must never reach a candidate: rationales, model answers, rubric criteria and descriptors."""
    found = []
    for scenario in bank.scenarios_of(tier):
        for item in scenario.items:
            found.append(item.rationale)
            found.append(getattr(item, "model_answer", None) or "")
            for criterion in getattr(item, "rubric", ()):
                found.append(criterion.criterion)
                found.extend(criterion.descriptors.values())
    fragments = set()
    for text in found:
        words = " ".join(text.split())
        if len(words) >= 30:
            fragments.add(words[:60])
    return fragments


def test_a_full_sitting_never_shows_keys_or_marking_material(app, client, session, bundled_bank, clock):
    store_bank(session, bundled_bank, source="bundled", actor_id=None, now=utcnow())
    org = make_org(session, "Scan Council")
    employer = make_user(session, "employer", org=org)
    candidate = make_user(session, "candidate", org=org)
    endorsement = Endorsement(candidate_id=candidate.id, organisation_id=org.id, tier="practitioner",
                              endorsed_by=employer.id, created_at=START)
    session.add(endorsement)
    session.commit()
    login(client, candidate.email)
    bodies = []

    def get(path):
        response = client.get(path)
        bodies.append(response.get_data(as_text=True))
        return response

    token = csrf_token(client, "/dashboard")
    get(f"/sittings/start/{endorsement.id}")
    response = client.post(f"/sittings/start/{endorsement.id}", data={"csrf_token": token})
    sitting_id = int(re.search(r"/sittings/(\d+)/", response.headers["Location"]).group(1))
    page = 0
    while True:
        body = get(f"/sittings/{sitting_id}/stages/{page}").get_data(as_text=True)
        qids = re.findall(r'data-item="(\d+)" data-type="(\w+)"', body)
        data = {"csrf_token": token}
        for qid, kind in qids:
            data[f"seq{qid}"] = "1"
            if kind == "free_text":
                reply = client.post(f"/sittings/{sitting_id}/answers", data=json.dumps(
                    {"item": int(qid), "answer": "My written answer.", "seq": 1}),
                    headers={"Content-Type": "application/json", "X-CSRFToken": token})
                bodies.append(reply.get_data(as_text=True))
                data[f"seq{qid}"] = "2"
                data[f"q{qid}"] = "My written answer."
        last = "Save and review" in body
        data["action"] = "review" if last else "continue"
        client.post(f"/sittings/{sitting_id}/stages/{page}", data=data)
        if last:
            break
        page += 1
    get(f"/sittings/{sitting_id}/review")
    client.post(f"/sittings/{sitting_id}/submit", data={"csrf_token": token, "confirm": "yes"})
    get(f"/sittings/{sitting_id}/submitted")
    get("/dashboard")
    assert page >= 7  # four scenarios of two or more stages each

    everything = "\n".join(bodies)
    flattened = " ".join(html.unescape(everything).split())
    leaks = [fragment for fragment in secrets_of(bundled_bank, "practitioner") if fragment in flattened]
    assert leaks == []
    assert '"key"' not in everything and "rationale" not in everything.lower()
    assert "model_answer" not in everything and "descriptor" not in everything.lower()
