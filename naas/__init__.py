"""NAAS: the National Assessment and Accreditation System for child and family social workers.

Importing the package imports nothing else, so that the pure core (`naas.engine`,
`naas.bank`) stays free of Flask and SQLAlchemy; the app is built by `create_app`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["create_app"]


def create_app(config: Mapping[str, Any] | None = None, *, serving: bool = True) -> Flask:
    """Build the application (see naas.app.create_app)."""
    from .app import create_app as build

    return build(config, serving=serving)
