"""RFC 3161 tokens straight over bytes (so `openssl ts -verify -data FILE` checks them)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import cms, tsp
from cryptography import x509
from pyhanko.sign import timestamps
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko.sign.validation.status import TimestampSignatureStatus
from pyhanko_certvalidator import ValidationContext

from archive.evidence.errors import SigningUnavailableError, VerificationError
from archive.signatures.certs import load_certs, run_sync


@dataclass(frozen=True)
class TokenReport:
    time: datetime
    tsa_subject: str


def request_token(url: str, data: bytes, *, timeout_s: float) -> bytes:
    """A DER timestamp token (ContentInfo) whose imprint is SHA-256(data).

    Raises:
        SigningUnavailableError: the TSA could not be reached or refused.
    """
    digest = hashlib.sha256(data).digest()

    async def stamp() -> cms.ContentInfo:
        stamper = timestamps.HTTPTimeStamper(url, timeout=timeout_s)
        token: cms.ContentInfo = await asyncio.wait_for(
            stamper.async_timestamp(digest, "sha256"), timeout=timeout_s + 1.0)
        return token

    try:
        token = run_sync(stamp)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SigningUnavailableError(f"got no timestamp from {url}: {exc}",
                                      reason="tsa_unavailable") from exc
    der: bytes = token.dump()
    return der


def verify_token(token_der: bytes, data: bytes, *, trust_roots: Sequence[Path],
                 crls: Sequence[bytes] = ()) -> TokenReport:
    """Check that a token is over SHA-256(data), signed by a TSA chaining to a trust root, as
    of its own time.

    Raises:
        VerificationError: reason malformed, bad_timestamp or untrusted_tsa.
        ConfigurationError: a trust root cannot be read.
    """
    info = _tst_info(token_der)
    moment: datetime = info["gen_time"].native
    signed_data = cms.ContentInfo.load(token_der)["content"]
    context = ValidationContext(
        trust_roots=load_certs(trust_roots),
        other_certs=[c.chosen for c in signed_data["certificates"] if c.name == "certificate"],
        crls=list(crls), allow_fetching=False, revocation_mode="soft-fail", moment=moment)
    expected = hashlib.sha256(data).digest()

    def imprint(algorithm: str) -> bytes:
        return expected if algorithm == "sha256" else b""

    try:
        kwargs = run_sync(lambda: validate_tst_signed_data(signed_data, context, imprint))
    except (SignatureValidationError, ValueError) as exc:
        raise VerificationError(f"got an unverifiable timestamp token: {exc}",
                                reason="bad_timestamp") from exc
    status = TimestampSignatureStatus(**kwargs)
    tsa = x509.load_der_x509_certificate(status.signing_cert.dump()).subject.rfc4514_string()
    if not status.intact:
        raise VerificationError(
            "got a timestamp token over other bytes (imprint mismatch), expected one over "
            "this file", reason="bad_timestamp")
    if not status.valid:
        raise VerificationError("got a timestamp token whose signature does not verify",
                                reason="bad_timestamp")
    if not status.trusted:
        raise VerificationError(
            f"got timestamp by {tsa} ({status.trust_problem_indic}), expected a TSA chaining "
            "to the trust root", reason="untrusted_tsa")
    return TokenReport(time=moment, tsa_subject=tsa)


def _tst_info(token_der: bytes) -> tsp.TSTInfo:
    try:
        token = cms.ContentInfo.load(token_der, strict=True)
        info = token["content"]["encap_content_info"]["content"].parsed
        if not isinstance(info, tsp.TSTInfo) or info["gen_time"].native is None:
            raise ValueError("no TSTInfo")
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise VerificationError(f"got an unreadable timestamp token: {exc}",
                                reason="malformed") from exc
    return info
