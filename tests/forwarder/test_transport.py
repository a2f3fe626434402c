"""The forwarder's HTTP transport over TLS, as the Lambda talks to the endpoint: a large body is sent whole
(TLS 1.3 session tickets arriving mid-upload are not mistaken for an early answer), and an answer the server
sends before reading the body is read, not lost as "Broken pipe"."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.forwarder.stub import Reply, serve
from threatlake.forwarder.transport import TransportError, post

HEADERS = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def contexts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ssl.SSLContext, ssl.SSLContext]]:
    """(server context, client context trusting it): a self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder: Path = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    yield server, client


@pytest.mark.parametrize("megabytes", [1, 16])
def test_a_large_body_goes_whole_over_tls(
    contexts: tuple[ssl.SSLContext, ssl.SSLContext], megabytes: int
) -> None:
    server, client = contexts
    body = b'["' + os.urandom(megabytes * 512 * 1024).hex().encode() + b'"]'
    with serve(Reply(202, body=b""), tls=server) as stub:
        response = post(stub.url, body, HEADERS, timeout=30, tls=client)
    assert (response.status, response.early) == (202, False)
    assert stub.received[0].events is not None and len(stub.received[0].events[0]) == len(body) - 4


@pytest.mark.parametrize("megabytes", [1, 4, 16])
def test_an_early_401_is_read_over_tls(
    contexts: tuple[ssl.SSLContext, ssl.SSLContext], megabytes: int
) -> None:
    server, client = contexts
    body = os.urandom(megabytes * 1024 * 1024)
    message = b'{"error":{"code":401,"message":"Unknown or revoked token"}}'
    with serve(Reply(401, body=message, early=True), tls=server) as stub:
        response = post(stub.url, body, HEADERS, timeout=30, tls=client)
    assert response.status == 401 and response.body == message
    assert stub.received[0].events is None  # the server never read the body


def test_a_certificate_not_trusted_is_a_connection_error(
    contexts: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    server, _ = contexts
    with serve(tls=server) as stub, pytest.raises(TransportError, match="CERTIFICATE_VERIFY_FAILED"):
        post(stub.url, b"[]", HEADERS, timeout=10)  # the system's authorities do not know the test's
