"""Downloads: the PDF and the credential go to the holder, to employers of the organisation
that endorsed them, and to admins; to nobody else, who get 404. The public key is published."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pypdf
import pytest

from naas.certificates import services
from naas.certificates.credentials import check_credential
from naas.certificates.signing import load_public_keys

from ..helpers import make_org, make_user
from .conftest import START


@pytest.fixture
def holder(signed_in_as, candidate):
    return signed_in_as(candidate)


def test_the_holder_downloads_their_pdf(holder, certificate):
    response = holder.get(f"/certificates/{certificate.number}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f'filename="{certificate.number}.pdf"' in response.headers["Content-Disposition"]
    text = pypdf.PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Amara Okafor" in text and certificate.number in text
    assert "http://localhost/verify/" in text  # from NAAS_BASE_URL, not the request's host


def test_the_qr_code_points_at_the_configured_address_whatever_the_host_header(
    app, session, certificate
):
    with app.test_request_context(base_url="http://evil.example"):
        url = services.accreditation_of(session, certificate).verify_url
    assert url == f"http://localhost/verify/{certificate.number}"


def test_an_employer_of_the_endorsing_organisation_downloads_it(
    signed_in_as, employer, certificate
):
    assert signed_in_as(employer).get(f"/certificates/{certificate.number}.pdf").status_code == 200


def test_an_admin_downloads_it(signed_in_as, admin, certificate):
    assert signed_in_as(admin).get(f"/certificates/{certificate.number}.pdf").status_code == 200


@pytest.mark.parametrize("who", ["other candidate", "other employer"])
def test_anyone_else_signed_in_gets_404(session, signed_in_as, certificate, who):
    user = (
        make_user(session, "candidate")
        if who == "other candidate"
        else make_user(session, "employer", org=make_org(session, "Southfield Council"))
    )
    client = signed_in_as(user)
    assert client.get(f"/certificates/{certificate.number}.pdf").status_code == 404
    assert client.get(f"/certificates/{certificate.number}/credential.jwt").status_code == 404


def test_an_assessor_is_refused(session, signed_in_as, certificate):
    client = signed_in_as(make_user(session, "assessor"))
    assert client.get(f"/certificates/{certificate.number}.pdf").status_code == 403


def test_nobody_signed_out_can_download(client, certificate):
    response = client.get(f"/certificates/{certificate.number}.pdf")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_unknown_number_is_404(holder, certificate):
    assert holder.get("/certificates/NAAS-0000-0000-00000-0.pdf").status_code == 404


def test_the_credential_verifies_against_the_published_key(client, holder, certificate):
    response = holder.get(f"/certificates/{certificate.number}/credential.jwt")
    assert response.status_code == 200 and response.mimetype == "application/jwt"
    keys = load_public_keys(client.get("/.well-known/jwks.json").data)
    checked = check_credential(response.get_data(as_text=True), keys)
    assert checked.number == certificate.number and checked.holder_name == "Amara Okafor"
    assert load_public_keys(client.get("/.well-known/naas-signing-key.pem").data) == keys


def test_a_revoked_certificates_credential_is_not_signed_afresh(session, holder, certificate):
    certificate.revoked_at, certificate.revoked_reason = START, "Issued in error."
    session.commit()
    response = holder.get(f"/certificates/{certificate.number}/credential.jwt")
    assert response.status_code == 410 and "revoked" in response.get_data(as_text=True)
    assert (
        holder.get(f"/certificates/{certificate.number}.pdf").status_code == 200
    )  # stamped REVOKED


@pytest.mark.parametrize(
    "column, value", [("holder_name", "Someone Else"), ("registration_number", "SW999999")]
)
@pytest.mark.parametrize("download", ["pdf", "credential"])
def test_a_row_changed_without_the_key_is_neither_rendered_nor_signed_afresh(
    session, holder, certificate, caplog, column, value, download
):
    setattr(certificate, column, value)  # changed in the database, without the key
    session.commit()
    path = (
        f"/certificates/{certificate.number}.pdf"
        if download == "pdf"
        else f"/certificates/{certificate.number}/credential.jwt"
    )
    response = holder.get(path)
    assert response.status_code == 500 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert (
        "cannot be confirmed" in page and "failed its integrity check" in page and value not in page
    )
    assert any(
        record.levelname == "ERROR" and certificate.number in record.getMessage()
        for record in caplog.records
    )


def test_a_row_whose_record_was_replaced_is_refused_too(session, holder, certificate):
    certificate.signed_record = certificate.signed_record.replace("Amara Okafor", "Someone Else")
    certificate.holder_name = "Someone Else"
    session.commit()
    assert holder.get(f"/certificates/{certificate.number}/credential.jwt").status_code == 500
    assert holder.get(f"/certificates/{certificate.number}.pdf").status_code == 500


# -- the candidate's dashboard -----------------------------------------------------------------
def test_the_dashboard_lists_the_certificate_with_its_downloads(holder, certificate):
    page = holder.get("/dashboard").get_data(as_text=True)
    assert "Your certificates" in page and certificate.number in page and "Valid" in page
    assert f"/certificates/{certificate.number}.pdf" in page
    assert f"/certificates/{certificate.number}/credential.jwt" in page
    assert "Expires within 90 days" not in page


def test_the_dashboard_warns_within_90_days_of_expiry(holder, certificate, clock):
    clock.at = datetime(2028, 12, 13, 9, 0, tzinfo=UTC)  # 89 days before 12 March 2029
    assert "Expires within 90 days" in holder.get("/dashboard").get_data(as_text=True)


def test_a_candidate_without_certificates_is_told_when_one_comes(session, signed_in_as, loaded):
    page = signed_in_as(make_user(session, "candidate")).get("/dashboard").get_data(as_text=True)
    assert "Your certificates" in page and "your certificate appears here" in page


def test_the_dashboard_says_a_changed_row_cannot_be_verified(session, holder, certificate):
    certificate.expires_on = certificate.expires_on.replace(year=2040)  # without the key
    session.commit()
    page = holder.get("/dashboard").get_data(as_text=True)
    assert "Cannot be verified" in page and "Valid" not in page and "2040" in page
    assert "integrity check" in page
    assert f"/certificates/{certificate.number}.pdf" not in page
    assert f"/certificates/{certificate.number}/credential.jwt" not in page


def test_the_admin_page_warns_of_a_changed_row(session, signed_in_as, admin, certificate):
    certificate.holder_name = "Someone Else"
    session.commit()
    page = (
        signed_in_as(admin).get(f"/admin/certificates/{certificate.number}").get_data(as_text=True)
    )
    assert "does not match its signed record" in page
