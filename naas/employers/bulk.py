"""Checking a list of numbers at once: certificate numbers (anyone's) or Social Work England
registration numbers (the employer's own staff only), one per row, in the first column.

Every row of the file comes back, in order, with its line number: found, not found, or a
problem with the row itself (a typo in a certificate number is told apart from a number
that is not one at all). A few queries answer ten thousand rows.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from naas.auth.services import normalise_registration
from naas.certificates.numbers import NumberError, parse_number
from naas.certificates.services import record_intact
from naas.models import Certificate
from naas.models.users import REGISTRATION_PATTERN

from .staff import StaffRow, known_tiers, staff_rows, tier_title
from .status import StaffStatus, certificate_status

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
_CHUNK = 500  # numbers per query: well inside every database's limit on bound parameters
# A first row that names its column ("Certificate number", "registration_number", ...) is a header.
HEADER_WORDS = ("number", "certificate", "registration")
UNVERIFIABLE = (
    "The record of this certificate failed its integrity check, so it cannot be verified. Do not rely "
    "on it; contact the issuer."
)


class FileRefused(Exception):
    """The file as a whole cannot be checked (too large, too many rows, empty)."""


@dataclass(frozen=True)
class Checked:
    line: int
    given: str
    kind: str  # certificate | registration | problem
    found: bool = False
    name: str = ""
    tier: str = ""
    status: StaffStatus | None = None
    certificate_number: str = ""
    note: str = ""

    @property
    def problem(self) -> bool:
        return self.kind == "problem"


@dataclass(frozen=True)
class Report:
    rows: list[Checked]

    @property
    def problems(self) -> list[Checked]:
        return [row for row in self.rows if row.problem]

    @property
    def found(self) -> int:
        return sum(1 for row in self.rows if row.found)

    @property
    def lines(self) -> int:
        return len({row.line for row in self.rows})


def decode(data: bytes) -> str:
    """A CSV as spreadsheets save it: UTF-8 (with or without a byte order mark), or else
    Windows-1252, as older Excel writes. Numbers are ASCII either way."""
    if len(data) > MAX_BYTES:
        raise FileRefused(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB. Split it into smaller files."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_lines(text: str) -> Iterator[tuple[int, str | None, str]]:
    """(line number, the first cell or None for an unreadable row, a note) for each row
    with anything in it. The header row, if any, is skipped."""
    reader = csv.reader(io.StringIO(text, newline=""))
    first = True
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, None, f"This row cannot be read as CSV ({exc})."
            first = False
            continue
        if not any(cell.strip() for cell in cells):
            continue
        value = cells[0].strip()
        if first and is_header(value):
            first = False
            continue
        first = False
        yield reader.line_num, value, ""


def is_header(value: str) -> bool:
    return classify(value)[0] == "problem" and any(
        word in value.casefold() for word in HEADER_WORDS
    )


def classify(value: str) -> tuple[str, str]:
    """('certificate' or 'registration', the canonical number), or ('problem', what is wrong)."""
    if not value:
        return "problem", "The first column is empty: put the number there."
    registration = normalise_registration(value)
    if re.fullmatch(REGISTRATION_PATTERN, registration):
        return "registration", registration
    if registration.startswith("SW") and registration[2:].isdigit():
        return "problem", "This registration number has too many digits: SW is followed by up to 9."
    try:
        return "certificate", parse_number(value)
    except NumberError as exc:
        if str(exc) == "typo":
            return "problem", (
                "This certificate number's last symbol does not match the others: a character "
                "was probably mistyped. Check it against the certificate."
            )
        return "problem", (
            "This is neither a certificate number (like NAAS-XXXX-XXXX-XXXXX-X) nor a Social Work "
            "England registration number (SW followed by digits)."
        )


def check(session: Session, organisation_id: int, text: str, today: date) -> Report:
    """Check every row of `text` (a CSV) for the employer of `organisation_id`."""
    parsed: list[tuple[int, str, str, str]] = []  # line, as given, kind, number or problem
    for line, value, note in read_lines(text):
        if len(parsed) >= MAX_ROWS:
            raise FileRefused(
                f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files."
            )
        if value is None:
            parsed.append((line, "", "problem", note))
            continue
        kind, detail = classify(value)
        parsed.append((line, value, kind, detail))
    if not parsed:
        raise FileRefused(
            "The file has no numbers in it. Put one number on each row, in the first column."
        )
    tiers = known_tiers(session)
    certificates = _certificates(
        session, [detail for _, _, kind, detail in parsed if kind == "certificate"]
    )
    staff = (
        _staff_by_registration(session, organisation_id, today)
        if any(kind == "registration" for _, _, kind, _ in parsed)
        else {}
    )
    rows: list[Checked] = []
    for line, given, kind, detail in parsed:
        if kind == "problem":
            rows.append(Checked(line, given, kind, note=detail))
        elif kind == "certificate":
            rows.append(
                _certificate_row(line, given, certificates.get(detail), detail, tiers, today)
            )
        else:
            rows.extend(_registration_rows(line, given, detail, staff.get(detail, []), tiers))
    return Report(rows)


def _certificates(session: Session, numbers: list[str]) -> dict[str, Certificate]:
    unique = sorted(set(numbers))
    found: dict[str, Certificate] = {}
    for start in range(0, len(unique), _CHUNK):
        found.update(
            (c.number, c)
            for c in session.scalars(
                select(Certificate).where(Certificate.number.in_(unique[start : start + _CHUNK]))
            )
        )
    return found


def _staff_by_registration(
    session: Session, organisation_id: int, today: date
) -> dict[str, list[StaffRow]]:
    """Own staff only: a registration number is looked up among this organisation's
    endorsements, so another employer's staff read exactly like an unknown number."""
    grouped: dict[str, list[StaffRow]] = defaultdict(list)
    for row in staff_rows(session, organisation_id, today):
        grouped[row.registration_number].append(row)
    return grouped


def _certificate_row(
    line: int, given: str, certificate: Certificate | None, number: str, tiers, today: date
) -> Checked:
    if certificate is None:
        return Checked(
            line,
            given,
            "certificate",
            certificate_number=number,
            note="No certificate has this number.",
        )
    if not record_intact(certificate):
        # Its name, tier and dates may be the altered part: none of them is shown.
        return Checked(
            line,
            given,
            "certificate",
            status=certificate_status(certificate, today, intact=False),
            certificate_number=certificate.number,
            note=UNVERIFIABLE,
        )
    return Checked(
        line,
        given,
        "certificate",
        found=True,
        name=certificate.holder_name,
        tier=tier_title(tiers, certificate.tier),
        status=certificate_status(certificate, today),
        certificate_number=certificate.number,
    )


def _registration_rows(
    line: int, given: str, registration: str, rows: list[StaffRow], tiers
) -> list[Checked]:
    if not rows:
        return [
            Checked(
                line,
                given,
                "registration",
                note=f"{registration} is not one of your organisation's endorsed staff.",
            )
        ]
    return [
        Checked(
            line,
            given,
            "registration",
            found=True,
            name=row.candidate.name,
            tier=tier_title(tiers, row.endorsement.tier),
            status=row.status,
            certificate_number=row.certificate.number if row.certificate else "",
        )
        for row in sorted(rows, key=lambda r: (r.endorsement.created_at, r.endorsement.id))
    ]


CSV_HEADER = (
    "line",
    "as given",
    "kind",
    "found",
    "name",
    "tier",
    "status",
    "status detail",
    "date",
    "certificate number",
    "note",
)


def csv_rows(report: Report) -> Iterator[tuple]:
    for row in report.rows:
        yield (
            row.line,
            row.given,
            row.kind,
            "yes" if row.found else "no",
            row.name,
            row.tier,
            row.status.label if row.status else "",
            row.status.text if row.status else "",
            row.status.on.isoformat() if row.status and row.status.on else "",
            row.certificate_number,
            row.note,
        )
