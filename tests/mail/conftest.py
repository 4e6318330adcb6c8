"""Real servers for email tests, on 127.0.0.1 and free ports: an SMTP server (aiosmtpd), with
STARTTLS under a self-signed certificate made here, and a stand-in for GOV.UK Notify's API."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
from email import message_from_bytes, policy

import jwt
import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ..certificates import conftest as certificate_fixtures

# A candidate whose pass is released and certified, with the bank it was sat on: the
# certificates tests' fixtures, bound here for the messages that follow from a release.
org = certificate_fixtures.org
employer = certificate_fixtures.employer
candidate = certificate_fixtures.candidate
loaded = certificate_fixtures.loaded
small_bank = certificate_fixtures.small_bank

REFUSED = "550 5.1.1 <{}>: Recipient address rejected: no such mailbox"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """Keeps what the server accepted; refuses any recipient whose address starts 'refuse'."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse"):
            return REFUSED.format(address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message, session.ssl is not None))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    mailbox.port = controller.port
    yield mailbox
    controller.stop()


@pytest.fixture
def self_signed(tmp_path):
    """A key and a certificate for 127.0.0.1, and a client context that trusts only it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "naas-test-smtp")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "smtp-cert.pem", tmp_path / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_path, key_path)
    client_context = ssl.create_default_context(cafile=str(cert_path))
    return server_context, client_context


@pytest.fixture
def starttls_server(self_signed):
    server_context, client_context = self_signed
    mailbox = Mailbox()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=server_context,
        require_starttls=True,
    )
    controller.start()
    mailbox.port, mailbox.client_context = controller.port, client_context
    yield mailbox
    controller.stop()


# -- a stand-in for GOV.UK Notify --------------------------------------------------------------
SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"naas_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"


class NotifyStandIn:
    """POST /v2/notifications/email as Notify answers it: the JWT in the Authorization header
    is checked (HS256, our service id as issuer, signed with the key's secret), the template
    must be ours, and an address on the 'invalid.example' domain is refused with 400. A
    status in `fail_with` is answered instead, to play an outage or a rate limit."""

    def __init__(self):
        self.received = []
        self.fail_with: int | None = None

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.method != "POST" or request.path != "/v2/notifications/email":
            return self._error(404, "Not found")(environ, start_response)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        try:
            assert scheme == "Bearer"
            claims = jwt.decode(token, SECRET, algorithms=["HS256"], issuer=SERVICE_ID)
            assert "iat" in claims
        except (AssertionError, jwt.PyJWTError):
            return self._error(403, "Invalid token", "AuthError")(environ, start_response)
        if self.fail_with:
            return self._error(self.fail_with, "Try again later")(environ, start_response)
        body = request.get_json()
        if body.get("template_id") != TEMPLATE_ID:
            return self._error(400, "Template not found")(environ, start_response)
        if body["email_address"].endswith("@invalid.example"):
            return self._error(400, "email_address Not a valid email address")(
                environ, start_response
            )
        self.received.append(body)
        reply = {"id": f"notify-{len(self.received)}", "reference": body.get("reference")}
        return Response(json.dumps(reply), status=201, mimetype="application/json")(
            environ, start_response
        )

    @staticmethod
    def _error(status: int, message: str, kind: str = "BadRequestError") -> Response:
        body = {"status_code": status, "errors": [{"error": kind, "message": message}]}
        return Response(json.dumps(body), status=status, mimetype="application/json")


@pytest.fixture
def notify_server():
    stand_in = NotifyStandIn()
    server = make_server("127.0.0.1", free_port(), stand_in, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stand_in.url = f"http://127.0.0.1:{server.server_port}"
    yield stand_in
    server.shutdown()
    thread.join(timeout=5)
