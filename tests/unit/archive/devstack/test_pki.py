"""Development PKI: files, idempotence, certificate profiles and CRLs."""

from __future__ import annotations

import shutil
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from archive.devstack.pki import (
    SIGNER_COMMON_NAME,
    TSA_POLICY_OID,
    DevPki,
    ensure_dev_pki,
    make_throwaway_pki,
    refresh_crls,
)
from archive.evidence.errors import ConfigurationError

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
KEYS = ("root.key", "intermediate.key", "signer.key", "tsa.key")
CERTS = ("root.pem", "intermediate.pem", "signer.pem", "tsa.pem")


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _crl(path: Path) -> x509.CertificateRevocationList:
    return x509.load_der_x509_crl(path.read_bytes())


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def _crl_number(crl: x509.CertificateRevocationList) -> int:
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


@pytest.fixture
def pki(tmp_path: Path) -> DevPki:
    return ensure_dev_pki(tmp_path / "pki", now=NOW)


def test_creates_every_file_with_private_keys_readable_by_owner_only(pki: DevPki) -> None:
    names = {p.name for p in pki.directory.iterdir()}
    expected = {
        *KEYS,
        *CERTS,
        "chain.pem",
        "root.crl.der",
        "intermediate.crl.der",
        "root.crl.pem",
        "intermediate.crl.pem",
        "tsa.cnf",
        "tsa.serial",
    }
    assert expected <= names
    for name in KEYS:
        assert stat.S_IMODE((pki.directory / name).stat().st_mode) == 0o600
    assert not [n for n in names if n.startswith(".") and n != ".pki.lock"]  # no temp files left


def test_second_call_changes_nothing(pki: DevPki) -> None:
    before = _snapshot(pki.directory)
    again = ensure_dev_pki(pki.directory, now=NOW + timedelta(days=3))
    assert again == pki
    assert _snapshot(pki.directory) == before


def test_missing_signer_is_reissued_by_the_existing_intermediate(pki: DevPki) -> None:
    before = _snapshot(pki.directory)
    pki.signer_cert.unlink()
    ensure_dev_pki(pki.directory, now=NOW)
    after = _snapshot(pki.directory)
    assert after["signer.pem"] != before["signer.pem"]
    assert after["signer.key"] != before["signer.key"]
    for kept in ("root.pem", "intermediate.pem", "tsa.pem", "chain.pem", "root.crl.der"):
        assert after[kept] == before[kept]
    _cert(pki.signer_cert).verify_directly_issued_by(_cert(pki.intermediate_cert))


def test_missing_root_key_regenerates_the_whole_chain(pki: DevPki) -> None:
    before = _snapshot(pki.directory)
    pki.root_key.unlink()
    ensure_dev_pki(pki.directory, now=NOW)
    after = _snapshot(pki.directory)
    for name in (*CERTS, "chain.pem", "root.crl.der", "intermediate.crl.der"):
        assert after[name] != before[name], name
    _cert(pki.intermediate_cert).verify_directly_issued_by(_cert(pki.root_cert))


def test_certificate_profiles(pki: DevPki) -> None:
    root, inter = _cert(pki.root_cert), _cert(pki.intermediate_cert)
    signer, tsa = _cert(pki.signer_cert), _cert(pki.tsa_cert)
    root.verify_directly_issued_by(root)
    inter.verify_directly_issued_by(root)
    signer.verify_directly_issued_by(inter)
    tsa.verify_directly_issued_by(inter)

    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    inter_bc = inter.extensions.get_extension_for_class(x509.BasicConstraints)
    assert inter_bc.critical
    assert inter_bc.value.ca
    assert inter_bc.value.path_length == 0

    assert signer.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        SIGNER_COMMON_NAME
    )
    usage = signer.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert usage.content_commitment  # nonRepudiation
    assert not usage.key_cert_sign

    eku = tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical  # RFC 3161 2.3
    assert list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]

    chain = x509.load_pem_x509_certificates(pki.chain.read_bytes())
    assert chain == [inter, root]


def test_lifetimes_and_no_child_outlives_its_issuer(pki: DevPki) -> None:
    root, inter = _cert(pki.root_cert), _cert(pki.intermediate_cert)
    assert root.not_valid_after_utc - NOW >= timedelta(days=20 * 365)
    assert inter.not_valid_after_utc - NOW >= timedelta(days=10 * 365)
    assert inter.not_valid_after_utc <= root.not_valid_after_utc
    for leaf in (_cert(pki.signer_cert), _cert(pki.tsa_cert)):
        assert leaf.not_valid_before_utc <= NOW
        assert leaf.not_valid_after_utc <= inter.not_valid_after_utc


def test_crls_start_empty_and_valid_for_30_days(pki: DevPki) -> None:
    for path, issuer in (
        (pki.root_crl, pki.root_cert),
        (pki.intermediate_crl, pki.intermediate_cert),
    ):
        crl = _crl(path)
        issuer_key = _cert(issuer).public_key()
        assert isinstance(issuer_key, ec.EllipticCurvePublicKey)
        assert crl.is_signature_valid(issuer_key)
        assert len(crl) == 0
        assert crl.next_update_utc == NOW + timedelta(days=30)
        assert _crl_number(crl) == 1
    pem = x509.load_pem_x509_crl(pki.intermediate_crl_pem.read_bytes())
    assert pem == _crl(pki.intermediate_crl)


def test_refresh_crls_moves_dates_counts_up_and_keeps_revocations(pki: DevPki) -> None:
    later = NOW + timedelta(days=20)
    signer = _cert(pki.signer_cert)
    refresh_crls(pki.directory, now=later, revoked=[signer])
    inter_crl = _crl(pki.intermediate_crl)
    assert inter_crl.next_update_utc == later + timedelta(days=30)
    assert _crl_number(inter_crl) == 2
    assert inter_crl.get_revoked_certificate_by_serial_number(signer.serial_number) is not None
    assert len(_crl(pki.root_crl)) == 0  # the signer is not the root's to revoke

    refresh_crls(pki.directory, now=later + timedelta(days=1))
    again = _crl(pki.intermediate_crl)
    assert _crl_number(again) == 3
    assert again.get_revoked_certificate_by_serial_number(signer.serial_number) is not None


def test_crls_past_half_their_lifetime_are_reissued_on_start(pki: DevPki) -> None:
    ensure_dev_pki(pki.directory, now=NOW + timedelta(days=14))
    assert _crl_number(_crl(pki.intermediate_crl)) == 1
    later = NOW + timedelta(days=16)
    ensure_dev_pki(pki.directory, now=later)
    for path in (pki.root_crl, pki.intermediate_crl):
        assert _crl_number(_crl(path)) == 2
        assert _crl(path).next_update_utc == later + timedelta(days=30)


def test_tsa_config_names_this_pki(pki: DevPki) -> None:
    conf = pki.tsa_config.read_text()
    for path in (pki.tsa_cert, pki.tsa_key, pki.chain, pki.tsa_serial):
        assert str(path) in conf
    assert f"default_policy = {TSA_POLICY_OID}" in conf
    assert "ess_cert_id_alg = sha256" in conf
    assert "ordering = no" in conf


def test_throwaway_pki_has_its_own_root(pki: DevPki, tmp_path: Path) -> None:
    other = make_throwaway_pki(tmp_path / "other", now=NOW)
    assert _cert(other.root_cert).subject != _cert(pki.root_cert).subject
    assert _cert(other.signer_cert).subject == _cert(pki.signer_cert).subject  # an impostor
    with pytest.raises(ValueError, match=r"[Ss]ignature|issuer"):
        _cert(other.intermediate_cert).verify_directly_issued_by(_cert(pki.root_cert))


def test_key_swapped_for_another_is_refused(pki: DevPki) -> None:
    shutil.copy(pki.tsa_key, pki.signer_key)
    with pytest.raises(ConfigurationError, match="not matching") as caught:
        ensure_dev_pki(pki.directory, now=NOW)
    assert caught.value.reason == "pki_inconsistent"


def test_cert_from_another_ca_is_refused(pki: DevPki, tmp_path: Path) -> None:
    other = make_throwaway_pki(tmp_path / "other", now=NOW)
    shutil.copy(other.signer_cert, pki.signer_cert)
    shutil.copy(other.signer_key, pki.signer_key)
    with pytest.raises(ConfigurationError, match="issued by") as caught:
        ensure_dev_pki(pki.directory, now=NOW)
    assert caught.value.reason == "pki_inconsistent"


def test_directory_that_openssl_config_would_mangle_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="expected a plain path"):
        ensure_dev_pki(tmp_path / "pki$HOME", now=NOW)


def test_naive_time_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="naive"):
        ensure_dev_pki(tmp_path / "pki", now=datetime(2026, 11, 2))
