"""Equality answers are kept apart: only naas/equality/ reads them, and the people who judge
or employ a candidate never see them."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

import naas
from naas.equality import services
from naas.marking import services as marking
from naas.models import Endorsement

from ..helpers import PASSWORD, login, make_user
from ..marking.conftest import sit
from ..sitting.conftest import START
from .conftest import ANSWERS, DISTINCTIVE, NOW

PACKAGE = Path(naas.__file__).parent
# where the table may be named: its model, the models' index, its migration, and the feature itself
ALLOWED = ("equality/", "models/equality.py", "models/__init__.py", "migrations/")


def test_no_other_package_reads_the_equality_answers():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.as_posix().startswith(ALLOWED):
            continue
        text = path.read_text()
        if re.search(r"EqualityResponse|equality_responses|models\.equality", text):
            offenders.append(str(relative))
    assert offenders == [], "only naas/equality/ may read the equality answers"


def test_only_the_equality_package_imports_its_services():
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if p.relative_to(PACKAGE).parts[0] not in ("equality",)
        and re.search(r"from naas\.equality|import naas\.equality", p.read_text())
    ]
    # the app factory loads the feature by its name in FEATURES, the command line its commands likewise
    assert offenders == []


def test_assessors_and_employers_never_see_the_answers(app, session, candidate, org, employer):
    services.save_answers(session, candidate, ANSWERS, True, NOW)
    session.commit()
    sit(session, candidate, org, employer)
    assessor = make_user(session, "assessor", name="Blind Marker")
    mark = marking.take_next(session, assessor, START + timedelta(hours=1))
    session.commit()
    endorsement = session.scalar(
        select(Endorsement).where(Endorsement.candidate_id == candidate.id)
    )

    own = app.test_client()
    login(own, candidate.email, PASSWORD)
    assert all(
        label in own.get("/equality/").get_data(as_text=True) for label in DISTINCTIVE
    )  # the control

    marker = app.test_client()
    login(marker, assessor.email, PASSWORD)
    boss = app.test_client()
    login(boss, employer.email, PASSWORD)
    pages = [
        (marker, "/marking/"),
        (marker, f"/marking/marks/{mark.id}"),
        (marker, "/dashboard"),
        (boss, "/employer/staff"),
        (boss, f"/employer/staff/{endorsement.id}"),
        (boss, "/employer/staff.csv"),
        (boss, "/dashboard"),
    ]
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.get_data(as_text=True)
        assert not any(label in text for label in DISTINCTIVE), f"{url} shows an equality answer"
        assert "equality" not in text.lower(), f"{url} mentions equality monitoring"
