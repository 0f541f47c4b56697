"""PAdES B-LTA signatures on the chain-of-custody report (pyHanko), and their offline check."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, TimestampDSSContentSettings
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    FreshnessReqType,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

from archive.evidence.errors import (
    SigningError,
    SigningUnavailableError,
    VerificationError,
)
from archive.signatures.certs import load_certs, run_sync

FIELD_NAME = "AidrecCustodySeal"
TIMESTAMP_FIELD_NAME = "AidrecDocumentTimestamp"


@dataclass(frozen=True)
class PdfSigner:
    """The archive's signer key and chain, its TSA, and the trust material to embed (LTV)."""

    key: Path
    cert: Path
    chain: Sequence[Path]
    tsa_url: str
    trust_roots: Sequence[Path]
    crls: Sequence[Path]
    timeout_s: float = 10.0

    def sign(self, pdf: bytes, *, reason: str, location: str) -> bytes:
        """Sign PAdES B-LTA: signature with its timestamp, then the validation data and a
        document timestamp in one last revision (so that revision covers the entire file).

        Raises:
            SigningUnavailableError: the TSA could not be reached.
            SigningError: the key, certificate or PDF is unusable.
        """
        signer = signers.SimpleSigner.load(  # type: ignore[no-untyped-call]
            str(self.key), str(self.cert), ca_chain_files=tuple(str(p) for p in self.chain))
        if signer is None:  # pyHanko returns None instead of raising
            raise SigningError(f"cannot load signer {self.key} / {self.cert}",
                               reason="bad_key")
        context = ValidationContext(
            trust_roots=load_certs(self.trust_roots), crls=[p.read_bytes() for p in self.crls],
            allow_fetching=False, revocation_mode="soft-fail")
        # No DSS revision after the document timestamp: it then covers the whole file, and
        # any later edit shows as bytes it does not cover.
        dss = DSSContentSettings(include_vri=False, next_ts_settings=TimestampDSSContentSettings(
            include_vri=False, update_before_ts=True))
        meta = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME, timestamp_field_name=TIMESTAMP_FIELD_NAME,
            subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
            embed_validation_info=True, use_pades_lta=True, validation_context=context,
            reason=reason, location=location, dss_settings=dss)
        stamper = timestamps.HTTPTimeStamper(self.tsa_url, timeout=self.timeout_s)
        out = io.BytesIO()
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        try:
            with _quiet_offline_warning():
                run_sync(lambda: signers.PdfSigner(meta, signer=signer, timestamper=stamper)
                         .async_sign_pdf(writer, output=out))
        except (OSError, TimeoutError) as exc:
            raise SigningUnavailableError(f"got no timestamp from {self.tsa_url}: {exc}",
                                          reason="tsa_unavailable") from exc
        except (PyHankoSigningError, PdfError, ValueError) as exc:
            raise SigningError(f"PDF signing failed: {exc}", reason="sign_failed") from exc
        return out.getvalue()


class _OfflineWarningFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


@contextmanager
def _quiet_offline_warning() -> Iterator[None]:
    """pyHanko warns on every offline LTV signature; offline (with CRL snapshots) is the
    point here, so that one message is dropped while signing."""
    target = logging.getLogger("pyhanko.sign.signers.pdf_signer")
    quiet = _OfflineWarningFilter()
    target.addFilter(quiet)
    try:
        yield
    finally:
        target.removeFilter(quiet)


@dataclass(frozen=True)
class PdfSignatureReport:
    signer_subject: str
    signature_time: datetime  # RFC 3161 time of the signature's own timestamp
    document_timestamp: datetime  # time of the last document timestamp
    summary: str


def verify_pdf(pdf: bytes, *, trust_roots: Sequence[Path]) -> PdfSignatureReport:
    """Validate the report's PAdES B-LTA signature offline, as of its document timestamp.

    Raises:
        VerificationError: reason malformed, pdf_unsigned, pdf_modified or bad_pdf_signature.
    """
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        regular = list(reader.embedded_regular_signatures)
        everything = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise VerificationError(f"got an unreadable PDF: {exc}", reason="malformed") from exc
    # 1. One signature, followed by a document timestamp.
    if len(regular) != 1 or len(everything) < 2:
        raise VerificationError(
            f"got {len(regular)} signatures and {len(everything) - len(regular)} document "
            "timestamps, expected 1 signature and a document timestamp",
            reason="pdf_unsigned")
    last = everything[-1]
    if last.sig_object.get("/Type") != "/DocTimeStamp":
        raise VerificationError("the last signature is not a document timestamp",
                                reason="pdf_unsigned")
    # 2. Nothing after the last timestamp: an edit appended later would not be covered.
    coverage = last.evaluate_signature_coverage()
    if coverage != SignatureCoverageLevel.ENTIRE_FILE:
        raise VerificationError(
            f"got bytes after the last document timestamp ({coverage.name}), expected none: "
            "the PDF was changed after signing", reason="pdf_modified")
    ts_info = last.signed_data["encap_content_info"]["content"].parsed
    moment: datetime = ts_info["gen_time"].native
    # 3. AdES long-term validation, at the time the document timestamp proves.
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=load_certs(trust_roots)),
        # Certificates that name a CRL or OCSP source must have revocation data (in the DSS).
        revinfo_policy=CertRevTrustPolicy(
            RevocationCheckingPolicy(RevocationCheckingRule.CHECK_IF_DECLARED,
                                     RevocationCheckingRule.CHECK_IF_DECLARED),
            freshness=None,
            freshness_req_type=FreshnessReqType.MAX_DIFF_REVOCATION_VALIDATION))
    spec = PdfSignatureValidationSpec(SignatureValidationSpec(cert_validation_policy=policy),
                                      diff_policy=DEFAULT_DIFF_POLICY)
    timing = ValidationTimingInfo(moment, moment, point_in_time_validation=True)
    try:
        result = run_sync(lambda: ades_lta_validation(regular[0], spec, timing_info=timing))
    except (SignatureValidationError, PdfError, ValueError) as exc:
        raise VerificationError(f"PDF signature does not validate: {exc}",
                                reason="bad_pdf_signature") from exc
    status = result.api_status
    verdict = getattr(result.ades_subindic, "name", str(result.ades_subindic))
    if status is None or not status.bottom_line or verdict != "OK":
        summary = status.summary() if status is not None else "no status"
        reason = "pdf_modified" if status is not None and not status.intact else \
            "bad_pdf_signature"
        raise VerificationError(f"got PDF signature {verdict} ({summary}), expected a valid "
                                "PAdES signature chaining to the trust root", reason=reason)
    signer = x509.load_der_x509_certificate(status.signing_cert.dump())
    stamp = status.timestamp_validity
    return PdfSignatureReport(
        signer_subject=signer.subject.rfc4514_string(),
        signature_time=stamp.timestamp if stamp is not None else moment,
        document_timestamp=moment, summary=status.summary())
