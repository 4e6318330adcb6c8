"""The access matrix: every rule of the URL map, requested anonymously and as every role
(and as another candidate, another organisation's employer, another assessor), must admit
exactly the people its row says. A route with no row fails the test; so does a POST that
is accepted without a CSRF token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from naas.auth.services import create_user
from naas.certificates.services import issue_for_result
from naas.employers.invitations import issue_link
from naas.equality.services import compute as compute_fairness
from naas.jobs import enqueue
from naas.marking import services as marking
from naas.models import Endorsement, OutboxMessage, Result, Script
from naas.standards import services as standards
from naas.statistics.services import compute as compute_statistics

from .helpers import PASSWORD, csrf_token, login, make_org, make_user
from .marking.conftest import sit
from .sitting.conftest import START, Clock, loaded, small_bank  # noqa: F401  (fixtures)

PERSONAS = (
    "anonymous",
    "candidate",
    "other_candidate",
    "employer",
    "other_employer",
    "assessor",
    "other_assessor",
    "moderator",
    "standard_setter",
    "admin",
)
EVERYONE = frozenset(PERSONAS)
SIGNED_IN = EVERYONE - {"anonymous"}
STAFF_MARKERS = frozenset({"assessor", "other_assessor", "moderator"})

# endpoint -> who may use it. Object routes name the owner only: everyone else must be refused.
TABLE: dict[str, frozenset[str]] = {
    "static": EVERYONE,
    "home.index": EVERYONE,
    "health.livez": EVERYONE,
    "health.readyz": EVERYONE,
    "health.healthz": EVERYONE,
    "auth.login": EVERYONE,
    "auth.logout": SIGNED_IN,
    "home.dashboard": SIGNED_IN,
    # the candidate's own sitting, endorsement and written answers
    "sitting.start": frozenset({"candidate"}),
    "sitting.resume": frozenset({"candidate"}),
    "sitting.stage": frozenset({"candidate"}),
    "sitting.autosave": frozenset({"candidate"}),
    "sitting.review": frozenset({"candidate"}),
    "sitting.submit": frozenset({"candidate"}),
    "sitting.submitted": frozenset({"candidate"}),
    "sitting.result": frozenset({"candidate"}),
    "marking.request_review": frozenset({"candidate"}),
    # marking
    "marking.queue": STAFF_MARKERS,
    "marking.take_next": STAFF_MARKERS,
    "marking.reliability": STAFF_MARKERS,
    "marking.mark": frozenset({"assessor"}),  # the assessor's own allocation only
    "marking_admin.overview": frozenset({"admin"}),
    "marking_admin.release": frozenset({"admin"}),
    "marking_admin.settings": frozenset({"admin"}),
    "marking_admin.controls": frozenset({"admin"}),
    "sitting_admin.extra_time": frozenset({"admin"}),
    # certificates: public checks; downloads for the holder, their endorsing employer and admins
    "certificates.verify_form": EVERYONE,
    "certificates.verify": EVERYONE,
    "certificates.api": EVERYONE,
    "certificates.jwks": EVERYONE,
    "auditlog.checkpoints": EVERYONE,
    "certificates.public_key_pem": EVERYONE,
    "certificates.pdf": frozenset({"candidate", "employer", "admin"}),
    "certificates.credential": frozenset({"candidate", "employer", "admin"}),
    "certificates_admin.index": frozenset({"admin"}),
    "certificates_admin.detail": frozenset({"admin"}),
    # the candidate's own account; a set-password link works for whoever holds it
    "account.account": frozenset({"candidate", "other_candidate"}),
    "account.sharing": frozenset({"candidate", "other_candidate"}),
    "account.set_password": EVERYONE,
    # employers: their own organisation's staff only
    "employers.endorse": frozenset({"employer", "other_employer"}),
    "employers.check": frozenset({"employer", "other_employer"}),
    "employers.staff_list": frozenset({"employer", "other_employer"}),
    "employers.staff_csv": frozenset({"employer", "other_employer"}),
    "employers.staff_member": frozenset({"employer"}),
    "employers.withdraw": frozenset({"employer"}),
    "employers.password_link": frozenset({"employer"}),
    "employers_admin.organisations": frozenset({"admin"}),
    "employers_admin.organisation": frozenset({"admin"}),
    "employers_admin.add_employer": frozenset({"admin"}),
    "employers_admin.outbox": frozenset({"admin"}),
    "employers_admin.resend_message": frozenset({"admin"}),
    # item statistics: admins only
    "statistics_admin.index": frozenset({"admin"}),
    "statistics_admin.tier_page": frozenset({"admin"}),
    "statistics_admin.compute": frozenset({"admin"}),
    "statistics_admin.tier_csv": frozenset({"admin"}),
    "statistics_admin.item_page": frozenset({"admin"}),
    # standard setting: judges (standard setters and assessors) see their own exercises; an
    # exercise's pages only its panel (the standard setter); admins run it
    "standards.index": STAFF_MARKERS | {"standard_setter"},
    "standards.exercise": frozenset({"standard_setter"}),
    "standards.rate": frozenset({"standard_setter"}),
    "standards_admin.index": frozenset({"admin"}),
    "standards_admin.new": frozenset({"admin"}),
    "standards_admin.detail": frozenset({"admin"}),
    "standards_admin.add_judge": frozenset({"admin"}),
    "standards_admin.remove_judge": frozenset({"admin"}),
    "standards_admin.round2": frozenset({"admin"}),
    "standards_admin.approve": frozenset({"admin"}),
    "standards_admin.report": frozenset({"admin"}),
    "standards_admin.released": frozenset({"admin"}),
    "standards_admin.close": frozenset({"admin"}),
    # equality monitoring: each candidate their own answers; the fairness report admins only
    "equality.questions": frozenset({"candidate", "other_candidate"}),
    "equality.withdraw": frozenset({"candidate", "other_candidate"}),
    "fairness_admin.index": frozenset({"admin"}),
    "fairness_admin.report": frozenset({"admin"}),
    "fairness_admin.compute": frozenset({"admin"}),
    "fairness_admin.item": frozenset({"admin"}),
    # background jobs: admins only
    "jobs_admin.index": frozenset({"admin"}),
    "jobs_admin.show": frozenset({"admin"}),
    "jobs_admin.cancel": frozenset({"admin"}),
    "jobs_admin.retry": frozenset({"admin"}),
    # metrics: the monitoring system on this machine (these requests come from 127.0.0.1);
    # from elsewhere, or through a proxy, only with the token (tests/test_observability.py)
    "observability.metrics": EVERYONE,
}


@pytest.fixture
def world(app, session, loaded):  # noqa: F811
    """One of each kind of person, and objects owned by the first of each."""
    app.config["NAAS_LOGIN_LIMIT"] = "10000 per minute"
    app.config["NAAS_LOGIN_FAILURE_LIMIT"] = "10000 per minute"
    org, other_org, markers_org = (
        make_org(session, "Own Council"),
        make_org(session, "Other Council"),
        make_org(session, "Markers Trust"),
    )
    people = {
        "candidate": make_user(session, "candidate", org=org),
        "other_candidate": make_user(session, "candidate", org=other_org),
        "employer": make_user(session, "employer", org=org),
        "other_employer": make_user(session, "employer", org=other_org),
        "assessor": make_user(session, "assessor", org=markers_org),
        "other_assessor": make_user(session, "assessor", org=markers_org),
        "moderator": make_user(session, ("assessor", "moderator"), org=markers_org),
        "standard_setter": make_user(session, "standard_setter"),
        "admin": make_user(session, "admin"),
    }
    sitting = sit(session, people["candidate"], org, people["employer"])
    sit(session, people["other_candidate"], other_org, people["other_employer"])
    endorsement = session.scalar(
        select(Endorsement).where(Endorsement.candidate_id == people["candidate"].id)
    )
    mark = marking.take_next(session, people["assessor"], START + timedelta(hours=1))
    session.commit()
    script = session.scalar(select(Script).where(Script.candidate_id == people["candidate"].id))
    with app.app_context():
        result = session.scalar(select(Result).where(Result.sitting_id == sitting.id))
        result.status, result.passed, result.released_at = "final", True, START + timedelta(hours=1)
        certificate = issue_for_result(session, result, START + timedelta(hours=1))
        newcomer = create_user(
            session,
            email="newcomer@example.org",
            name="New Comer",
            roles=["candidate"],
            organisation=org,
            registration_number="SW777001",
        )
        invitation = issue_link(
            session,
            newcomer,
            opening="Welcome.",
            actor_id=None,
            now=START + timedelta(hours=1),
            link_for=lambda token: token,
        )
        statistics = compute_statistics(
            session, "practitioner", "submitted", actor_id=None, now=START + timedelta(hours=1)
        )
        compute_fairness(
            session, "practitioner", "submitted", actor_id=None, now=START + timedelta(hours=1)
        )
        exercise = standards.create_exercise(
            session,
            "practitioner",
            "Matrix panel",
            None,
            people["admin"],
            START + timedelta(hours=1),
        )
        second_judge = make_user(session, "standard_setter")
        for judge in (people["standard_setter"], second_judge):
            standards.add_judge(
                session, exercise, judge.email, people["admin"], START + timedelta(hours=1)
            )
        job = enqueue(
            session,
            "compute_statistics",
            {"tier": "practitioner"},
            run_after=START + timedelta(days=365),  # stays waiting, so it can be cancelled
        )
        session.commit()
    args = {
        "sitting_id": sitting.id,
        "page": 0,
        "endorsement_id": endorsement.id,
        "mark_id": mark.id,
        "reference": script.reference,
        "tier": "practitioner",
        "filename": "naas.css",
        "number": certificate.number,
        "token": invitation.link,
        "organisation_id": org.id,
        "key": next(iter(statistics.payload["items"])),
        "exercise_id": exercise.id,
        "user_id": second_judge.id,
        "job_id": job.id,
        "message_id": session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id)),
    }
    return people, args


def url_for_rule(rule, args):
    missing = [name for name in rule.arguments if name not in args]
    assert not missing, (
        f"{rule.endpoint}: the matrix has no value for {missing}: add it to the world fixture"
    )
    return rule.build({name: args[name] for name in rule.arguments}, append_unknown=False)[1]


def refused(response) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    return response.status_code in (302, 303) and "/login" in response.headers.get("Location", "")


# Requested last: signing out ends the persona's session, and an admin's "compute again" makes a
# new statistics or fairness run, whose items the pages requested before it may not have.
LAST = ("statistics_admin.compute", "fairness_admin.compute", "auth.logout")


def rules_of(app):
    return sorted(
        (r for r in app.url_map.iter_rules()),
        key=lambda r: (LAST.index(r.endpoint) if r.endpoint in LAST else -1, r.endpoint),
    )


def test_every_route_has_a_row(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - TABLE.keys() == set(), "routes with no row in the access matrix"
    assert TABLE.keys() - endpoints == set(), "rows for routes that no longer exist"


def test_each_route_admits_exactly_the_people_in_its_row(app, world, clock_at_start):
    people, args = world
    clients = {}
    for persona in PERSONAS:
        client = app.test_client()
        if persona != "anonymous":
            login(client, people[persona].email, PASSWORD)
        clients[persona] = (
            client,
            csrf_token(client, "/dashboard" if persona != "anonymous" else "/login"),
        )
    failures = []
    for rule in rules_of(app):
        path = url_for_rule(rule, args)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for persona in PERSONAS:
                client, token = clients[persona]
                if method == "GET":
                    response = client.get(path)
                else:
                    response = client.open(
                        path,
                        method=method,
                        data={"csrf_token": token},
                        headers={"X-CSRFToken": token},
                    )
                allowed = persona in TABLE[rule.endpoint]
                if allowed == refused(response):
                    failures.append(
                        f"{method} {path} as {persona}: {response.status_code} "
                        f"({'refused' if refused(response) else 'admitted'}, expected "
                        f"{'admitted' if allowed else 'refused'})"
                    )
    assert failures == []


def test_every_post_without_a_csrf_token_is_refused(app, world, clock_at_start):
    people, args = world
    client = app.test_client()
    login(client, people["admin"].email, PASSWORD)
    for rule in rules_of(app):
        if "POST" in rule.methods:
            response = client.post(url_for_rule(rule, args), data={})
            # the CSRF refusal itself, not some other 400 (autosave answers 400 to a bad body too)
            assert response.status_code == 400 and b"Form expired or invalid" in response.data, (
                f"POST {rule.rule} was not refused for its missing CSRF token"
            )


@pytest.fixture
def clock_at_start(app):
    app.config["NAAS_CLOCK"] = Clock(START + timedelta(hours=1))
