"""Each main page runs as many statements for a long list as for a short one.

A page that loads its list row by row (an N+1) runs more statements as the list grows: each
test counts a page's statements, makes its list six times longer, and counts again."""

from __future__ import annotations

from itertools import cycle

import pytest
from sqlalchemy import select

from naas.models import Certificate

from .employers.conftest import staff_in_state
from .helpers import count_statements, csrf_token, login, make_org, make_user
from .sitting import conftest as sitting_fixtures

clock = sitting_fixtures.clock
loaded = sitting_fixtures.loaded
small_bank = sitting_fixtures.small_bank

STATES = cycle(
    ("passed", "not_passed", "awaiting_marking", "in_progress", "endorsed", "revoked", "expired")
)
FEW, MANY = 2, 12


def statements(app, request):
    """The statements one request runs (after the same request once, to warm any cache)."""
    request()
    with count_statements(app) as log:
        response = request()
    assert response.status_code == 200, response.status_code
    return log


def assert_flat(small, large):
    assert len(large) == len(small), (
        f"{len(small)} statements for {FEW} rows but {len(large)} for {MANY}:\n{large}"
    )


@pytest.fixture
def org(session):
    return make_org(session, "Westbrook Council")


@pytest.fixture
def employer(session, org, clock, loaded, client):
    user = make_user(session, "employer", org=org, name="Gareth Hughes")
    assert login(client, user.email).status_code == 302
    return user


def add_staff(session, org, employer, count):
    for _ in range(count):
        staff_in_state(session, org, employer, next(STATES))
    session.commit()


@pytest.mark.parametrize("path", ["/employer/staff", "/employer/staff.csv", "/dashboard"])
def test_employer_pages_run_as_many_statements_for_many_staff_as_for_few(
    app, client, session, org, employer, path
):
    add_staff(session, org, employer, FEW)
    small = statements(app, lambda: client.get(path))
    add_staff(session, org, employer, MANY - FEW)
    assert_flat(small, statements(app, lambda: client.get(path)))


def test_a_bulk_check_runs_as_many_statements_for_many_numbers_as_for_few(
    app, client, session, org, employer
):
    def check():
        numbers = "\n".join(session.scalars(select(Certificate.number)))
        token = csrf_token(client, "/employer/check")
        return client.post("/employer/check", data={"csrf_token": token, "numbers": numbers})

    for _ in range(FEW):
        staff_in_state(session, org, employer, "passed")
    session.commit()
    small = statements(app, check)
    for _ in range(MANY - FEW):
        staff_in_state(session, org, employer, "passed")
    session.commit()
    # the CSRF token's page is fetched inside each count, the same for both
    assert_flat(small, statements(app, check))


@pytest.fixture
def admin(session, client, clock, loaded):
    user = make_user(session, "admin")
    assert login(client, user.email).status_code == 302
    return user


def test_the_admin_marking_overview_reads_every_assessor_at_once(app, client, session, admin):
    other = make_org(session, "Assessors' Trust")
    for n in range(FEW):
        make_user(session, "assessor", org=other, name=f"Assessor {n}")
    small = statements(app, lambda: client.get("/admin/marking/"))
    for n in range(FEW, MANY):
        make_user(session, ("assessor", "moderator"), org=other, name=f"Assessor {n}")
    assert_flat(small, statements(app, lambda: client.get("/admin/marking/")))


def test_the_admin_certificates_list_runs_as_many_statements_for_many_as_for_few(
    app, client, session, org, admin
):
    employer = make_user(session, "employer", org=org)
    for _ in range(FEW):
        staff_in_state(session, org, employer, "revoked")
    session.commit()
    small = statements(app, lambda: client.get("/admin/certificates/"))
    for _ in range(MANY - FEW):
        staff_in_state(session, org, employer, "revoked")
    session.commit()
    assert_flat(small, statements(app, lambda: client.get("/admin/certificates/")))
