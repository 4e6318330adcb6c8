"""Small builders for tests: users, organisations, signing in, CSRF tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from naas.auth.services import create_user
from naas.models import Organisation

PASSWORD = "correct horse battery staple"


def make_org(session, name: str = "Westbrook Council") -> Organisation:
    org = Organisation(name=name)
    session.add(org)
    session.commit()
    return org


def make_user(
    session,
    role: str | tuple[str, ...] = "candidate",
    *,
    email: str | None = None,
    org=None,
    registration: str | None = None,
    name: str = "Test Person",
):
    roles = (role,) if isinstance(role, str) else role
    email = email or f"{'-'.join(roles)}-{make_user.counter}@example.org"
    make_user.counter += 1
    if "candidate" in roles and registration is None:
        registration = f"SW{100000 + make_user.counter}"
    if "employer" in roles and org is None:
        org = make_org(session, f"Org {make_user.counter}")
    user = create_user(
        session,
        email=email,
        name=name,
        roles=roles,
        password=PASSWORD,
        organisation=org,
        registration_number=registration,
    )
    session.commit()
    return user


make_user.counter = 0


def csrf_token(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD):
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)}
    )


class StatementLog(list):
    """The SQL statements run while counting, in order; `len()` is the count."""

    def __str__(self) -> str:
        return "\n".join(f"{n}: {sql}" for n, sql in enumerate(self, 1))


@contextmanager
def count_statements(app) -> Iterator[StatementLog]:
    """Record every statement the app's engine runs inside the block (requests included), so
    that a test can show that a page's statement count does not grow with its list."""
    engine = app.extensions["naas.engine"]
    log = StatementLog()

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        log.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)
