"""The Ed25519 key that signs certificate records and credentials.

NAAS_SIGNING_KEY is either the path of a PEM file holding an Ed25519 private key, or the
base64 of the key's 32 raw bytes. In production it must be set; in demo and test runs a
key is generated into the instance folder (with a warning), never a fixed one. The public
half is published at /.well-known/ so that anyone can check a credential offline.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from naas.config import ConfigError

log = logging.getLogger(__name__)

INSTANCE_KEY_FILE = "certificate-signing-key.pem"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict: only the URL-safe alphabet, no padding (RFC 7515), or ValueError."""
    if not text or any(
        ch not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for ch in text
    ):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc


@lru_cache(maxsize=4096)
def _verified(raw_key: bytes, signature: bytes, data: bytes) -> bool:
    """A pure function of its inputs, so remembered: a certificate checked again and again
    costs its signature check once per process."""
    try:
        Ed25519PublicKey.from_public_bytes(raw_key).verify(signature, data)
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class PublicKey:
    """A public key we trust, with its id: the RFC 7638 thumbprint of its JWK."""

    key: Ed25519PublicKey

    @cached_property
    def raw(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @cached_property
    def kid(self) -> str:
        members = json.dumps(
            {"crv": "Ed25519", "kty": "OKP", "x": b64url(self.raw)},
            separators=(",", ":"),
            sort_keys=True,
        )
        return b64url(hashlib.sha256(members.encode("ascii")).digest())

    def jwk(self) -> dict[str, str]:
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url(self.raw),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        }

    def pem(self) -> str:
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    def verify(self, signature: bytes, data: bytes) -> bool:
        return _verified(self.raw, signature, data)


@dataclass(frozen=True)
class SigningKey:
    key: Ed25519PrivateKey

    @cached_property
    def public(self) -> PublicKey:
        return PublicKey(self.key.public_key())

    @property
    def kid(self) -> str:
        return self.public.kid

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data)


def new_key_text() -> str:
    """A fresh key in the form NAAS_SIGNING_KEY takes: base64 of the 32 raw bytes."""
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode("ascii")


def parse_key(value: str) -> SigningKey:
    """NAAS_SIGNING_KEY as configured: base64 of 32 raw bytes, or else a PEM file's path."""
    value = value.strip()
    try:
        raw = base64.b64decode(
            value, altchars=b"-_" if ("-" in value or "_" in value) else None, validate=True
        )
    except binascii.Error:
        raw = b""
    if len(raw) == 32:
        return SigningKey(Ed25519PrivateKey.from_private_bytes(raw))
    path = Path(value).expanduser()
    if path.is_file() or value.startswith(("/", ".", "~")) or value.endswith(".pem"):
        try:
            return _from_pem(path.read_bytes(), f"the file {value}")
        except OSError as exc:
            raise ConfigError(
                f"NAAS_SIGNING_KEY names the file {value}, which cannot be read "
                f"({exc.strerror or exc})"
            ) from None
    raise ConfigError(
        "NAAS_SIGNING_KEY is neither the base64 of a 32-byte Ed25519 private key nor the path "
        "of a PEM file (make a key with `naas cert new-key`)"
    )


def _from_pem(data: bytes, where: str) -> SigningKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"NAAS_SIGNING_KEY: {where} is not an unencrypted PEM private key ({exc})"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(
            f"NAAS_SIGNING_KEY: {where} holds a {type(key).__name__}, not an Ed25519 key"
        )
    return SigningKey(key)


def instance_key(instance: Path) -> SigningKey:
    """Demo and tests only: the instance folder's key, generated on first use.

    Written to a temporary file and linked into place, so that two processes starting at
    once end up with the same key rather than one overwriting the other's."""
    path = instance / INSTANCE_KEY_FILE
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd, temporary = tempfile.mkstemp(dir=instance, prefix=".signing-key-")
        try:
            os.write(fd, pem)
            os.close(fd)
            os.chmod(temporary, 0o600)
            os.link(temporary, path)
            log.warning(
                "No NAAS_SIGNING_KEY is set: generated a certificate signing key for this demo or test "
                "instance in %s. Certificates it signs are only as trustworthy as that file; set "
                "NAAS_SIGNING_KEY in production.",
                path,
            )
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            Path(temporary).unlink(missing_ok=True)
    return _from_pem(path.read_bytes(), f"the file {path}")


def load_public_keys(data: bytes) -> dict[str, PublicKey]:
    """Public keys by id, from a file as someone checking a credential has it: the PEM published
    at /.well-known/naas-signing-key.pem, or the JWK set at /.well-known/jwks.json."""
    text = data.strip()
    if text.startswith(b"{"):
        try:
            document = json.loads(text)
            keys = [_from_jwk(jwk) for jwk in document.get("keys", [document])]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not an Ed25519 JWK or JWK set ({exc})") from None
        if not keys:
            raise ValueError("the JWK set has no keys")
        return {key.kid: key for key in keys}
    key = public_key_from_pem(text)
    return {key.kid: key}


def _from_jwk(jwk: dict) -> PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError("not an Ed25519 key")
    return PublicKey(Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"])))


def public_key_from_pem(data: bytes) -> PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"a {type(key).__name__}, not an Ed25519 public key")
    return PublicKey(key)


def retired_keys(value: str | None) -> dict[str, PublicKey]:
    """NAAS_SIGNING_RETIRED_KEYS: PEM files of public keys that signed earlier certificates,
    still trusted to check them (and published) after the signing key was replaced."""
    keys = {}
    for name in (value or "").replace(",", " ").split():
        try:
            key = public_key_from_pem(Path(name).expanduser().read_bytes())
        except OSError as exc:
            raise ConfigError(
                f"NAAS_SIGNING_RETIRED_KEYS: cannot read {name} ({exc.strerror or exc})"
            ) from None
        except ValueError as exc:
            raise ConfigError(f"NAAS_SIGNING_RETIRED_KEYS: {name} is {exc}") from None
        keys[key.kid] = key
    return keys


def canonical(document: dict) -> bytes:
    """The bytes a record is signed as: sorted keys, no spaces, UTF-8."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )
