"""Revocation: an admin revokes with a reason, from the admin pages or the command line; it is
audited and every check shows it at once. Bad requests change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from naas.certificates import services
from naas.certificates.services import CertificateRefused
from naas.models import AuditEvent

from ..helpers import csrf_token
from .conftest import START, certificate_of, reloaded
from .test_verify import typo_of

REASON = "Issued in error: the result was changed on review."


@pytest.fixture
def admin_client(signed_in_as, admin):
    return signed_in_as(admin)


def revoke_page(certificate):
    return f"/admin/certificates/{certificate.number}"


def test_the_admin_dashboard_links_to_the_certificates_page(admin_client):
    assert 'href="/admin/certificates/"' in admin_client.get("/dashboard").get_data(as_text=True)


def test_an_admin_finds_a_certificate_by_number(admin_client, certificate):
    response = admin_client.get(
        "/admin/certificates/", query_string={"number": certificate.number.lower()}
    )
    assert response.status_code == 302 and response.headers["Location"] == revoke_page(certificate)
    page = admin_client.get(revoke_page(certificate)).get_data(as_text=True)
    assert "Amara Okafor" in page and "Revoke this certificate" in page


def test_looking_up_a_typo_says_so(admin_client, certificate):
    response = admin_client.get(
        "/admin/certificates/", query_string={"number": typo_of(certificate.number)}
    )
    assert response.status_code == 422 and "typing mistake" in response.get_data(as_text=True)


def test_an_admin_revokes_with_a_reason_and_verification_shows_it_at_once(
    admin_client, client, session, admin, certificate
):
    response = admin_client.post(
        revoke_page(certificate),
        data={"reason": REASON, "csrf_token": csrf_token(admin_client, revoke_page(certificate))},
    )
    assert response.status_code == 302
    revoked = reloaded(session, certificate)
    assert revoked.revoked_reason == REASON and revoked.revoked_by == admin.id
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.revoke"))
    assert (
        event.actor_id == admin.id
        and event.data == {"reason": REASON}
        and event.subject_id == certificate.number
    )
    assert (
        client.get(f"/api/v1/certificates/{certificate.number}").get_json()["status"] == "revoked"
    )
    page = admin_client.get(revoke_page(certificate)).get_data(as_text=True)
    assert "Revoke this certificate" not in page and REASON in page


def test_revoking_without_a_reason_changes_nothing(admin_client, session, certificate):
    response = admin_client.post(
        revoke_page(certificate),
        data={"reason": "   ", "csrf_token": csrf_token(admin_client, revoke_page(certificate))},
    )
    assert response.status_code == 422 and "Give the reason for revoking" in response.get_data(
        as_text=True
    )
    assert reloaded(session, certificate).revoked_at is None


def test_revoking_without_a_csrf_token_is_refused(admin_client, session, certificate):
    assert admin_client.post(revoke_page(certificate), data={"reason": REASON}).status_code == 400
    assert reloaded(session, certificate).revoked_at is None


def test_only_admins_reach_the_revocation_pages(signed_in_as, session, employer, certificate):
    client = signed_in_as(employer)
    assert client.get("/admin/certificates/").status_code == 403
    token = csrf_token(client, "/dashboard")
    assert (
        client.post(
            revoke_page(certificate), data={"reason": REASON, "csrf_token": token}
        ).status_code
        == 403
    )
    assert reloaded(session, certificate).revoked_at is None


def test_an_unknown_certificate_page_is_404(admin_client):
    assert admin_client.get("/admin/certificates/NAAS-0000-0000-00000-0").status_code == 404


def test_a_certificate_is_revoked_only_once(app, session, certificate):
    services.revoke(session, certificate, REASON, actor_id=None, now=START)
    with pytest.raises(CertificateRefused, match="already revoked on 02 March 2026"):
        services.revoke(session, certificate, "Again.", actor_id=None, now=START)


def test_an_overlong_reason_is_refused(session, certificate):
    with pytest.raises(CertificateRefused, match="under 1000 characters"):
        services.revoke(session, certificate, "x" * 1001, actor_id=None, now=START)


def test_a_pass_overturned_on_review_revokes_its_certificate(session, result, certificate):
    services.revoke_for_result(session, result, "The result was changed on review.", START)
    session.commit()
    assert certificate_of(session, result).revoked_reason == "The result was changed on review."


# -- the command line ----------------------------------------------------------------------------
def test_naas_cert_revoke(runner, session, certificate):
    result = runner.invoke(args=["cert", "revoke", certificate.number.lower(), "--reason", REASON])
    assert result.exit_code == 0, result.output
    assert f"Revoked {certificate.number}" in result.output
    assert reloaded(session, certificate).revoked_reason == REASON


@pytest.mark.parametrize(
    "number, message",
    [
        ("hello", "'hello' is not a certificate number"),
        ("NAAS-0000-0000-00000-0", "no certificate has the number NAAS-0000-0000-00000-0"),
    ],
)
def test_naas_cert_revoke_refuses_a_bad_number_in_one_line(runner, certificate, number, message):
    result = runner.invoke(args=["cert", "revoke", number, "--reason", REASON])
    assert result.exit_code == 1 and result.output.strip() == f"Error: {message}"


def test_naas_cert_revoke_refuses_a_typo_and_an_empty_reason(runner, session, certificate):
    typo = runner.invoke(args=["cert", "revoke", typo_of(certificate.number), "--reason", REASON])
    assert typo.exit_code == 1 and "typing mistake" in typo.output
    empty = runner.invoke(args=["cert", "revoke", certificate.number, "--reason", " "])
    assert empty.exit_code == 1 and "Give the reason" in empty.output
    assert reloaded(session, certificate).revoked_at is None
