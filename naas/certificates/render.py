"""The PDF certificate, rendered with WeasyPrint from plain values.

Nothing is fetched while rendering: fonts and the emblem ship in assets/, the QR code is
made in memory, and the URL fetcher refuses every other address (http, file paths outside
assets/, data: URLs), failing the render rather than leaving something out silently.
The stylesheet and its fonts are parsed once per thread and reused: that is most of the
cost of a first render.
"""

from __future__ import annotations

import io
import mimetypes
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import segno
from flask import render_template
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .accreditation import Accreditation

ASSETS = Path(__file__).resolve().parent / "assets"
STYLESHEET = ASSETS / "certificate.css"
QR_SCALE = 8  # pixels per module: crisp when printed at the size the stylesheet gives it


class RefusedURL(ValueError):
    """The certificate asked for something that is not one of its packaged assets."""


class AssetFetcher(URLFetcher):
    """Serves files under assets/ and images made for this render (memory:NAME); refuses the rest."""

    def __init__(self, memory: dict[str, bytes] | None = None):
        super().__init__(fail_on_errors=True, allow_redirects=False)
        self.memory = memory or {}

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme == "memory" and parts.path in self.memory:
            return URLFetcherResponse(url, self.memory[parts.path], {"Content-Type": "image/png"})
        if parts.scheme == "file" and not parts.netloc:
            path = Path(unquote(parts.path)).resolve()
            if path.is_relative_to(ASSETS) and path.is_file():
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
        raise RefusedURL(f"certificates use only their packaged assets; refused {url[:80]}")


class _Renderer(threading.local):
    """Per thread: WeasyPrint's font configuration and the parsed stylesheet."""

    def __init__(self):
        self.fonts = FontConfiguration()
        self.fetcher = AssetFetcher()
        self.stylesheet = CSS(
            filename=str(STYLESHEET), font_config=self.fonts, url_fetcher=self.fetcher
        )


_renderer: _Renderer | None = None


def renderer() -> _Renderer:
    global _renderer
    if _renderer is None:
        _renderer = _Renderer()
    return _renderer


SLOW_SUBSETTER = (
    "HarfBuzz's font subsetter is not installed (Debian: apt-get install libharfbuzz-subset0), "
    "so WeasyPrint subsets certificate fonts with fontTools instead: each certificate then takes "
    "about a second to render instead of about a tenth (docs/performance.md)."
)


def font_subsetter() -> str:
    """Which library WeasyPrint will subset the certificate's fonts with: "harfbuzz", or
    "fonttools", its pure-Python fallback, which costs several times the rest of a render."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    # WeasyPrint's own test before it uses HarfBuzz (weasyprint/pdf/fonts.py, Font.subset).
    return "harfbuzz" if harfbuzz_subset and harfbuzz.hb_version_atleast(4, 1, 0) else "fonttools"


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=QR_SCALE, border=0)
    return buffer.getvalue()


def render_pdf(html: str, images: dict[str, bytes] | None = None) -> bytes:
    """Any certificate-styled HTML to PDF, with the shared stylesheet and the strict fetcher."""
    state = renderer()
    document = HTML(string=html, base_url=ASSETS.as_uri() + "/", url_fetcher=AssetFetcher(images))
    return document.write_pdf(stylesheets=[state.stylesheet], font_config=state.fonts)


def certificate_pdf(accreditation: Accreditation) -> bytes:
    html = render_template("certificates/certificate.html", a=accreditation)
    return render_pdf(html, {"qr.png": qr_png(accreditation.verify_url)})


def blank_pdf() -> bytes:
    """A blank page through the same setup: the baseline the benchmark compares against."""
    return render_pdf("<!doctype html><html lang='en-GB'><title>blank</title><body></body></html>")
