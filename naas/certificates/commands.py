"""`naas cert verify`, `naas cert revoke`, `naas cert new-key` and `naas cert public-key`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from naas import db
from naas.cli import add_command, fail, with_app
from naas.config import ConfigError

from . import services
from .credentials import CredentialError, check_credential
from .numbers import NumberError, parse_number
from .services import CertificateRefused
from .signing import load_public_keys, new_key_text


@click.group(
    "cert", help="Certificates: check a credential, revoke a certificate, manage the signing key."
)
def cert_group() -> None:
    pass


@cert_group.command(
    "verify",
    help="Check a downloaded credential (FILE.jwt) offline against the issuer's "
    "public key: the published one given with --key, or this installation's.",
)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--key",
    "key_file",
    type=click.Path(dir_okay=False),
    help="the public key: /.well-known/naas-signing-key.pem or /.well-known/jwks.json, saved",
)
def cert_verify(file: str, key_file: str | None) -> None:
    try:
        token = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}")
    keys = _public_keys(key_file)
    try:
        checked = check_credential(token, keys)
    except CredentialError as exc:
        fail(f"{file} is not a genuine NAAS credential: {exc}")
    today = datetime.now(UTC).date()
    facts = (
        f"certificate {checked.number}: {checked.holder_name} ({checked.registration_number}), "
        f"{checked.tier_title}, valid from {checked.valid_from:%d %B %Y} until {checked.valid_until:%d %B %Y}"
    )
    if not checked.current_on(today):
        fail(f"{file} is genuine but not current: {facts}")
    click.echo(
        f"Genuine: {facts}. Whether it has since been revoked is shown at {checked.verify_url}"
    )


def _public_keys(key_file: str | None):
    if key_file is None:
        return _installation_keys()
    try:
        return load_public_keys(Path(key_file).read_bytes())
    except OSError as exc:
        fail(f"cannot read the key file {key_file}: {exc.strerror or exc}")
    except ValueError as exc:
        fail(f"{key_file} is not an Ed25519 public key: {exc}")


@with_app()
def _installation_keys():
    keys = services.trusted_keys()
    if not keys:
        fail("NAAS_SIGNING_KEY is not set here: give the issuer's published key with --key")
    return keys


@cert_group.command("revoke", help="Revoke a certificate, with the reason verification will show.")
@click.argument("number")
@click.option("--reason", required=True, help="why: shown to anyone who checks the certificate")
@with_app()
def cert_revoke(number: str, reason: str) -> None:
    try:
        canonical = parse_number(number)
    except NumberError as exc:
        fail(
            f"'{number}' is not a certificate number"
            if str(exc) == "malformed"
            else f"'{number}' has a typing mistake (its check character does not match)"
        )
    certificate = services.find(db.session, canonical)
    if certificate is None:
        fail(f"no certificate has the number {canonical}")
    try:
        services.revoke(db.session, certificate, reason, actor_id=None, now=db.utcnow())
    except CertificateRefused as exc:
        db.session.rollback()
        fail(exc.message)
    db.session.commit()
    click.echo(f"Revoked {certificate.number} ({certificate.holder_name}, {certificate.tier}).")


@cert_group.command(
    "new-key",
    help="Print a new signing key for NAAS_SIGNING_KEY (base64 of 32 raw bytes). "
    "Keep it secret; changing it invalidates stored certificate records.",
)
def cert_new_key() -> None:
    click.echo(new_key_text())


@cert_group.command(
    "public-key",
    help="Print this installation's public key (PEM), as published at "
    "/.well-known/naas-signing-key.pem.",
)
@with_app()
def cert_public_key() -> None:
    try:
        click.echo(services.signing_key().public.pem(), nl=False)
    except ConfigError as exc:
        fail(str(exc))


add_command(cert_group)
