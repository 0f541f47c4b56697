"""TLS to S3: the archive reaches a SeaweedFS serving HTTPS with a private CA (`s3.secure`,
`s3.ca_file`), and refuses a server its CA bundle does not vouch for."""

from __future__ import annotations

import hashlib
import io
import ipaddress
import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from archive.devstack.seaweed import SeaweedServer, Tls, find_free_s3_port
from archive.evidence.errors import ArchiveError
from archive.services import Archive
from archive.settings import Settings

BUCKET = "aidrec-tls-test"


def _cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name,
          issuer_key: ec.EllipticCurvePrivateKey, *, ca: bool) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(minutes=5))
               .not_valid_after(now + timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def make_tls(directory: Path) -> Tls:
    """A private CA and a server certificate for 127.0.0.1 issued by it."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(
        ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aidrec test S3 CA")])
    ca = _cert("aidrec test S3 CA", ca_key, ca_name, ca_key, ca=True)
    server = _cert("127.0.0.1", server_key, ca_name, ca_key, ca=False)
    paths = Tls(cert=directory / "s3.crt", key=directory / "s3.key", ca=directory / "ca.crt")
    paths.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    paths.key.chmod(0o600)
    return paths


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SeaweedServer, Tls,
                                                                        tuple[str, str]]]:
    root = tmp_path_factory.mktemp("tls")
    tls = make_tls(root / "tls")
    keys = (secrets.token_hex(8), secrets.token_hex(20))
    server = SeaweedServer(data_dir=root / "s3", s3_port=find_free_s3_port(),
                           access_key=keys[0], secret_key=keys[1], buckets=[BUCKET], tls=tls)
    server.start()
    try:
        yield server, tls, keys
    finally:
        server.stop()


def archive_on(server: SeaweedServer, keys: tuple[str, str], tmp_path: Path,
               ca_file: Path | None) -> Archive:
    settings = Settings(home=tmp_path, catalog_url=f"sqlite:///{tmp_path / 'c.db'}",
                        s3={"endpoint": server.endpoint, "access_key": keys[0],
                            "secret_key": keys[1], "bucket": BUCKET, "secure": True,
                            "ca_file": ca_file})
    return Archive.from_settings(settings)


def test_evidence_goes_to_s3_over_tls_with_the_configured_ca(
        tls_server: tuple[SeaweedServer, Tls, tuple[str, str]], tmp_path: Path) -> None:
    server, tls, keys = tls_server
    assert server.url.startswith("https://")
    archive = archive_on(server, keys, tmp_path, tls.ca)
    data = b"over TLS" * 100
    digest = hashlib.sha256(data).hexdigest()
    key = f"tests/tls/{uuid.uuid4().hex}.bin"
    stored = archive.store.put_locked(key, io.BytesIO(data), length=len(data), sha256_hex=digest,
                                      retain_until=datetime.now(UTC) + timedelta(days=1),
                                      content_type="application/octet-stream")
    assert archive.store.read_verified(key, version_id=stored.version_id,
                                       sha256_hex=digest) == data


def test_a_server_the_ca_bundle_does_not_vouch_for_is_refused(
        tls_server: tuple[SeaweedServer, Tls, tuple[str, str]], tmp_path: Path) -> None:
    server, _, keys = tls_server
    other = make_tls(tmp_path / "other")  # a CA that did not issue the server's certificate
    for ca_file in (other.ca, None):  # None: the system's CAs
        archive = archive_on(server, keys, tmp_path, ca_file)
        with pytest.raises(ArchiveError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
            archive.store.ensure_bucket()
