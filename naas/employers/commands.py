"""`naas user password-link`: a set-password link for an account made without a password
(`naas user create --no-password`), or to replace a lost one."""

from __future__ import annotations

import click

from naas import db
from naas.auth.services import find_user
from naas.cli import fail, user_group, with_app
from naas.db import utcnow

from .invitations import LINK_LIFETIME, issue_link
from .links import set_password_link


@user_group.command(
    "password-link",
    help="Make a one-time link for a user to set their password (printed, and "
    f"written to the outbox); it expires after {LINK_LIFETIME.days} days "
    "and replaces any earlier unused link.",
)
@click.option("--email", required=True)
@with_app()
def user_password_link(email: str) -> None:
    user = find_user(db.session, email)
    if user is None:
        fail(f"no account with the email {email.strip().lower()}")
    if not user.active:
        fail(f"the account {user.email} is deactivated")
    invitation = issue_link(
        db.session,
        user,
        actor_id=None,
        now=utcnow(),
        link_for=set_password_link,
        opening="Here is a link to set the password of your account with the National "
        "Assessment and Accreditation service.",
    )
    db.session.commit()
    click.echo(
        f"Link for {user.email}, usable once until {invitation.expires_at:%Y-%m-%d %H:%M} UTC:"
    )
    click.echo(invitation.link)
