"""A small bank of four two-stage scenarios (10 marks each, two per form), loaded, and a
candidate endorsed for it, with a clock the test can move."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from naas.bank import check_bank
from naas.bank_store import store_bank
from naas.models import Endorsement

from ..bank.builders import TIERS, scenario, write_bank
from ..helpers import csrf_token, login, make_org, make_user

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock(app):
    clock = Clock(START)
    app.config["NAAS_CLOCK"] = clock
    return clock


@pytest.fixture
def small_bank(tmp_path):
    tiers = {
        "tiers": [
            dict(
                TIERS["tiers"][0],
                blueprint={"scenarios": 2, "min_items_per_area": 1, "total_marks": 20},
            )
        ]
    }
    root = write_bank(
        tmp_path / "bank",
        tiers=tiers,
        scenarios=[scenario(f"p-case-{name}") for name in ("a", "b", "c", "d")],
    )
    result = check_bank(root)
    assert result.ok, result.problems
    return result.bank


@pytest.fixture
def loaded(session, small_bank):
    store_bank(session, small_bank, source="test", actor_id=None, now=START - timedelta(days=30))
    session.commit()
    return small_bank


@pytest.fixture
def org(session):
    return make_org(session, "Northfield Council")


@pytest.fixture
def employer(session, org):
    return make_user(session, "employer", org=org)


def endorse(session, candidate, org, employer, tier="practitioner", at=None):
    endorsement = Endorsement(
        candidate_id=candidate.id,
        organisation_id=org.id,
        tier=tier,
        endorsed_by=employer.id,
        created_at=at or START - timedelta(days=1),
    )
    session.add(endorsement)
    session.commit()
    return endorsement


@pytest.fixture
def candidate(session, org, employer, loaded):
    user = make_user(session, "candidate", org=org, name="Amara Okafor")
    endorse(session, user, org, employer)
    return user


@pytest.fixture
def endorsement(session, candidate):
    return session.query(Endorsement).filter_by(candidate_id=candidate.id).one()


@pytest.fixture
def signed_in(client, candidate, clock):
    assert login(client, candidate.email).status_code == 302
    return client


def start(client, endorsement):
    token = csrf_token(client, f"/sittings/start/{endorsement.id}")
    response = client.post(f"/sittings/start/{endorsement.id}", data={"csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/sittings/(\d+)/stages/0", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def page_items(client, sitting_id, page):
    """The questions on a stage page: form item id -> (type, option values in shown order)."""
    html = client.get(f"/sittings/{sitting_id}/stages/{page}").get_data(as_text=True)
    items = {}
    for match in re.finditer(r'data-item="(\d+)" data-type="(\w+)"', html):
        qid = int(match.group(1))
        values = re.findall(rf'name="q{qid}(?:\.\w+)?" value="(\w+)"', html)
        labels = re.findall(rf'name="q{qid}\.(\w+)"', html)
        items[qid] = (match.group(2), values or labels)
    return items, html


def autosave(client, sitting_id, item, answer, seq, token=None):
    token = token or csrf_token(client, "/dashboard")
    return client.post(
        f"/sittings/{sitting_id}/answers",
        data=json.dumps({"item": item, "answer": answer, "seq": seq}),
        headers={
            "Content-Type": "application/json",
            "X-CSRFToken": token,
            "Accept": "application/json",
        },
    )
