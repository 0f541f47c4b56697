"""Development PKI (root, intermediate, archive signer, TSA and CRLs) for the local stack."""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from archive.evidence.errors import ConfigurationError

TSA_POLICY_OID = "1.3.6.1.4.1.55555.1.1"
SIGNER_COMMON_NAME = "aidrec archive signer"

_ROOT_LIFETIME = timedelta(days=20 * 365 + 5)
_INTERMEDIATE_LIFETIME = timedelta(days=10 * 365 + 2)
_LEAF_LIFETIME = timedelta(days=5 * 365 + 1)
_CRL_LIFETIME = timedelta(days=30)
# Backdate notBefore so that a verifier whose clock runs slightly behind still accepts new certs.
_CLOCK_SKEW = timedelta(minutes=5)
# Named in each issued certificate so that verifiers consult the CRL snapshot they are given
# (pyHanko's soft-fail mode ignores cached CRLs for certificates without a distribution point).
# `.invalid` never resolves: nothing is ever fetched from there.
_CRL_URL = "http://aidrec-dev-pki.invalid/{issuer}.crl"
# Characters that OpenSSL's config parser would expand or cut ($var, comments, quoting).
_CONF_UNSAFE = frozenset('$#"\\\n\r')


@dataclass(frozen=True)
class DevPki:
    """Paths of one development PKI directory."""

    directory: Path
    root_cert: Path
    root_key: Path
    intermediate_cert: Path
    intermediate_key: Path
    signer_cert: Path
    signer_key: Path
    tsa_cert: Path
    tsa_key: Path
    chain: Path
    root_crl: Path
    intermediate_crl: Path
    root_crl_pem: Path
    intermediate_crl_pem: Path
    tsa_config: Path
    tsa_serial: Path

    @classmethod
    def at(cls, directory: Path) -> DevPki:
        """Name the files of a PKI kept in `directory` (nothing is read or written)."""
        d = directory.resolve()
        return cls(
            directory=d,
            root_cert=d / "root.pem",
            root_key=d / "root.key",
            intermediate_cert=d / "intermediate.pem",
            intermediate_key=d / "intermediate.key",
            signer_cert=d / "signer.pem",
            signer_key=d / "signer.key",
            tsa_cert=d / "tsa.pem",
            tsa_key=d / "tsa.key",
            chain=d / "chain.pem",
            root_crl=d / "root.crl.der",
            intermediate_crl=d / "intermediate.crl.der",
            root_crl_pem=d / "root.crl.pem",
            intermediate_crl_pem=d / "intermediate.crl.pem",
            tsa_config=d / "tsa.cnf",
            tsa_serial=d / "tsa.serial",
        )


@dataclass(frozen=True)
class _Identity:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


def ensure_dev_pki(directory: Path, *, now: datetime | None = None) -> DevPki:
    """Create the development PKI in `directory` where parts are missing; keep what exists."""
    return _ensure_pki(directory, now=now, label="aidrec dev")


def make_throwaway_pki(directory: Path, *, now: datetime | None = None) -> DevPki:
    """Create a second, unrelated PKI (own root) whose signer no archive trusts; for tests."""
    return _ensure_pki(directory, now=now, label="aidrec throwaway")


def refresh_crls(
    directory: Path, *, now: datetime | None = None, revoked: Sequence[x509.Certificate] = ()
) -> None:
    """Reissue both CRLs (next update in 30 days), adding `revoked` to their issuer's list."""
    pki = DevPki.at(directory)
    moment = _utc(now)
    with _locked(pki):
        root = _load_identity(pki.root_cert, pki.root_key)
        intermediate = _load_identity(pki.intermediate_cert, pki.intermediate_key)
        if root is None or intermediate is None:
            raise ConfigurationError(
                f"got no CA in {pki.directory}, expected one made by ensure_dev_pki",
                reason="pki_missing",
            )
        _write_crls(pki, root=root, intermediate=intermediate, now=moment, revoked=revoked)


def _ensure_pki(directory: Path, *, now: datetime | None, label: str) -> DevPki:
    directory.mkdir(parents=True, exist_ok=True)
    pki = DevPki.at(directory)
    _check_conf_safe(pki.directory)
    moment = _utc(now)
    with _locked(pki):
        # A regenerated issuer invalidates everything below it, so `fresh` flows down the chain.
        root, fresh = _ensure_identity(
            pki.root_cert,
            pki.root_key,
            issuer=None,
            force=False,
            make=lambda: _make_ca(f"{label} root CA", None, _ROOT_LIFETIME, None, moment),
        )
        intermediate, fresh = _ensure_identity(
            pki.intermediate_cert,
            pki.intermediate_key,
            issuer=root,
            force=fresh,
            make=lambda: _make_ca(
                f"{label} intermediate CA", root, _INTERMEDIATE_LIFETIME, 0, moment
            ),
        )
        _ensure_identity(
            pki.signer_cert,
            pki.signer_key,
            issuer=intermediate,
            force=fresh,
            make=lambda: _make_signer(intermediate, moment),
        )
        _ensure_identity(
            pki.tsa_cert,
            pki.tsa_key,
            issuer=intermediate,
            force=fresh,
            make=lambda: _make_tsa(f"{label} TSA", intermediate, moment),
        )
        if fresh or not pki.chain.exists():
            chain = [intermediate.cert, root.cert]
            _write_atomic(pki.chain, b"".join(_cert_pem(c) for c in chain))
        if fresh or _crls_due(pki, moment):
            _write_crls(pki, root=root, intermediate=intermediate, now=moment, revoked=())
        # Never reset: RFC 3161 serials must stay unique for the TSA name, even with a new key.
        if not pki.tsa_serial.exists():
            _write_atomic(pki.tsa_serial, b"01\n")
        conf = _tsa_conf(pki).encode()
        if not pki.tsa_config.exists() or pki.tsa_config.read_bytes() != conf:
            _write_atomic(pki.tsa_config, conf)
    return pki


def _crls_due(pki: DevPki, now: datetime) -> bool:
    # Verifiers refuse a CRL past its nextUpdate: reissue once half its lifetime has passed,
    # so that a stack started at least every two weeks never serves a stale one.
    for path in (pki.root_crl, pki.intermediate_crl):
        crl = _load_crl(path)
        if crl is None or crl.next_update_utc is None:
            return True
        if crl.next_update_utc - now < _CRL_LIFETIME / 2:
            return True
    return False


def _utc(now: datetime | None) -> datetime:
    moment = now if now is not None else datetime.now(UTC)
    if moment.tzinfo is None:
        raise ConfigurationError(f"got naive time {moment}, expected an aware one", reason="naive")
    return moment.astimezone(UTC)


def _check_conf_safe(directory: Path) -> None:
    # tsa.cnf names files by absolute path; OpenSSL would expand or truncate these characters.
    bad = sorted(_CONF_UNSAFE.intersection(str(directory)))
    if bad:
        raise ConfigurationError(
            f"got PKI directory {str(directory)!r} containing {bad}, expected a plain path",
            reason="pki_path",
        )


@contextmanager
def _locked(pki: DevPki) -> Iterator[None]:
    # Stack start and the TSA process may both call ensure_dev_pki: one must not see half a PKI.
    fd = os.open(pki.directory / ".pki.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _ensure_identity(
    cert_path: Path,
    key_path: Path,
    *,
    issuer: _Identity | None,
    force: bool,
    make: Callable[[], _Identity],
) -> tuple[_Identity, bool]:
    existing = None if force else _load_identity(cert_path, key_path)
    if existing is not None:
        _check_issued_by(existing, issuer, cert_path)
        return existing, False
    made = make()
    # Key first: a cert on disk without its key would be loaded as "present" next time.
    _write_atomic(key_path, _key_pem(made.key), mode=0o600)
    _write_atomic(cert_path, _cert_pem(made.cert))
    return made, True


def _load_identity(cert_path: Path, key_path: Path) -> _Identity | None:
    if not (cert_path.exists() and key_path.exists()):
        return None
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ConfigurationError(
            f"got {type(key).__name__} in {key_path}, expected an EC private key",
            reason="pki_key_type",
        )
    if key.public_key() != cert.public_key():
        raise ConfigurationError(
            f"got {key_path.name} not matching {cert_path.name}, expected a key pair",
            reason="pki_inconsistent",
        )
    return _Identity(key=key, cert=cert)


def _check_issued_by(child: _Identity, issuer: _Identity | None, cert_path: Path) -> None:
    if issuer is None:
        return
    try:
        child.cert.verify_directly_issued_by(issuer.cert)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise ConfigurationError(
            f"got {cert_path.name} issued by {child.cert.issuer.rfc4514_string()}, "
            f"expected one issued by {issuer.cert.subject.rfc4514_string()}",
            reason="pki_inconsistent",
        ) from exc


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "aidrec development"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _make_ca(
    common_name: str,
    issuer: _Identity | None,
    lifetime: timedelta,
    path_length: int | None,
    now: datetime,
) -> _Identity:
    key = ec.generate_private_key(ec.SECP256R1())
    usage = _key_usage(ca=True)
    extensions: list[tuple[x509.ExtensionType, bool]] = [
        (x509.BasicConstraints(ca=True, path_length=path_length), True),
        (usage, True),
    ]
    cert = _issue(_name(common_name), key, issuer, lifetime, extensions, now)
    return _Identity(key=key, cert=cert)


def _make_signer(issuer: _Identity, now: datetime) -> _Identity:
    key = ec.generate_private_key(ec.SECP256R1())
    usage = _key_usage(ca=False)
    extensions: list[tuple[x509.ExtensionType, bool]] = [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (usage, True),
    ]
    cert = _issue(_name(SIGNER_COMMON_NAME), key, issuer, _LEAF_LIFETIME, extensions, now)
    return _Identity(key=key, cert=cert)


def _make_tsa(common_name: str, issuer: _Identity, now: datetime) -> _Identity:
    key = ec.generate_private_key(ec.SECP256R1())
    usage = _key_usage(ca=False)
    # RFC 3161 2.3: the TSA certificate carries exactly timeStamping, marked critical.
    eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING])
    extensions: list[tuple[x509.ExtensionType, bool]] = [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (usage, True),
        (eku, True),
    ]
    cert = _issue(_name(common_name), key, issuer, _LEAF_LIFETIME, extensions, now)
    return _Identity(key=key, cert=cert)


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    # Leaves: digitalSignature + nonRepudiation (content_commitment), which pyHanko's CMS
    # validation requires of a signer. CAs: certificate and CRL signing only.
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _issue(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: _Identity | None,
    lifetime: timedelta,
    extensions: list[tuple[x509.ExtensionType, bool]],
    now: datetime,
) -> x509.Certificate:
    signing_key = key if issuer is None else issuer.key
    issuer_name = subject if issuer is None else issuer.cert.subject
    not_after = now + lifetime
    if issuer is not None:
        # A child must not outlive its issuer, or path validation fails near the end.
        not_after = min(not_after, issuer.cert.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), False
        )
    )
    if issuer is not None:
        builder = builder.add_extension(_crl_distribution_point(issuer), False)
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical)
    return builder.sign(signing_key, hashes.SHA256())


def _crl_distribution_point(issuer: _Identity) -> x509.CRLDistributionPoints:
    is_root = issuer.cert.issuer == issuer.cert.subject
    url = _CRL_URL.format(issuer="root" if is_root else "intermediate")
    point = x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(url)],
        relative_name=None,
        reasons=None,
        crl_issuer=None,
    )
    return x509.CRLDistributionPoints([point])


def _write_crls(
    pki: DevPki,
    *,
    root: _Identity,
    intermediate: _Identity,
    now: datetime,
    revoked: Sequence[x509.Certificate],
) -> None:
    for ca, der_path, pem_path in (
        (root, pki.root_crl, pki.root_crl_pem),
        (intermediate, pki.intermediate_crl, pki.intermediate_crl_pem),
    ):
        mine = [c for c in revoked if c.issuer == ca.cert.subject]
        crl = _make_crl(ca, previous=_load_crl(der_path), revoked=mine, now=now)
        _write_atomic(der_path, crl.public_bytes(serialization.Encoding.DER))
        _write_atomic(pem_path, crl.public_bytes(serialization.Encoding.PEM))


def _load_crl(path: Path) -> x509.CertificateRevocationList | None:
    return x509.load_der_x509_crl(path.read_bytes()) if path.exists() else None


def _make_crl(
    ca: _Identity,
    *,
    previous: x509.CertificateRevocationList | None,
    revoked: Sequence[x509.Certificate],
    now: datetime,
) -> x509.CertificateRevocationList:
    number = 1
    entries: dict[int, datetime] = {}
    # A previous CRL of another CA key (regenerated root) says nothing about this one.
    if previous is not None and previous.is_signature_valid(ca.key.public_key()):
        number = previous.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number + 1
        # Revocation is permanent: carry every earlier entry into the new list.
        entries = {r.serial_number: r.revocation_date_utc for r in previous}
    for cert in revoked:
        entries.setdefault(cert.serial_number, now)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(now - _CLOCK_SKEW)
        .next_update(now + _CRL_LIFETIME)
        .add_extension(x509.CRLNumber(number), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), False
        )
    )
    for serial, when in sorted(entries.items()):
        entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(ca.key, hashes.SHA256())


def _tsa_conf(pki: DevPki) -> str:
    return f"""\
# Written by archive.devstack.pki: OpenSSL's TSA (openssl ts -reply) for the local stack.
[ tsa ]
default_tsa = aidrec_tsa

[ aidrec_tsa ]
serial = {pki.tsa_serial}
crypto_device = builtin
signer_cert = {pki.tsa_cert}
certs = {pki.chain}
signer_key = {pki.tsa_key}
signer_digest = sha256
default_policy = {TSA_POLICY_OID}
digests = sha256, sha384, sha512
accuracy = secs:1
clock_precision_digits = 0
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    # Temp file in the same directory + rename: readers never see a half-written key or cert.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
