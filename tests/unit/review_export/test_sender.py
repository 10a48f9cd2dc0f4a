"""The sender connects to the checked address but speaks TLS to the URL's host name: a pinned
connection still verifies the certificate and its name (a real TLS server on 127.0.0.1)."""

import datetime
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core.egress import parse_destination
from worker.webhooks.sender import post

LOOPBACK = ipaddress.ip_address("127.0.0.1")


def self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path, list[str]]]:
    cert, key = self_signed(tmp_path, "hooks.test")
    hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["content-length"]))
            hosts.append(self.headers["host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], cert, hosts
    server.shutdown()
    server.server_close()


def test_a_pinned_https_request_verifies_the_url_host(
    tls_server: tuple[int, Path, list[str]],
) -> None:
    port, cert, hosts = tls_server
    good = parse_destination(f"https://hooks.test:{port}/in")
    outcome = post(good, [LOOPBACK], {}, b"{}", 5, ca_certs=str(cert))
    assert outcome.ok and outcome.status == 204
    assert hosts == [f"hooks.test:{port}"]
    untrusted = post(good, [LOOPBACK], {}, b"{}", 5)  # certifi does not know this CA
    assert (untrusted.error or "").startswith("TLS error") and "verify failed" in untrusted.error
    other = parse_destination(f"https://other.test:{port}/in")
    mismatch = post(other, [LOOPBACK], {}, b"{}", 5, ca_certs=str(cert))
    assert "doesn't match" in (mismatch.error or "")


def test_a_refused_connection_tries_the_next_address() -> None:
    destination = parse_destination("http://127.0.0.1:9/in")
    outcome = post(destination, [LOOPBACK, ipaddress.ip_address("::1")], {}, b"{}", 2)
    assert (outcome.error or "").startswith("could not connect") and "::1" in outcome.error
