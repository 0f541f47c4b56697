"""Detached CMS signatures (CAdES-T: ECDSA/RSA + RFC 3161 timestamp) over bytes, and their check."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, overload

import aiohttp
from asn1crypto import cms, core, pem, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from pyhanko.keys.internal import translate_pyca_cryptography_key_to_asn1
from pyhanko.sign import signers, timestamps
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko.sign.validation.status import StandardCMSSignatureStatus
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from archive.evidence.errors import (
    ArchiveError,
    ConfigurationError,
    SigningError,
    SigningUnavailableError,
    VerificationError,
)
from archive.signatures.certs import pem_blocks, run_sync

logger = logging.getLogger(__name__)

DIGEST_ALGORITHM = "sha256"


@dataclass(frozen=True)
class SignerReport:
    """Who signed, per a verified signature that carries no timestamp token."""

    signer_subject: str
    signer_cert_sha256: str
    signing_time: datetime | None  # self-reported by the signer: not evidence of time


@dataclass(frozen=True)
class SignatureReport(SignerReport):
    """Who signed and when, per a verified signature and its verified RFC 3161 timestamp."""

    timestamp_time: datetime
    tsa_subject: str


class _LoadedKeySigner(signers.SimpleSigner):
    # SimpleSigner re-parses its key on every signature (8x slower for RSA): keep it parsed.
    def __init__(self, *, key: PrivateKeyTypes, **kwargs: Any) -> None:
        super().__init__(signing_key=translate_pyca_cryptography_key_to_asn1(key), **kwargs)
        self._key = key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        key = self._key
        if mechanism == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(hash_algo))
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), hash_algo)
        if mechanism == "ed25519" and isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(data)
        # Anything rarer (PSS parameters, DSA, ...) goes the slow, general way.
        result: bytes = super().sign_raw(data, digest_algorithm)
        return result


class CmsSigner:
    """Signs bytes as detached CAdES-T CMS; key and certificates are read once, here."""

    def __init__(
        self,
        *,
        key_path: Path,
        cert_path: Path,
        chain_paths: Sequence[Path],
        tsa_url: str,
        timeout_s: float = 10.0,
    ) -> None:
        key = _load_private_key(key_path)
        cert = _load_one_cert(cert_path)
        if _public_key_der(key) != cert.public_key.dump():
            raise SigningError(
                f"got {key_path.name} not matching {cert_path.name}, expected a key pair",
                reason="key_cert_mismatch",
            )
        chain = _load_certs(chain_paths, error=SigningError)
        self._signer = _LoadedKeySigner(key=key, signing_cert=cert, cert_registry=None)
        # The chain travels in the CMS, so verifiers need only the root.
        self._signer.cert_registry.register_multiple(chain)
        self._tsa_url = tsa_url
        self._timeout_s = timeout_s
        self._ssl_context = ssl.create_default_context()

    def sign(self, data: bytes) -> bytes:
        """Return the DER CMS ContentInfo of a detached signature over `data`, timestamped.

        Raises:
            SigningUnavailableError: the TSA could not be reached or refused (retry later).
            SigningError: signing failed for any other reason.
        """
        try:
            content_info = run_sync(lambda: self._sign(data))
        except (OSError, TimeoutError) as exc:
            # TimestampRequestError is an OSError; never fall back to an unstamped signature.
            logger.warning("tsa_unavailable", extra={"tsa_url": self._tsa_url, "error": str(exc)})
            raise SigningUnavailableError(
                f"got no timestamp from {self._tsa_url}: {exc}", reason="tsa_unavailable"
            ) from exc
        except (PyHankoSigningError, ValueError) as exc:
            raise SigningError(f"signing failed: {exc}", reason="sign_failed") from exc
        cms_der: bytes = content_info.dump()
        _check_own_timestamp(content_info["content"])
        return cms_der

    async def _sign(self, data: bytes) -> cms.ContentInfo:
        # A session per call (a session is bound to its event loop, and each call runs its own
        # loop) but one TLS context for all: pyHanko's default session reloads the CA bundle
        # per request, ~25 ms.
        connector = aiohttp.TCPConnector(ssl=self._ssl_context)
        async with aiohttp.ClientSession(connector=connector) as session:
            stamper = timestamps.HTTPTimeStamper(
                self._tsa_url, timeout=self._timeout_s, session=session
            )
            result: cms.ContentInfo = await asyncio.wait_for(
                self._signer.async_sign_general_data(
                    data, DIGEST_ALGORITHM, detached=True, use_cades=True, timestamper=stamper
                ),
                timeout=self._timeout_s + 1.0,
            )
        return result


@overload
def verify_detached(
    data: bytes,
    cms_der: bytes,
    *,
    trust_roots: Sequence[Path],
    crls: Sequence[Path] = (),
    require_timestamp: Literal[True] = True,
    moment: datetime | None = None,
) -> SignatureReport: ...


@overload
def verify_detached(
    data: bytes,
    cms_der: bytes,
    *,
    trust_roots: Sequence[Path],
    crls: Sequence[Path] = (),
    require_timestamp: bool,
    moment: datetime | None = None,
) -> SignerReport: ...


def verify_detached(
    data: bytes,
    cms_der: bytes,
    *,
    trust_roots: Sequence[Path],
    crls: Sequence[Path] = (),
    require_timestamp: bool = True,
    moment: datetime | None = None,
) -> SignerReport:
    """Verify a detached CMS over `data` offline, at `moment` (default now).

    Returns a SignatureReport whenever a timestamp token is present; a bare SignerReport only
    with require_timestamp=False and no token. CRLs are used for certificates that name a
    distribution point; a CRL whose nextUpdate is before `moment` makes the check fail.

    Raises:
        VerificationError: reason malformed, bad_signature, untrusted_signer,
            missing_timestamp or bad_timestamp.
        ConfigurationError: a trust root or CRL file cannot be read.
    """
    # 1. Parse: one SignerInfo, no encapsulated content, well-formed timestamp tokens.
    signed_data = _parse_signed_data(cms_der)
    signer_info = signed_data["signer_infos"][0]
    for token in _timestamp_tokens(signer_info):
        _check_token_shape(token)
    # 2. Trust material, offline only: no fetching of CRLs, OCSP or certificates, ever.
    context = ValidationContext(
        trust_roots=_load_certs(trust_roots, error=ConfigurationError),
        other_certs=[c.chosen for c in signed_data["certificates"] if c.name == "certificate"],
        crls=_load_crls(crls),
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=moment,
    )
    # 3. Signature, signer chain, timestamp token and its imprint over the signature value.
    try:
        status = run_sync(
            lambda: async_validate_detached_cms(
                data, signed_data, signer_validation_context=context
            )
        )
    except ValueError as exc:  # pyHanko's structural errors are ValueErrors
        raise VerificationError(f"got an unreadable signature: {exc}", reason="malformed") from exc
    return _judge(status, require_timestamp=require_timestamp)


def timestamp_token_der(cms_der: bytes) -> bytes:
    """Return the RFC 3161 signature timestamp token (DER ContentInfo) inside a CMS.

    Raises:
        VerificationError: reason malformed or missing_timestamp.
    """
    signer_info = _parse_signed_data(cms_der)["signer_infos"][0]
    tokens = _timestamp_tokens(signer_info)
    if not tokens:
        raise VerificationError(
            "got a signature without timestamp token, expected one", reason="missing_timestamp"
        )
    token_der: bytes = tokens[0].dump()
    return token_der


def _judge(status: StandardCMSSignatureStatus, *, require_timestamp: bool) -> SignerReport:
    signer = _to_pyca(status.signing_cert)
    if not status.intact:
        raise VerificationError(
            "got a message digest that does not match the data, expected the signed data",
            reason="bad_signature",
        )
    if not status.valid:
        raise VerificationError(
            "got a signature value that does not verify, expected a valid one",
            reason="bad_signature",
        )
    if not status.trusted:
        problem = status.trust_problem_indic
        raise VerificationError(
            f"got signer {signer.subject.rfc4514_string()} ({problem}), "
            "expected a certificate chaining to a trust root",
            reason="untrusted_signer",
        )
    ts = status.timestamp_validity
    if ts is None:
        if require_timestamp:
            raise VerificationError(
                "got a signature without timestamp token, expected one",
                reason="missing_timestamp",
            )
        return SignerReport(**_signer_fields(status))
    if not (ts.intact and ts.valid):
        raise VerificationError(
            "got a timestamp token whose imprint or signature does not verify, "
            "expected one over this signature value",
            reason="bad_timestamp",
        )
    tsa = _to_pyca(ts.signing_cert).subject.rfc4514_string()
    if not ts.trusted:
        raise VerificationError(
            f"got timestamp by {tsa} ({ts.trust_problem_indic}), "
            "expected a TSA chaining to a trust root",
            reason="bad_timestamp",
        )
    return SignatureReport(**_signer_fields(status), timestamp_time=ts.timestamp, tsa_subject=tsa)


def _signer_fields(status: StandardCMSSignatureStatus) -> dict[str, Any]:
    return {
        "signer_subject": _to_pyca(status.signing_cert).subject.rfc4514_string(),
        "signer_cert_sha256": status.signing_cert.sha256.hex(),
        "signing_time": status.signer_reported_dt,
    }


def _parse_signed_data(cms_der: bytes) -> cms.SignedData:
    try:
        content_info = cms.ContentInfo.load(cms_der, strict=True)
        content_type = content_info["content_type"].native
        if content_type != "signed_data":
            raise ValueError(f"got content type {content_type}, expected signed_data")
        signed_data: cms.SignedData = content_info["content"]
        # asn1crypto parses lazily; touch what we rely on (`.native` of it all takes seconds).
        count = len(signed_data["signer_infos"])
        for choice in signed_data["certificates"]:
            if choice.name == "certificate":
                _to_pyca(choice.chosen)
    except (ValueError, TypeError, KeyError) as exc:
        raise VerificationError(f"got unparsable CMS: {exc}", reason="malformed") from exc
    if count != 1:
        raise VerificationError(f"got {count} signers, expected 1", reason="malformed")
    return signed_data


def _timestamp_tokens(signer_info: cms.SignerInfo) -> list[cms.ContentInfo]:
    unsigned = signer_info["unsigned_attrs"]
    if isinstance(unsigned, core.Void):
        return []
    return [
        value
        for attr in unsigned
        if attr["type"].native == "signature_time_stamp_token"
        for value in attr["values"]
    ]


def _check_token_shape(token: cms.ContentInfo) -> None:
    try:
        tst_info = token["content"]["encap_content_info"]["content"].parsed
        ok = isinstance(tst_info, tsp.TSTInfo) and tst_info["gen_time"].native is not None
    except (ValueError, TypeError, KeyError, AttributeError):
        ok = False
    if not ok:
        raise VerificationError(
            "got a timestamp token without TSTInfo, expected an RFC 3161 token",
            reason="bad_timestamp",
        )


def _check_own_timestamp(signed_data: cms.SignedData) -> None:
    # Cheap self-check of what the TSA returned: a token present, over our signature value.
    signer_info = signed_data["signer_infos"][0]
    tokens = _timestamp_tokens(signer_info)
    if not tokens:
        raise SigningUnavailableError(
            "got a signature without timestamp token, expected one", reason="tsa_unavailable"
        )
    tst_info = tokens[0]["content"]["encap_content_info"]["content"].parsed
    imprint = tst_info["message_imprint"]["hashed_message"].native
    expected = hashlib.sha256(signer_info["signature"].native).digest()
    if imprint != expected:
        raise SigningError(
            f"got TSA imprint {imprint.hex()}, expected {expected.hex()}", reason="bad_timestamp"
        )


def _load_private_key(path: Path) -> PrivateKeyTypes:
    try:
        raw = path.read_bytes()
        loader = (
            serialization.load_pem_private_key
            if pem.detect(raw)
            else serialization.load_der_private_key
        )
        return loader(raw, password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningError(f"got unreadable signing key {path}: {exc}", reason="bad_key") from exc


def _load_one_cert(path: Path) -> asn1_x509.Certificate:
    certs = _load_certs([path], error=SigningError)
    if len(certs) != 1:
        raise SigningError(
            f"got {len(certs)} certificates in {path}, expected 1", reason="bad_cert"
        )
    return certs[0]


def _load_certs(paths: Sequence[Path], *, error: type[ArchiveError]) -> list[asn1_x509.Certificate]:
    try:
        certs = [asn1_x509.Certificate.load(der)
                 for p in paths for der in pem_blocks(p.read_bytes())]
        for cert in certs:
            _to_pyca(cert)  # a strict parse, so that bad files fail here and not later
    except (OSError, ValueError, TypeError) as exc:
        names = ", ".join(str(p) for p in paths)
        raise error(f"got unreadable certificates in {names}: {exc}", reason="bad_cert") from exc
    return certs


def _load_crls(paths: Sequence[Path]) -> list[bytes]:
    crls: list[bytes] = []
    for path in paths:
        try:
            for der in pem_blocks(path.read_bytes()):
                x509.load_der_x509_crl(der)  # reject garbage now rather than ignore it later
                crls.append(der)
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"got unreadable CRL {path}: {exc}", reason="bad_crl") from exc
    return crls


def _public_key_der(key: PrivateKeyTypes) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _to_pyca(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def timestamp_time(cms_der: bytes) -> datetime:
    """The genTime of the RFC 3161 token inside a CMS signature (no validation).

    Raises:
        VerificationError: reason malformed or missing_timestamp.
    """
    token = cms.ContentInfo.load(timestamp_token_der(cms_der))
    try:
        info = token["content"]["encap_content_info"]["content"].parsed
        moment: datetime = info["gen_time"].native
    except (KeyError, ValueError, TypeError) as exc:
        raise VerificationError(
            f"got an unreadable timestamp token: {exc}", reason="malformed"
        ) from exc
    return moment
