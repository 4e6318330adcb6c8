"""Accounts: creating them, hashing passwords, checking credentials."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session
from werkzeug.security import check_password_hash, generate_password_hash

from naas.models import ROLES, CandidateProfile, Organisation, User, UserRole
from naas.models.users import REGISTRATION_PATTERN

MIN_PASSWORD_LENGTH = 12
# Werkzeug's scrypt: N=2**15, r=8, p=1 (about 32 MB and a tenth of a second a hash).
HASH_METHOD = "scrypt"
# session.info key: the method this app's sessions hash with. Only NAAS_ENV=testing may choose
# a cheaper one (auth.init_app refuses it elsewhere), so that the tests do not spend most of
# their time in scrypt.
HASH_METHOD_KEY = "naas.password_hash_method"


class AccountError(ValueError):
    """A request about an account that cannot be met; the message is for the user."""


def hash_method(session: Session | None) -> str:
    return session.info.get(HASH_METHOD_KEY, HASH_METHOD) if session is not None else HASH_METHOD


def hash_password(password: str, method: str = HASH_METHOD) -> str:
    return generate_password_hash(password, method=method)


@cache
def _dummy_hash(method: str) -> str:
    """Checked against when the email is unknown, so that both failures take the same time."""
    return generate_password_hash("not a real password", method=method)


_dummy_hash(HASH_METHOD)  # made now, so that no sign-in pays for it


def check_password_rules(password: str) -> list[str]:
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if password.strip() != password or not password.strip():
        problems.append("Do not start or end the password with a space.")
    return problems


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(session: Session, email: str, password: str, now: datetime) -> User | None:
    """The active user with these credentials, or None, in about the same time either way."""
    user = find_user(session, email)
    if user is None or user.password_hash is None:
        check_password_hash(_dummy_hash(hash_method(session)), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = now
    return user


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    roles: Iterable[str],
    password: str | None = None,
    organisation: Organisation | None = None,
    registration_number: str | None = None,
) -> User:
    email = normalise_email(email)
    roles = list(dict.fromkeys(roles))
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise AccountError(f"'{email}' is not an email address")
    if not name.strip():
        raise AccountError("a name is required")
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise AccountError(
            f"unknown role '{', '.join(unknown) or '(none)'}'; roles are: {', '.join(ROLES)}"
        )
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise AccountError(f"there is already an account with the email {email}")
    if "employer" in roles and organisation is None:
        raise AccountError("an employer account needs an organisation (--org)")
    if password is not None:
        problems = check_password_rules(password)
        if problems:
            raise AccountError(" ".join(problems))
    user = User(
        email=email,
        name=name.strip(),
        organisation=organisation,
        password_hash=None if password is None else hash_password(password, hash_method(session)),
    )
    user.role_rows = [UserRole(role=r) for r in roles]
    session.add(user)
    if "candidate" in roles:
        if registration_number is None:
            raise AccountError(
                "a candidate needs a Social Work England registration number (e.g. SW12345)"
            )
        add_candidate_profile(session, user, registration_number)
    session.flush()
    return user


def normalise_registration(number: str) -> str:
    return number.strip().upper().replace(" ", "")


def add_candidate_profile(
    session: Session, user: User, registration_number: str
) -> CandidateProfile:
    number = normalise_registration(registration_number)
    if not re.fullmatch(REGISTRATION_PATTERN, number):
        raise AccountError(
            f"'{registration_number}' is not a Social Work England registration number "
            "(SW followed by digits, e.g. SW123456)"
        )
    taken = session.scalar(
        select(CandidateProfile).where(CandidateProfile.registration_number == number)
    )
    if taken is not None and taken.user_id != user.id:
        raise AccountError(f"registration number {number} already belongs to another account")
    profile = CandidateProfile(user=user, registration_number=number)
    session.add(profile)
    return profile


def set_password(user: User, password: str) -> None:
    problems = check_password_rules(password)
    if problems:
        raise AccountError(" ".join(problems))
    user.password_hash = hash_password(password, hash_method(object_session(user)))
    user.session_version += 1  # other sessions of this account end
