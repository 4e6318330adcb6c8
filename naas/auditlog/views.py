"""The chain's signed checkpoints, published: anyone may keep copies, so that a chain cut short
or recomputed is caught against them too. They say nothing about anyone."""

from __future__ import annotations

from flask import Blueprint, jsonify, url_for

from naas import db
from naas.auth.decorators import public

from .services import published_checkpoints

bp = Blueprint("auditlog", __name__)


@bp.route("/.well-known/audit-checkpoints.json")
@public
def checkpoints():
    response = jsonify(
        checkpoints=published_checkpoints(db.session),
        keys=url_for("certificates.jwks", _external=False),
        signed="each checkpoint's sig is Ed25519 (base64url) over the JSON, keys sorted, no "
        'spaces, of {"type": "naas.audit.checkpoint.v1", "seq", "hash", "at", "kid"}',
    )
    response.cache_control.public = True
    response.cache_control.max_age = 10
    return response
