"""No key, rationale, model answer or rubric reaches a candidate, in any page or JSON of a
whole sitting on the bundled bank."""

from __future__ import annotations

import html
import json
import re

from naas.bank_store import store_bank
from naas.db import utcnow
from naas.marking import services as marking
from naas.models import Endorsement, ItemVersion, Script

from ..helpers import csrf_token, login, make_org, make_user
from .conftest import START


def flat(text):
    return " ".join(text.split())


def public_text_of(bank, tier):
    """What a candidate may read of the bank: titles, narratives, questions and their options."""
    found = [bank.tiers[tier].title, *(area.title for area in bank.tiers[tier].areas)]
    for scenario in bank.scenarios_of(tier):
        found += [scenario.title, scenario.summary, *(stage.narrative for stage in scenario.stages)]
        for item in scenario.items:
            found += [item.stem, *item.spec.get("options", {}).values()]
    return flat(" ".join(found)).casefold()


def secrets_of(bank, tier):
    """Text that must never reach a candidate: rationales, model answers, rubric criteria and
    descriptors. A long one is looked for by its first 60 characters; a short one whole, where it
    is distinctive (three words or more, and not also in what the candidate may read)."""
    found = []
    for scenario in bank.scenarios_of(tier):
        for item in scenario.items:
            found.append(item.rationale)
            found.append(getattr(item, "model_answer", None) or "")
            for criterion in getattr(item, "rubric", ()):
                found.append(criterion.criterion)
                found.extend(criterion.descriptors.values())
    public = public_text_of(bank, tier)
    fragments = set()
    for text in map(flat, found):
        if len(text) >= 30:
            fragments.add(text[:60])
        elif len(text.split()) >= 3 and text.casefold() not in public:
            fragments.add(text)
    return fragments


def test_short_distinctive_marking_material_is_looked_for_too(bundled_bank):
    fragments = secrets_of(bundled_bank, "practitioner")
    assert "Reflexivity and bias" in fragments and "Does both (i) and (ii)." in fragments


def mark_every_script(session, now):
    """Two assessors of another organisation mark every written answer alike: every script final."""
    org = make_org(session, "Scan Markers")
    assessors = [make_user(session, "assessor", org=org) for _ in range(2)]
    while True:
        marked = 0
        for assessor in assessors:
            mark = marking.take_next(session, assessor, now)
            if mark is not None:
                script = session.get(Script, mark.script_id)
                item = marking.item_of(session, session.get(ItemVersion, script.item_version_id))
                marking.record_mark(
                    session,
                    mark,
                    assessor,
                    [c.marks for c in item.rubric],
                    "Clear and complete.",
                    submit=True,
                    now=now,
                )
                marked += 1
        session.commit()
        if not marked:
            return


def test_a_full_sitting_never_shows_keys_or_marking_material(
    app, client, session, bundled_bank, clock
):
    store_bank(session, bundled_bank, source="bundled", actor_id=None, now=utcnow())
    org = make_org(session, "Scan Council")
    employer = make_user(session, "employer", org=org)
    candidate = make_user(session, "candidate", org=org)
    endorsement = Endorsement(
        candidate_id=candidate.id,
        organisation_id=org.id,
        tier="practitioner",
        endorsed_by=employer.id,
        created_at=START,
    )
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
                reply = client.post(
                    f"/sittings/{sitting_id}/answers",
                    data=json.dumps({"item": int(qid), "answer": "My written answer.", "seq": 1}),
                    headers={"Content-Type": "application/json", "X-CSRFToken": token},
                )
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

    # the released result, its written answers' marks, and asking for a review of each
    mark_every_script(session, START)
    assert marking.release(session, "practitioner", actor_id=None, now=START) == 1
    session.commit()
    result_page = get(f"/sittings/{sitting_id}/result").get_data(as_text=True)
    assert "Your result" in result_page
    reviews = re.findall(r'href="(/marking/reviews/[^"]+)"', result_page)
    assert reviews  # the bundled practitioner form has written answers
    for path in reviews:
        get(path)
    refused = client.post(reviews[0], data={"csrf_token": token, "reason": "Too short."})
    assert refused.status_code == 422
    bodies.append(refused.get_data(as_text=True))
    get("/dashboard")

    everything = "\n".join(bodies)
    flattened = " ".join(html.unescape(everything).split())
    leaks = [
        fragment for fragment in secrets_of(bundled_bank, "practitioner") if fragment in flattened
    ]
    assert leaks == []
    assert '"key"' not in everything and "rationale" not in everything.lower()
    assert "model_answer" not in everything and "descriptor" not in everything.lower()
