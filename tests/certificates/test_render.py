"""The PDF certificate: what it says, its QR code, its page, and that it fetches nothing."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import replace
from datetime import date

import pypdf
import pytest
import zxingcpp
from PIL import Image, ImageOps
from weasyprint.urls import FatalURLFetchingError

from naas import create_app
from naas.certificates import render
from naas.certificates.render import certificate_pdf, render_pdf

from ..conftest import need_service
from .test_signing import FACTS

AREAS = (
    ("P1", "Relationships and effective direct work"),
    ("P2", "Communication"),
    ("P10", "Organisational context"),
)
ACCREDITATION = replace(FACTS, areas=AREAS)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """Rendering needs the templates, not a database."""
    folder = tmp_path_factory.mktemp("render")
    return create_app(
        {
            "NAAS_ENV": "testing",
            "SECRET_KEY": "t" * 40,
            "NAAS_DATABASE_URL": f"sqlite:///{folder}/unused.sqlite3",
        }
    )


@pytest.fixture(scope="module")
def pdf_bytes(app):
    with app.test_request_context():
        return certificate_pdf(ACCREDITATION)


@pytest.fixture(scope="module")
def pdf(pdf_bytes):
    return pypdf.PdfReader(io.BytesIO(pdf_bytes))


def text_of(reader) -> str:
    return " ".join(reader.pages[0].extract_text().split())


def test_it_is_one_a4_landscape_page(pdf):
    assert len(pdf.pages) == 1
    box = pdf.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)


def test_it_names_the_holder_their_registration_the_tier_and_what_it_certifies(pdf):
    text = text_of(pdf)
    assert "Amara Okafor" in text and "SW424242" in text
    assert "Approved child and family practitioner" in text
    assert "Knowledge and Skills Statement" in text
    assert (
        "P1 Relationships and effective direct work" in text
        and "P10 Organisational context" in text
    )


def test_it_states_the_dates_the_number_and_the_issuer(pdf):
    text = text_of(pdf)
    assert (
        "Issued 12 March 2026".upper() in text.upper()
        and "Expires 12 March 2029".upper() in text.upper()
    )
    assert "NAAS-7K2M-Q9XD-4HT8B-E" in text
    assert "National Assessment and Accreditation System" in text
    assert "https://naas.example.org/verify/" in text


def scanned(image) -> list[str]:
    """What a QR reader makes of an image (zxing-cpp, the decoder behind many phone scanners)."""
    return [
        code.text for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    ]


def test_the_qr_code_on_the_printed_page_scans_as_the_verification_url(pdf_bytes, tmp_path):
    """The page as a reader sees it: rendered to pixels by poppler, then decoded."""
    if shutil.which("pdftoppm") is None:
        need_service("pdftoppm", "poppler-utils is not installed (.ci/test installs it)")
    (tmp_path / "certificate.pdf").write_bytes(pdf_bytes)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-png",
            "-singlefile",
            str(tmp_path / "certificate.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
        timeout=60,
    )
    assert scanned(Image.open(tmp_path / "page.png")) == [FACTS.verify_url]


def test_the_embedded_qr_image_decodes_to_the_verification_url(pdf):
    [image] = pdf.pages[0].images
    quiet = ImageOps.expand(
        image.image.convert("L"), border=4 * render.QR_SCALE, fill=255
    )  # the page's margin
    assert scanned(quiet) == [FACTS.verify_url]


def test_a_revoked_certificate_is_stamped_revoked_with_its_reason(app):
    revoked = replace(ACCREDITATION, revoked_on=date(2026, 5, 1), revoked_reason="Issued in error.")
    with app.test_request_context():
        text = text_of(pypdf.PdfReader(io.BytesIO(certificate_pdf(revoked))))
    assert "REVOKED" in text and "Revoked on 1 May 2026: Issued in error." in text


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/tracker.png",
        "https://example.org/font.ttf",
        "file:///etc/passwd",
        "data:image/png;base64,iVBORw0KGgo=",
        "../../../../etc/hostname",
    ],
)
def test_rendering_refuses_anything_but_its_packaged_assets(url):
    with pytest.raises(FatalURLFetchingError):
        render_pdf(f'<img src="{url}" alt="">')


def test_the_packaged_assets_are_served_to_the_renderer():
    response = render.AssetFetcher().fetch((render.ASSETS / "emblem.svg").as_uri())
    assert response.read().startswith(b"<svg")


def test_a_name_with_markup_is_printed_as_text(app):
    odd = replace(ACCREDITATION, holder_name='Zoë <img src="http://x/y"> O\'Brien-Ng')
    with app.test_request_context():
        text = text_of(pypdf.PdfReader(io.BytesIO(certificate_pdf(odd))))
    assert 'Zoë <img src="http://x/y"> O\'Brien-Ng' in text


def test_fonts_are_subset_by_harfbuzz_where_the_test_command_installed_it():
    """Without HarfBuzz's subsetter WeasyPrint falls back to fontTools and a certificate takes
    about a second: .ci/test installs libharfbuzz-subset0, so here it must be in use."""
    if render.font_subsetter() != "harfbuzz":
        need_service(
            "HarfBuzz's font subsetter",
            "libharfbuzz-subset0 is not installed (.ci/test installs it)",
        )
    assert render.font_subsetter() == "harfbuzz"


def test_without_harfbuzz_the_server_commands_warn_that_certificates_will_be_slow(
    monkeypatch, capsys
):
    from weasyprint.text import ffi

    from naas.cli import warn_if_certificates_render_slowly

    monkeypatch.setattr(ffi, "harfbuzz_subset", None)
    assert render.font_subsetter() == "fonttools"
    warn_if_certificates_render_slowly()
    warning = capsys.readouterr().err
    assert warning.startswith("Warning: HarfBuzz's font subsetter is not installed")
    assert "apt-get install libharfbuzz-subset0" in warning


def test_with_harfbuzz_the_server_commands_say_nothing_of_it(monkeypatch, capsys):
    from naas.cli import warn_if_certificates_render_slowly

    monkeypatch.setattr(render, "font_subsetter", lambda: "harfbuzz")
    warn_if_certificates_render_slowly()
    assert capsys.readouterr().err == ""
