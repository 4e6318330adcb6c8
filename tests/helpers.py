"""Small builders for tests: users, organisations, signing in, CSRF tokens."""

from __future__ import annotations

import re

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
