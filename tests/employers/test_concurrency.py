"""Requests racing over real concurrent database connections: one link, one password; one
person, one endorsement per tier."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from naas.employers import services
from naas.employers.invitations import LinkRefused, issue_link, set_password_with_link
from naas.models import Endorsement, User

from .conftest import START, make_candidate, staff_in_state


def race(app, attempts, action):
    """Run `action(session, n)` in `attempts` threads at once, each with its own session;
    return what each returned or raised."""
    outcomes, lock, barrier = [], threading.Lock(), threading.Barrier(attempts)

    def run(n):
        session = app.extensions["naas.db"]()
        try:
            barrier.wait()
            value = action(session, n)
            session.commit()
        except Exception as exc:  # the outcome under test: which attempts were refused, and how
            session.rollback()
            value = exc
        finally:
            session.close()
        with lock:
            outcomes.append(value)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_of_several_uses_of_one_link_at_once_exactly_one_sets_the_password(app, session, org):
    user = make_candidate(session, org)
    user.password_hash = None
    invitation = issue_link(
        session, user, opening="x", actor_id=None, now=START, link_for=lambda token: token
    )
    session.commit()
    outcomes = race(
        app,
        4,
        lambda s, n: set_password_with_link(s, invitation.link, f"pass phrase number {n}", START),
    )
    assert sum(isinstance(o, User) for o in outcomes) == 1
    assert all(isinstance(o, (User, LinkRefused)) for o in outcomes), outcomes


def test_of_two_endorsements_of_one_person_at_once_only_one_is_made(
    app, session, org, employer, loaded
):
    candidate = make_candidate(session, org, registration="SW7007")

    def endorse(s, n):
        return services.endorse(
            s,
            s.get(User, employer.id),
            name=candidate.name,
            email=candidate.email,
            registration_number="SW7007",
            tier="practitioner",
            now=START,
            link_for=lambda token: token,
        )

    outcomes = race(app, 3, endorse)
    assert sum(isinstance(o, services.Endorsed) for o in outcomes) == 1
    assert all(isinstance(o, (services.Endorsed, services.Refused)) for o in outcomes), outcomes
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Endorsement)) == 1


def test_of_two_withdrawals_at_once_one_is_recorded(app, session, org, employer, loaded):
    endorsement = staff_in_state(session, org, employer, "endorsed")

    def withdraw(s, n):
        return services.withdraw(
            s, s.get(User, employer.id), s.get(Endorsement, endorsement.id), START
        )

    outcomes = race(app, 3, withdraw)
    assert sum(o is None for o in outcomes) == 1
    assert all(o is None or isinstance(o, services.Refused) for o in outcomes), outcomes
