from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

from naas.models import ROLES


def roles_required(*roles: str) -> Callable:
    """Only signed-in users holding at least one of `roles` may call the view (else 403)."""
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        # read by the access-matrix test; a function attribute is outside Callable's type
        wrapped.naas_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorate


def public(view: Callable) -> Callable:
    """Marks a view open to anyone, so the access matrix can tell it was meant to be."""
    view.naas_roles = ("public",)  # type: ignore[attr-defined]  # as in roles_required
    return view
