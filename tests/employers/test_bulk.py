"""Checking numbers in bulk: certificate numbers (anyone's), registration numbers (own staff
only), every row back with its line number, bad rows reported, a CSV back."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from naas.certificates.numbers import new_number
from naas.employers import bulk
from naas.models import Certificate

from ..helpers import csrf_token, login, make_user
from .conftest import staff_in_state


def upload(client, text, fmt="html", filename="numbers.csv", encoding="utf-8"):
    data = {
        "csrf_token": csrf_token(client, "/employer/check"),
        "format": fmt,
        "file": (io.BytesIO(text.encode(encoding) if isinstance(text, str) else text), filename),
    }
    return client.post("/employer/check", data=data, content_type="multipart/form-data")


def csv_back(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def certificate_of(session, endorsement):
    return session.scalar(
        select(Certificate).where(Certificate.candidate_id == endorsement.candidate_id)
    )


def mistyped(number):
    """The same number with one symbol changed: the check symbol no longer matches."""
    body = number[5:9]
    swapped = ("1" if body[0] != "1" else "2") + body[1:]
    return number[:5] + swapped + number[9:]


def test_certificate_numbers_of_anyone_are_checked(signed_in, session, other_org, other_employer):
    theirs = staff_in_state(session, other_org, other_employer, "passed", name="Elsewhere Person")
    number = certificate_of(session, theirs).number
    rows = csv_back(upload(signed_in, f"{number}\n{number.lower().replace('-', ' ')}\n", fmt="csv"))
    assert [(r["line"], r["found"], r["name"], r["status"]) for r in rows] == [
        ("1", "yes", "Elsewhere Person", "Passed"),
        ("2", "yes", "Elsewhere Person", "Passed"),
    ]
    assert rows[0]["date"] == "2029-03-01" and rows[0]["certificate number"] == number


@pytest.mark.parametrize(
    "state, status",
    [("expiring_soon", "Expiring soon"), ("expired", "Expired"), ("revoked", "Revoked")],
)
def test_a_certificates_standing_is_reported(signed_in, session, org, employer, state, status):
    number = certificate_of(session, staff_in_state(session, org, employer, state)).number
    assert csv_back(upload(signed_in, number, fmt="csv"))[0]["status"] == status


@pytest.mark.parametrize(
    "column, value", [("holder_name", "Someone Else"), ("expires_on", date(2039, 3, 1))]
)
def test_a_certificate_changed_without_the_key_cannot_be_verified(
    signed_in, session, org, employer, column, value
):
    certificate = certificate_of(
        session, staff_in_state(session, org, employer, "passed", name="Real Name")
    )
    setattr(certificate, column, value)  # changed in the database, without the key
    session.commit()
    [row] = csv_back(upload(signed_in, certificate.number, fmt="csv"))
    assert (row["found"], row["status"]) == ("no", "Cannot be verified — contact the issuer")
    assert "integrity check" in row["note"] and row["name"] == "" and row["date"] == ""
    page = upload(signed_in, certificate.number).get_data(as_text=True)
    assert "Cannot be verified" in page and "Passed" not in page and "Someone Else" not in page


def test_registration_numbers_of_own_staff_give_each_endorsements_status(
    signed_in, session, org, employer
):
    staff_in_state(session, org, employer, "not_passed", name="Own Staff", registration="SW1001")
    rows = csv_back(upload(signed_in, "registration number\nSW1001\n", fmt="csv"))
    assert [(r["line"], r["kind"], r["name"], r["status detail"]) for r in rows] == [
        ("2", "registration", "Own Staff", "Not passed (resit from 21 April 2026)")
    ]


def test_registration_numbers_of_other_organisations_staff_read_like_unknown_ones(
    signed_in, session, other_org, other_employer
):
    staff_in_state(
        session, other_org, other_employer, "passed", name="Not Yours", registration="SW2002"
    )
    rows = csv_back(upload(signed_in, "SW2002\nSW3003\n", fmt="csv"))
    assert [r["found"] for r in rows] == ["no", "no"]
    assert all("Not Yours" not in value for row in rows for value in row.values())
    assert rows[0]["note"].replace("SW2002", "X") == rows[1]["note"].replace("SW3003", "X")


def test_bad_rows_are_reported_by_line_number_and_the_good_ones_still_checked(
    signed_in, session, org, employer
):
    staff_in_state(session, org, employer, "endorsed", name="Good Row", registration="SW1001")
    good = new_number()
    text = (
        "\n".join(
            [
                "number",
                "SW1001",
                "not a number",
                "",
                "SW1234567890",
                mistyped(good),
                ",extra only",
                "NAAS-1234",
                good,
            ]
        )
        + "\n"
    )
    response = upload(signed_in, text)
    page = re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))
    assert response.status_code == 200
    assert "Line 3 (not a number): This is neither a certificate number" in page
    assert "Line 5 (SW1234567890): This registration number has too many digits" in page
    assert (
        f"Line 6 ({mistyped(good)}): This certificate number's last symbol does not match" in page
    )
    assert "Line 7: The first column is empty" in page
    assert "Line 8 (NAAS-1234): This is neither" in page
    rows = csv_back(upload(signed_in, text, fmt="csv"))
    assert [(r["line"], r["kind"]) for r in rows] == [
        ("2", "registration"),
        ("3", "problem"),
        ("5", "problem"),
        ("6", "problem"),
        ("7", "problem"),
        ("8", "problem"),
        ("9", "certificate"),
    ]
    assert rows[-1]["found"] == "no" and rows[-1]["note"] == "No certificate has this number."


def test_pasted_numbers_are_checked_like_a_file(signed_in, session, org, employer):
    staff_in_state(session, org, employer, "endorsed", name="Pasted Person", registration="SW1001")
    response = signed_in.post(
        "/employer/check",
        data={
            "csrf_token": csrf_token(signed_in, "/employer/check"),
            "numbers": "sw1001\n",
            "format": "csv",
        },
    )
    assert csv_back(response)[0]["name"] == "Pasted Person"


def test_a_file_saved_by_excel_with_a_byte_order_mark_or_windows_1252_is_read(
    signed_in, session, org, employer
):
    staff_in_state(session, org, employer, "endorsed", name="Zoë Brontë", registration="SW1001")
    assert csv_back(upload(signed_in, "\ufeffSW1001,Zoë\n", fmt="csv"))[0]["found"] == "yes"
    assert (
        csv_back(upload(signed_in, "SW1001,Zoë\n", fmt="csv", encoding="cp1252"))[0]["found"]
        == "yes"
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Choose a CSV file"),
        ("\n\n,,\n", "The file has no numbers in it"),
        ("SW1\n" * (bulk.MAX_ROWS + 1), "more than 20,000 rows"),
    ],
)
def test_a_file_that_cannot_be_checked_is_refused_with_a_message(signed_in, text, message):
    response = upload(signed_in, text)
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_a_file_over_the_size_limit_is_refused(signed_in):
    response = upload(signed_in, b"SW1\n" * (bulk.MAX_BYTES // 4 + 1))
    assert response.status_code == 422 and "larger than 2 MB" in response.get_data(as_text=True)


def test_the_results_csv_escapes_formula_cells(signed_in):
    rows = csv_back(upload(signed_in, "=1+1\n-2\n@cmd\n+3\n", fmt="csv"))
    assert [r["as given"] for r in rows] == ["'=1+1", "'-2", "'@cmd", "'+3"]


def test_ten_thousand_rows_are_answered_row_by_row(signed_in, session, org, employer):
    staff_in_state(session, org, employer, "passed", name="Many Times", registration="SW1001")
    lines = [
        "SW1001" if n % 3 == 0 else ("junk" if n % 3 == 1 else new_number()) for n in range(10_000)
    ]
    rows = csv_back(upload(signed_in, "\n".join(lines), fmt="csv"))
    assert len(rows) == 10_000 and [r["line"] for r in rows] == [str(n) for n in range(1, 10_001)]
    assert (
        sum(r["found"] == "yes" for r in rows) == 3334
        and sum(r["kind"] == "problem" for r in rows) == 3333
    )


def test_the_check_needs_a_csrf_token(signed_in):
    assert signed_in.post("/employer/check", data={"numbers": "SW1"}).status_code == 400


# -- reading rows, without the database -------------------------------------------------------
@pytest.mark.parametrize(
    "header", ["Certificate number", "registration_number", "Certificate or registration number"]
)
def test_a_header_row_is_skipped_only_as_the_first_row(header):
    assert [line for line, _, _ in bulk.read_lines(f"{header}\nSW1\nnumber\n")] == [2, 3]


def test_a_first_row_that_is_a_number_is_not_taken_for_a_header():
    assert [line for line, _, _ in bulk.read_lines("SW1\nSW2\n")] == [1, 2]


def test_line_numbers_count_blank_lines_and_quoted_line_breaks():
    rows = list(bulk.read_lines('SW1\n\n"SW2","a\nb"\nSW3\n'))
    assert [(line, value) for line, value, _ in rows] == [(1, "SW1"), (4, "SW2"), (5, "SW3")]


def test_a_row_that_cannot_be_read_as_csv_is_a_problem_and_reading_goes_on():
    rows = list(bulk.read_lines("SW1\n" + "x" * 200_000 + "\nSW3\n"))
    assert [(line, value) for line, value, _ in rows] == [(1, "SW1"), (2, None), (3, "SW3")]
    assert rows[1][2].startswith("This row cannot be read as CSV")


def test_a_row_with_a_nul_byte_is_a_problem_not_a_crash():
    rows = list(bulk.read_lines("SW1\nS\x00W2\nSW3\n"))
    assert [bulk.classify(value)[0] for _, value, _ in rows] == [
        "registration",
        "problem",
        "registration",
    ]


@pytest.mark.parametrize(
    "value, kind",
    [
        ("SW123", "registration"),
        (" sw 123 ", "registration"),
        ("SW123456789", "registration"),
        ("SW1234567890", "problem"),
        ("SW", "problem"),
        ("", "problem"),
        ("hello", "problem"),
    ],
)
def test_values_are_classified(value, kind):
    assert bulk.classify(value)[0] == kind


def test_a_certificate_number_is_read_however_it_is_typed():
    number = new_number()
    compact = number.replace("-", "")
    assert bulk.classify(compact.lower()) == ("certificate", number)


def test_checks_are_rate_limited_per_employer_user(app, signed_in, session, org, other_employer):
    app.config["NAAS_BULK_CHECK_LIMIT"] = "2 per minute"
    statuses = [
        signed_in.post(
            "/employer/check",
            data={"csrf_token": csrf_token(signed_in, "/employer/check"), "numbers": "SW1"},
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert signed_in.get("/employer/check").status_code == 200  # the page itself is not counted
    colleague = (
        app.test_client()
    )  # another user, from the same address, has an allowance of their own
    login(colleague, make_user(session, "employer", org=org).email)
    assert (
        colleague.post(
            "/employer/check",
            data={"csrf_token": csrf_token(colleague, "/employer/check"), "numbers": "SW1"},
        ).status_code
        == 200
    )
