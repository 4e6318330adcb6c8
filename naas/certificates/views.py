"""Verifying a certificate (anyone), downloading it (its holder, their employer, admins),
the published public key, and revoking (admins)."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from naas import db, ratelimit
from naas.auth import roles_required
from naas.auth.decorators import public
from naas.clock import now as clock_now
from naas.models import Certificate
from naas.pagination import BadPageKey, Keyset, paginate

from . import services
from .credentials import credential_jwt
from .forms import NumberForm, RevokeForm
from .services import CertificateRefused, Lookup, uk_date
from .status import status_of

bp = Blueprint("certificates", __name__)
admin_bp = Blueprint("certificates_admin", __name__, url_prefix="/admin/certificates")

MALFORMED = (
    "That is not a certificate number. Certificate numbers look like NAAS-XXXX-XXXX-XXXXX-X: "
    "the letters NAAS, 13 letters and digits, then a check character: a letter, a digit, "
    "or one of * ~ $ =."
)
TYPO = (
    "That number has a typing mistake: its last character, a check, does not match the rest. "
    "Check each character against the certificate and try again."
)
UNKNOWN = "No certificate has this number."
DAMAGED = (
    "The record of this certificate failed its integrity check, so it cannot be confirmed. "
    "Do not rely on it; the service team has been told."
)
DAMAGED_DOWNLOAD = (
    "The record of this certificate failed its integrity check, so no certificate or credential "
    "can be made from it. The service team has been told; ask them about it."
)
STATUS_CODES = {"malformed": 400, "typo": 422, "unknown": 404}


# One allowance per client shared by the page, the form and the API: alternating between
# them buys nothing. The lean limit of naas/ratelimit.py: these are the busiest public routes.
verify_limit = ratelimit.per_client("NAAS_VERIFY_LIMIT", scope="certificate-checks")


def today() -> date:
    return uk_date(clock_now())


# -- verification, for anyone --------------------------------------------------------------
@bp.route("/verify")
@verify_limit
@public
def verify_form():
    form = NumberForm(request.args)
    if "number" not in request.args:
        return render_template("certificates/verify_form.html", form=form)
    if form.validate():
        with db.reading() as connection:
            found = services.look_up(connection, form.number.data or "")
        if found.outcome in ("found", "unknown"):
            return redirect(url_for("certificates.verify", number=found.number))
        problem = MALFORMED if found.outcome == "malformed" else TYPO
        form.number.errors = [*form.number.errors, problem]
        return render_template("certificates/verify_form.html", form=form), STATUS_CODES[
            found.outcome
        ]
    return render_template("certificates/verify_form.html", form=form), 400


@bp.route("/verify/<number>")
@verify_limit
@public
def verify(number: str):
    with db.reading() as connection:
        found = services.look_up(connection, number)
    if found.outcome == "found" and number != found.number:
        return redirect(url_for("certificates.verify", number=found.number), 301)
    if found.outcome != "found":
        message = {"malformed": MALFORMED, "typo": TYPO, "unknown": UNKNOWN}[found.outcome]
        return render_template(
            "certificates/verify.html", found=found, message=message
        ), STATUS_CODES[found.outcome]
    if not found.intact:
        return render_template("certificates/verify.html", found=found, message=DAMAGED), 500
    return render_template(
        "certificates/verify.html", found=found, status=found.status(today()), today=today()
    )


@bp.route("/api/v1/certificates/<number>")
@verify_limit
@public
def api(number: str):
    with db.reading() as connection:
        found = services.look_up(connection, number)
    if found.outcome != "found":
        message = {"malformed": MALFORMED, "typo": TYPO, "unknown": UNKNOWN}[found.outcome]
        response = jsonify(
            error=found.outcome if found.outcome != "unknown" else "not_found", message=message
        )
        response.status_code = STATUS_CODES[found.outcome]
    elif not found.intact:
        response = jsonify(error="integrity", message=DAMAGED)
        response.status_code = 500
    else:
        response = jsonify(_api_body(found))
    response.headers["Access-Control-Allow-Origin"] = (
        "*"  # public facts: any site may check a number
    )
    return response


def _api_body(found: Lookup) -> dict:
    certificate = found.certificate
    body = {
        "number": certificate.number,
        "holder_name": certificate.holder_name,
        "registration_number": certificate.registration_number,
        "tier": certificate.tier,
        "tier_title": found.tier_title,
        "status": found.status(today()),
        "issued_on": certificate.issued_on.isoformat(),
        "expires_on": certificate.expires_on.isoformat(),
    }
    if certificate.revoked_at is not None:
        body["revoked_on"] = uk_date(certificate.revoked_at).isoformat()
        body["revocation_reason"] = certificate.revoked_reason
    return body


@bp.route("/.well-known/naas-signing-key.pem")
@public
def public_key_pem():
    return Response(services.signing_key().public.pem(), mimetype="application/x-pem-file")


@bp.route("/.well-known/jwks.json")
@public
def jwks():
    return jsonify(keys=[key.jwk() for key in services.trusted_keys().values()])


# -- downloads, for the holder, their employer and admins ---------------------------------------
def _downloadable(number: str) -> Certificate:
    """The certificate if this user may have it; 404 otherwise, whether or not it exists."""
    certificate = services.find(db.session, number)
    if certificate is None or not services.may_download(db.session, current_user, certificate):
        abort(404)
    return certificate


def _damaged():
    """A row whose signed record does not hold gets neither a PDF nor a credential: either would
    put the issuer's name (and, for a credential, its signature) on facts it never signed."""
    return render_template(
        "error.html",
        status=500,
        title="This certificate cannot be confirmed",
        message=DAMAGED_DOWNLOAD,
    ), 500


@bp.route("/certificates/<number>.pdf")
@roles_required("candidate", "employer", "admin")
def pdf(number: str):
    certificate = _downloadable(number)
    if not services.record_intact(certificate):
        return _damaged()
    body = services.stored_pdf(db.session, certificate)
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{certificate.number}.pdf"'},
    )


@bp.route("/certificates/<number>/credential.jwt")
@roles_required("candidate", "employer", "admin")
def credential(number: str):
    certificate = _downloadable(number)
    if certificate.revoked_at is not None:
        # A credential is checked offline: a revoked one must never be signed afresh.
        return render_template(
            "error.html",
            status=410,
            title="Certificate revoked",
            message="This certificate has been revoked, so no credential can be downloaded for it.",
        ), 410
    if not services.record_intact(certificate):
        return _damaged()
    token = credential_jwt(
        services.accreditation_of(db.session, certificate), services.signing_key()
    )
    return Response(
        token,
        mimetype="application/jwt",
        headers={"Content-Disposition": f'attachment; filename="{certificate.number}.jwt"'},
    )


# -- revocation, for admins ---------------------------------------------------------------------
REVOKED_ORDER = Keyset(
    Certificate.revoked_at, Certificate.id, descending=True, per_page=20, name="revoked"
)
ISSUED_ORDER = Keyset(Certificate.id, Certificate.id, descending=True, name="issued")


@admin_bp.route("/")
@roles_required("admin")
def index():
    form = NumberForm(request.args)
    if "number" in request.args and form.validate():
        found = services.look_up(db.session, form.number.data or "")
        if found.outcome == "found":
            return redirect(url_for("certificates_admin.detail", number=found.number))
        problem = {"malformed": MALFORMED, "typo": TYPO, "unknown": UNKNOWN}[found.outcome]
        form.number.errors = [*form.number.errors, problem]
    try:
        revoked = paginate(
            db.session,
            select(Certificate).where(Certificate.revoked_at.is_not(None)),
            REVOKED_ORDER,
            request.args,
        )
        issued = paginate(db.session, select(Certificate), ISSUED_ORDER, request.args)
    except BadPageKey:
        abort(400, "That page link is not valid: go back to the first page of certificates.")
    status = 200 if not form.errors else 422
    return render_template(
        "certificates/admin.html", form=form, revoked=revoked, issued=issued, today=today()
    ), status


@admin_bp.route("/<number>", methods=["GET", "POST"])
@roles_required("admin")
def detail(number: str):
    certificate = services.find(db.session, number)
    if certificate is None:
        abort(404)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            services.revoke(
                db.session, certificate, form.reason.data or "", current_user.id, clock_now()
            )
        except CertificateRefused as exc:
            form.reason.errors = [*form.reason.errors, exc.message]
        else:
            flash(
                f"Certificate {certificate.number} is revoked. Verification shows it from now on.",
                "info",
            )
            return redirect(url_for("certificates_admin.detail", number=certificate.number))
    accreditation = services.accreditation_of(db.session, certificate)
    status = 200 if not form.errors else 422
    return render_template(
        "certificates/admin_detail.html",
        certificate=certificate,
        a=accreditation,
        form=form,
        status=status_of(certificate, today()),
        today=today(),
        intact=services.record_intact(certificate),
    ), status
