"""Anyone can check a certificate by number, on a page or through the JSON API: valid,
expired or revoked; a typo is told apart from an unknown number, which gets a bare 404."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from naas import create_app
from naas.certificates.numbers import ALPHABET, new_number

from .conftest import START


def typo_of(number: str) -> str:
    position = 5  # the first random symbol
    wrong = next(s for s in ALPHABET if s != number[position])
    return number[:position] + wrong + number[position + 1 :]


def revoke(session, certificate, reason="Issued in error after a marking mistake."):
    certificate.revoked_at, certificate.revoked_reason = START, reason
    session.commit()


# -- the page ------------------------------------------------------------------------------
def test_a_valid_certificate_shows_valid_with_the_holder_and_tier(client, certificate, clock):
    response = client.get(f"/verify/{certificate.number}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Valid" in page and "genuine and current" in page
    assert (
        "Amara Okafor" in page
        and "SW424242" in page
        and "Approved child and family practitioner" in page
    )
    assert "12 March 2029" in page


def test_an_expired_certificate_shows_expired(client, certificate, clock):
    clock.at = datetime(2029, 3, 12, 12, 0, tzinfo=UTC)
    page = client.get(f"/verify/{certificate.number}").get_data(as_text=True)
    assert "Expired" in page and "expired on 12 March 2029" in page


def test_the_day_before_expiry_it_is_still_valid(client, certificate, clock):
    clock.at = datetime(2029, 3, 11, 12, 0, tzinfo=UTC)
    assert "genuine and current" in client.get(f"/verify/{certificate.number}").get_data(
        as_text=True
    )


def test_a_revoked_certificate_shows_revoked_with_its_reason(client, session, certificate, clock):
    revoke(session, certificate)
    page = client.get(f"/verify/{certificate.number}").get_data(as_text=True)
    assert "Revoked" in page and "Issued in error after a marking mistake." in page
    assert "genuine and current" not in page


def test_a_mistyped_number_is_told_to_check_for_a_typo(client, certificate, clock):
    response = client.get(f"/verify/{typo_of(certificate.number)}")
    assert response.status_code == 422
    assert "typing mistake" in response.get_data(as_text=True)
    assert "Amara Okafor" not in response.get_data(as_text=True)


def test_an_unknown_number_gets_404_and_no_hint(client, certificate, clock):
    pages = []
    for _ in range(2):
        response = client.get(f"/verify/{new_number()}")
        assert response.status_code == 404
        pages.append(response.get_data(as_text=True).split("<main")[1].split("</main>")[0])
    assert "No certificate has this number." in pages[0]
    assert pages[0] == pages[1]  # nothing about the number itself, nothing nearby
    assert "Amara" not in pages[0] and certificate.number[:9] not in pages[0]


def test_text_that_cannot_be_a_number_is_malformed(client, clock):
    response = client.get("/verify/hello")
    assert response.status_code == 400 and "not a certificate number" in response.get_data(
        as_text=True
    )


def test_a_number_typed_loosely_is_redirected_to_its_canonical_form(client, certificate, clock):
    loose = certificate.number.lower().replace("-", " ")
    response = client.get(f"/verify/{loose}")
    assert (
        response.status_code == 301
        and response.headers["Location"] == f"/verify/{certificate.number}"
    )


def test_a_tampered_record_is_not_confirmed(client, session, certificate, clock):
    certificate.holder_name = "Someone Else"  # changed in the database, without the key
    session.commit()
    response = client.get(f"/verify/{certificate.number}")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "cannot be confirmed" in page and "Someone Else" not in page and "Valid" not in page
    assert (
        client.get(f"/api/v1/certificates/{certificate.number}").get_json()["error"] == "integrity"
    )


def test_a_changed_tier_title_is_not_confirmed(client, session, certificate, clock):
    certificate.tier_title = (
        "Practice leader"  # the title the page and the API show, changed without the key
    )
    session.commit()
    response = client.get(f"/verify/{certificate.number}")
    assert response.status_code == 500 and "Practice leader" not in response.get_data(as_text=True)
    assert (
        client.get(f"/api/v1/certificates/{certificate.number}").get_json()["error"] == "integrity"
    )


# -- the form --------------------------------------------------------------------------------
def test_the_home_page_links_to_the_check(client):
    assert 'href="/verify"' in client.get("/").get_data(as_text=True)


def test_the_form_has_a_labelled_box(client):
    page = client.get("/verify").get_data(as_text=True)
    assert '<label class="label" for="number">Certificate number</label>' in page
    assert 'method="get"' in page


def test_the_form_sends_a_good_number_to_its_page(client, certificate, clock):
    response = client.get("/verify", query_string={"number": certificate.number.lower()})
    assert (
        response.status_code == 302
        and response.headers["Location"] == f"/verify/{certificate.number}"
    )


@pytest.mark.parametrize(
    "typed, status, message",
    [
        ("", 400, "Enter the certificate number."),
        ("NAAS-12", 400, "not a certificate number"),
        ("x" * 65, 400, "too long"),
    ],
)
def test_the_form_explains_a_bad_number_and_keeps_what_was_typed(
    client, typed, status, message, clock
):
    response = client.get("/verify", query_string={"number": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == status and message in page and "There is a problem" in page


def test_the_form_explains_a_typo(client, certificate, clock):
    typo = typo_of(certificate.number)
    response = client.get("/verify", query_string={"number": typo})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "typing mistake" in page and f'value="{typo}"' in page


# -- the API -----------------------------------------------------------------------------------
def test_the_api_gives_the_facts_and_status(client, certificate, clock):
    response = client.get(f"/api/v1/certificates/{certificate.number}")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.get_json() == {
        "number": certificate.number,
        "holder_name": "Amara Okafor",
        "registration_number": "SW424242",
        "tier": "practitioner",
        "tier_title": "Approved child and family practitioner",
        "status": "valid",
        "issued_on": "2026-03-12",
        "expires_on": "2029-03-12",
    }


def test_the_api_gives_the_reason_of_a_revocation_at_once(client, session, certificate, clock):
    assert client.get(f"/api/v1/certificates/{certificate.number}").get_json()["status"] == "valid"
    revoke(session, certificate)
    body = client.get(f"/api/v1/certificates/{certificate.number}").get_json()
    assert (
        body["status"] == "revoked"
        and body["revocation_reason"] == "Issued in error after a marking mistake."
    )
    assert body["revoked_on"] == "2026-03-02"


def test_the_api_reports_expired(client, certificate, clock):
    clock.at = datetime(2030, 1, 1, tzinfo=UTC)
    assert (
        client.get(f"/api/v1/certificates/{certificate.number}").get_json()["status"] == "expired"
    )


def test_the_api_tells_a_typo_from_an_unknown_number(client, certificate, clock):
    typo = client.get(f"/api/v1/certificates/{typo_of(certificate.number)}")
    unknown = client.get(f"/api/v1/certificates/{new_number()}")
    malformed = client.get("/api/v1/certificates/hello")
    assert (typo.status_code, typo.get_json()["error"]) == (422, "typo")
    assert unknown.status_code == 404 and unknown.get_json() == {
        "error": "not_found",
        "message": "No certificate has this number.",
    }
    assert (malformed.status_code, malformed.get_json()["error"]) == (400, "malformed")


def test_checks_are_rate_limited_per_client(app_config, certificate):
    app = create_app({**app_config, "NAAS_VERIFY_LIMIT": "3 per minute"})
    client = app.test_client()
    statuses = [
        client.get(f"/api/v1/certificates/{certificate.number}").status_code for _ in range(3)
    ]
    statuses.append(client.get(f"/verify/{certificate.number}").status_code)
    assert statuses == [200, 200, 200, 429]
    other = app.test_client()  # another address is counted apart
    assert (
        other.get(
            f"/api/v1/certificates/{certificate.number}", environ_base={"REMOTE_ADDR": "10.0.0.2"}
        ).status_code
        == 200
    )
    app.extensions["naas.engine"].dispose()


def test_a_check_reads_exactly_the_facts_the_model_holds_on_either_database(
    app, session, certificate
):
    """The public checks read through db.PreparedRead (psycopg directly on PostgreSQL): every
    column must come back as the model has it, the revocation time in UTC included."""
    from datetime import timedelta

    from naas import db
    from naas.certificates import services

    revoke(session, certificate)
    with app.test_request_context(), db.reading() as connection:
        postgresql = connection.dialect.name == "postgresql"
        if postgresql:  # a server that answers in another zone: the column's processor makes it UTC
            connection.exec_driver_sql("SET TIME ZONE 'Pacific/Auckland'")
        found = services.look_up(connection, certificate.number)
        unknown = services.look_up(connection, new_number())
        if postgresql:
            connection.exec_driver_sql("RESET TIME ZONE")
    assert found.outcome == "found" and found.intact and unknown.outcome == "unknown"
    row = found.certificate
    assert {name: getattr(row, name) for name in row._fields} == {
        name: getattr(certificate, name) for name in row._fields
    }
    assert row.revoked_at == START and row.revoked_at.utcoffset() == timedelta(0)
