"""A certificate's PDF is rendered once and kept: downloads send the kept bytes; a revocation
(which the PDF shows) makes the next one render again; with workers, a job renders it at issue."""

from __future__ import annotations

import io

import pypdf
import pytest
from sqlalchemy import select

from naas.certificates import render, services
from naas.models import CertificatePdf, Job

from .conftest import START


@pytest.fixture
def renders(monkeypatch):
    """Count real renders."""
    calls = []
    real = render.certificate_pdf

    def counting(accreditation):
        calls.append(accreditation.number)
        return real(accreditation)

    monkeypatch.setattr(render, "certificate_pdf", counting)
    return calls


def _text(body: bytes) -> str:
    return pypdf.PdfReader(io.BytesIO(body)).pages[0].extract_text()


def test_the_pdf_is_rendered_once_and_then_sent_from_store(
    signed_in_as, candidate, admin, session, certificate, renders
):
    holder = signed_in_as(candidate)
    first = holder.get(f"/certificates/{certificate.number}.pdf")
    second = signed_in_as(admin).get(f"/certificates/{certificate.number}.pdf")
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and renders == [certificate.number]
    session.expire_all()
    kept = session.get(CertificatePdf, certificate.id)
    assert kept.pdf == first.data and kept.shows_revoked is False


def test_after_a_revocation_the_next_download_shows_it(
    signed_in_as, admin, session, certificate, renders
):
    client = signed_in_as(admin)
    before = client.get(f"/certificates/{certificate.number}.pdf").data
    services.revoke(session, certificate, "Issued in error", admin.id, START)
    session.commit()
    after = client.get(f"/certificates/{certificate.number}.pdf").data
    assert "REVOKED" not in _text(before) and "REVOKED" in _text(after)
    assert len(renders) == 2
    assert client.get(f"/certificates/{certificate.number}.pdf").data == after
    assert len(renders) == 2


def test_with_workers_a_job_renders_it_at_issue_and_again_at_revocation(
    app, session, certificate, admin, renders
):
    app.config["NAAS_BROKER_URL"] = "amqp://guest:guest@127.0.0.1:1//"  # nothing answers
    with app.app_context():
        services._render_later(session, certificate)
        services.revoke(session, certificate, "Issued in error", admin.id, START)
        session.commit()
    jobs = session.scalars(select(Job).where(Job.kind == "render_certificate")).all()
    assert [job.dedupe_key for job in jobs] == [
        f"render_certificate:{certificate.id}:issued",
        f"render_certificate:{certificate.id}:revoked",
    ]
    assert all(job.state == "pending" for job in jobs)  # the queue was down: kept for the sweep
    assert renders == []  # nothing rendered in the request
