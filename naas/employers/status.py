"""Where a member of staff stands on an endorsement: one function decides, from the rows.

Nothing here reads the database or the clock: the caller loads the endorsement's latest
sitting, its result and certificate, and says what day it is. Days are days in England, as
certificates date them (`uk_date`), so a date here never disagrees with the certificate's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from naas.certificates.services import uk_date
from naas.certificates.status import expiring_soon, status_of
from naas.models import Certificate, Result, Sitting

# In the order a member of staff passes through them; the dashboard lists and sorts them so.
STATUSES = (
    "endorsed",
    "in_progress",
    "awaiting_marking",
    "awaiting_release",
    "passed",
    "not_passed",
    "expiring_soon",
    "expired",
    "revoked",
    "unverifiable",
)
LABELS = {
    "endorsed": "Endorsed",
    "in_progress": "In progress",
    "awaiting_marking": "Awaiting marking",
    "awaiting_release": "Awaiting release",
    "passed": "Passed",
    "not_passed": "Not passed",
    "expiring_soon": "Expiring soon",
    "expired": "Expired",
    "revoked": "Revoked",
    # The certificate row no longer matches its signed record: changed without the key.
    "unverifiable": "Cannot be verified — contact the issuer",
}
# What the date of each status means, as the dashboard words it.
DATE_MEANS = {
    "passed": "accredited until",
    "expiring_soon": "accredited until",
    "not_passed": "resit from",
    "expired": "expired on",
    "revoked": "revoked on",
}


@dataclass(frozen=True)
class StaffStatus:
    code: str
    on: date | None = None  # the date the status carries (see DATE_MEANS)

    @property
    def label(self) -> str:
        return LABELS[self.code]

    @property
    def detail(self) -> str:
        """What the date means, with the date: 'accredited until 1 March 2029' (or '')."""
        if self.on is not None:
            return f"{DATE_MEANS[self.code]} {self.on.day} {self.on:%B %Y}"
        return "certificate not yet issued" if self.code == "passed" else ""

    @property
    def text(self) -> str:
        """The status as one phrase: 'Passed (accredited until 1 March 2029)'."""
        return f"{self.label} ({self.detail})" if self.detail else self.label

    @property
    def rank(self) -> int:
        return STATUSES.index(self.code)


def certificate_status(certificate: Certificate, today: date, intact: bool = True) -> StaffStatus:
    """A certificate's standing as the employer reads it: valid, expiring soon, expired or revoked;
    or, when its row does not match its signed record (`intact` false), that it cannot be
    verified, whatever its dates say (they may be the altered part)."""
    if not intact:
        return StaffStatus("unverifiable")
    state = status_of(certificate, today)
    if certificate.revoked_at is not None:  # state "revoked"
        return StaffStatus("revoked", uk_date(certificate.revoked_at))
    if state == "expired":
        return StaffStatus("expired", certificate.expires_on)
    if expiring_soon(certificate, today):
        return StaffStatus("expiring_soon", certificate.expires_on)
    return StaffStatus("passed", certificate.expires_on)


def staff_status(
    sitting: Sitting | None,
    result: Result | None,
    certificate: Certificate | None,
    resit_wait_days: int | None,
    today: date,
    certificate_intact: bool = True,
) -> StaffStatus:
    """The status of one endorsement from its latest sitting, that sitting's result and the
    certificate the result earned. `resit_wait_days` is the tier's wait after a fail, as
    the sitting's own tier version set it (the same rule the candidate's start page applies)."""
    if sitting is None:
        return StaffStatus("endorsed")
    if sitting.status == "in_progress":
        return StaffStatus("in_progress")
    if result is None or result.status != "final":
        return StaffStatus("awaiting_marking")
    if result.released_at is None:
        return StaffStatus("awaiting_release")
    if not result.passed:
        ended = sitting.submitted_at or sitting.deadline
        return StaffStatus("not_passed", uk_date(ended + timedelta(days=resit_wait_days or 0)))
    if certificate is None:
        return StaffStatus("passed")
    return certificate_status(certificate, today, certificate_intact)
