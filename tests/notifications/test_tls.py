"""HTTPS deliveries: TLS to the checked address, with the certificate verified for the URL's host name."""

import datetime
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from meetings.notifications import transport

HOST = "hooks.example.test"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for HOST: (cert file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_receiver(certificate):
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append({"host": self.headers["Host"]})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    server.seen = seen
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def resolves_to_loopback(monkeypatch):
    import socket

    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == HOST:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_an_untrusted_certificate_is_a_tls_error(tls_receiver, resolves_to_loopback):
    port = tls_receiver.server_address[1]
    result = transport.post(f"https://{HOST}:{port}/hooks", b"{}", {}, allow_loopback=True)
    assert (result.status, result.error) == (None, "tls_error")
    assert tls_receiver.seen == []


def test_a_trusted_certificate_for_the_url_host_is_accepted(
    tls_receiver, resolves_to_loopback, certificate, monkeypatch
):
    context = ssl.create_default_context(cafile=str(certificate[0]))
    monkeypatch.setattr(transport, "_tls_context", lambda: context)
    port = tls_receiver.server_address[1]

    result = transport.post(f"https://{HOST}:{port}/hooks", b"{}", {}, allow_loopback=True)

    assert (result.status, result.error) == (204, None)
    assert tls_receiver.seen[0]["host"] == f"{HOST}:{port}"


def test_the_certificate_must_name_the_url_host(tls_receiver, certificate, monkeypatch):
    context = ssl.create_default_context(cafile=str(certificate[0]))
    monkeypatch.setattr(transport, "_tls_context", lambda: context)
    port = tls_receiver.server_address[1]
    result = transport.post(f"https://127.0.0.1:{port}/hooks", b"{}", {}, allow_loopback=True)
    assert (result.status, result.error) == (None, "tls_error")
