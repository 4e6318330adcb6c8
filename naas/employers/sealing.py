"""Set-password links in the outbox, sealed at rest.

The outbox is how a link reaches its owner (the service sends no email), so an admin must be
able to read it; a copy of the database must not open any account. Each link is written into
its message sealed with AES-256-GCM under a key derived from the app's SECRET_KEY (HKDF-SHA256
with a purpose label of its own, so the key is used for nothing else), and opened only when
an admin's page shows the message. After the secret key is rotated, a message sealed under an
earlier key still opens while that key is listed in NAAS_SECRET_KEY_FALLBACKS; once it is not,
the message cannot be opened: its link expires within days anyway, and a new one can be made.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

from naas.certificates.signing import b64url, b64url_decode

OUTBOX_KEY = "naas.outbox_key"  # in the sessions' info, as the signing key is
OUTBOX_FALLBACK_KEYS = "naas.outbox_fallback_keys"  # derived from the earlier secret keys
PURPOSE = b"naas outbox: set-password links, v1"
_SEALED = re.compile(r"\[sealed:v1:([A-Za-z0-9_-]+)\]")
UNREADABLE = (
    "(this link cannot be opened here: it was sealed under another secret key; make a new link)"
)
NOT_KEPT = "(the link was given to whoever made it; without a secret key it is not kept here)"


def outbox_key(secret_key: str | None) -> bytes | None:
    """The outbox's own key, derived from SECRET_KEY; None when there is no real secret key
    (a command run without one), and then no link is kept in the outbox at all."""
    if not secret_key or secret_key == "not-serving":
        return None
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(
        secret_key.encode("utf-8")
    )


def seal(key: bytes | None, text: str) -> str:
    """`text` as a marker only `key` opens; with no key, a note that it was not kept."""
    if key is None:
        return NOT_KEPT
    nonce = os.urandom(12)
    return (
        f"[sealed:v1:{b64url(nonce + AESGCM(key).encrypt(nonce, text.encode('utf-8'), PURPOSE))}]"
    )


def opened(key: bytes | None, body: str, fallbacks: Sequence[bytes] = ()) -> str:
    """The message as its reader should see it: each sealed part opened with the key or, after a
    rotation, one of the earlier keys; or marked unreadable."""
    keys = [k for k in (key, *fallbacks) if k is not None]

    def open_one(match: re.Match) -> str:
        try:
            sealed = b64url_decode(match.group(1))
        except ValueError:
            return UNREADABLE
        for each in keys:
            try:
                return AESGCM(each).decrypt(sealed[:12], sealed[12:], PURPOSE).decode("utf-8")
            except (InvalidTag, ValueError):
                continue
        return UNREADABLE

    return _SEALED.sub(open_one, body)


def opened_in(session: Session, body: str) -> str:
    """`opened` with the keys a database session carries (see naas/employers/__init__.py)."""
    return opened(session.info.get(OUTBOX_KEY), body, session.info.get(OUTBOX_FALLBACK_KEYS, ()))


def unsealed(session: Session, body: str, escape: Callable[[str], str] = str) -> str | None:
    """The message as it is sent (naas/mail): each sealed part opened with the session's keys
    and passed through `escape` (for HTML), or None if any part cannot be opened, so that no
    email carries a broken link."""
    broken = False

    def open_one(match: re.Match) -> str:
        nonlocal broken
        text = opened_in(session, match.group(0))
        if text == UNREADABLE:
            broken = True
        return escape(text)

    text = _SEALED.sub(open_one, body)
    return None if broken else text
