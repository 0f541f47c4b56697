"""CAdES-T signing against the real OpenSSL TSA, checked by our verifier and the openssl CLI."""

from __future__ import annotations

import asyncio
import hashlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from asn1crypto import cms, tsp
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.sign import signers

from archive.devstack.pki import DevPki, ensure_dev_pki, make_throwaway_pki, refresh_crls
from archive.devstack.tsa_server import TsaServer
from archive.evidence.errors import (
    SigningError,
    SigningUnavailableError,
    StackError,
    VerificationError,
)
from archive.signatures.cms import (
    CmsSigner,
    SignatureReport,
    SignerReport,
    timestamp_token_der,
    verify_detached,
)

MANIFEST = b'{"recording": "r-1", "segments": [{"seq": 0, "sha256": "ab12"}]}\n'


@dataclass(frozen=True)
class Env:
    root: Path
    pki: DevPki
    tsa: TsaServer
    signer: CmsSigner
    signature: bytes  # CmsSigner.sign(MANIFEST)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _signer(pki: DevPki, tsa_url: str, *, timeout_s: float = 5.0) -> CmsSigner:
    return CmsSigner(
        key_path=pki.signer_key,
        cert_path=pki.signer_cert,
        chain_paths=[pki.chain],
        tsa_url=tsa_url,
        timeout_s=timeout_s,
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    root = tmp_path_factory.mktemp("signing")
    pki = ensure_dev_pki(root / "pki")
    tsa = TsaServer(pki=pki, port=_free_port())
    tsa.start()
    try:
        signer = _signer(pki, tsa.url)
        yield Env(root, pki, tsa, signer, signer.sign(MANIFEST))
    finally:
        tsa.stop()


def _verify(
    env: Env,
    data: bytes,
    signature: bytes,
    *,
    require_timestamp: bool = True,
    moment: datetime | None = None,
) -> SignerReport:
    return verify_detached(
        data,
        signature,
        trust_roots=[env.pki.root_cert],
        crls=[env.pki.root_crl, env.pki.intermediate_crl],
        require_timestamp=require_timestamp,
        moment=moment,
    )


def _signer_info(signature: bytes) -> cms.SignerInfo:
    info: cms.SignerInfo = cms.ContentInfo.load(signature)["content"]["signer_infos"][0]
    return info


def _tst_info(signature: bytes) -> tsp.TSTInfo:
    token = cms.ContentInfo.load(timestamp_token_der(signature))
    info: tsp.TSTInfo = token["content"]["encap_content_info"]["content"].parsed
    return info


def _openssl(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", *map(str, args)], capture_output=True, text=True, timeout=30, check=False
    )


# --- our verifier ---------------------------------------------------------------------------


def test_sign_verify_round_trip(env: Env) -> None:
    report = verify_detached(
        MANIFEST,
        env.signature,
        trust_roots=[env.pki.root_cert],
        crls=[env.pki.root_crl, env.pki.intermediate_crl],
    )
    signer = x509.load_pem_x509_certificate(env.pki.signer_cert.read_bytes())
    signer_der = signer.public_bytes(Encoding.DER)
    assert report.signer_subject == "CN=aidrec archive signer,O=aidrec development"
    assert report.signer_cert_sha256 == hashlib.sha256(signer_der).hexdigest()
    assert report.tsa_subject == "CN=aidrec dev TSA,O=aidrec development"
    now = datetime.now(UTC)
    assert now - timedelta(minutes=2) < report.timestamp_time <= now + timedelta(seconds=2)
    assert report.signing_time is not None
    assert abs(report.signing_time - report.timestamp_time) < timedelta(seconds=5)


def test_manifest_byte_flipped_is_bad_signature(env: Env) -> None:
    tampered = bytearray(MANIFEST)
    tampered[10] ^= 0x01
    with pytest.raises(VerificationError, match="does not match the data") as caught:
        _verify(env, bytes(tampered), env.signature)
    assert caught.value.reason == "bad_signature"


def test_signature_value_flipped_is_bad_signature(env: Env) -> None:
    value = _signer_info(env.signature)["signature"].native
    assert env.signature.count(value) == 1
    tampered = env.signature.replace(value, value[:-1] + bytes([value[-1] ^ 0x01]))
    with pytest.raises(VerificationError, match="got a signature value that does not verify") \
            as caught:
        _verify(env, MANIFEST, tampered)
    assert caught.value.reason == "bad_signature"


def test_signer_from_an_unknown_root_is_untrusted(env: Env) -> None:
    impostor = make_throwaway_pki(env.root / "throwaway")
    # Same signer name, same (trusted) TSA: only the chain gives it away.
    signature = _signer(impostor, env.tsa.url).sign(MANIFEST)
    with pytest.raises(VerificationError, match="expected a certificate chaining") as caught:
        _verify(env, MANIFEST, signature)
    assert caught.value.reason == "untrusted_signer"


def test_signer_revoked_in_the_crl_snapshot_is_untrusted(env: Env, tmp_path: Path) -> None:
    snapshot = tmp_path / "pki"
    shutil.copytree(env.pki.directory, snapshot)
    signer_cert = x509.load_pem_x509_certificate(env.pki.signer_cert.read_bytes())
    refresh_crls(snapshot, revoked=[signer_cert])
    with pytest.raises(VerificationError, match="REVOKED") as caught:
        verify_detached(
            MANIFEST,
            env.signature,
            trust_roots=[env.pki.root_cert],
            crls=[snapshot / "root.crl.der", snapshot / "intermediate.crl.der"],
        )
    assert caught.value.reason == "untrusted_signer"


def test_stale_crl_snapshot_fails_now_but_passes_at_the_timestamp_time(env: Env) -> None:
    report = verify_detached(MANIFEST, env.signature, trust_roots=[env.pki.root_cert])
    later = datetime.now(UTC) + timedelta(days=40)  # past the CRLs' nextUpdate
    with pytest.raises(VerificationError, match="expected a certificate chaining to a trust root") \
            as caught:
        _verify(env, MANIFEST, env.signature, moment=later)
    assert caught.value.reason == "untrusted_signer"
    _verify(env, MANIFEST, env.signature, moment=report.timestamp_time)


def test_signature_without_timestamp_is_refused_unless_allowed(env: Env) -> None:
    plain = signers.SimpleSigner.load(  # type: ignore[no-untyped-call]
        str(env.pki.signer_key), str(env.pki.signer_cert), ca_chain_files=[str(env.pki.chain)]
    )
    assert plain is not None  # load() returns None instead of raising
    unstamped = asyncio.run(
        plain.async_sign_general_data(MANIFEST, "sha256", detached=True, use_cades=True)
    ).dump()
    with pytest.raises(VerificationError, match="without timestamp") as caught:
        _verify(env, MANIFEST, unstamped)
    assert caught.value.reason == "missing_timestamp"
    report = _verify(env, MANIFEST, unstamped, require_timestamp=False)
    assert not isinstance(report, SignatureReport)
    with pytest.raises(VerificationError, match="without timestamp token") as caught:
        timestamp_token_der(unstamped)
    assert caught.value.reason == "missing_timestamp"


def test_timestamp_token_swapped_from_another_signature_is_bad_timestamp(env: Env) -> None:
    token = timestamp_token_der(env.signature)
    assert env.signature.count(token) == 1
    other = _token_of_same_length(env.signer, len(token))
    with pytest.raises(VerificationError, match="imprint") as caught:
        _verify(env, MANIFEST, env.signature.replace(token, other))
    assert caught.value.reason == "bad_timestamp"


def _token_of_same_length(signer: CmsSigner, length: int) -> bytes:
    # Splice byte for byte: re-encoding an edited asn1crypto CMS (`.dump()` after assignment)
    # sometimes takes minutes, so tampering here never goes through asn1crypto.
    for attempt in range(50):
        token = timestamp_token_der(signer.sign(b"another manifest %d" % attempt))
        if len(token) == length:
            return token
    raise AssertionError(f"got no {length}-byte token in 50 tries, expected one")


@pytest.mark.parametrize(
    "garbage",
    [b"", b"not a signature", b"\x30\x03\x02\x01\x00"],
    ids=["empty", "text", "wrong_der"],
)
def test_garbage_is_malformed(env: Env, garbage: bytes) -> None:
    with pytest.raises(VerificationError, match="got unparsable CMS") as caught:
        _verify(env, MANIFEST, garbage)
    assert caught.value.reason == "malformed"


def test_truncated_signature_is_malformed(env: Env) -> None:
    with pytest.raises(VerificationError, match="got unparsable CMS") as caught:
        _verify(env, MANIFEST, env.signature[:-20])
    assert caught.value.reason == "malformed"


# --- signing --------------------------------------------------------------------------------


def test_tsa_down_raises_unavailable_quickly(env: Env) -> None:
    tsa = TsaServer(pki=env.pki, port=_free_port())
    tsa.start()
    signer = _signer(env.pki, tsa.url, timeout_s=2.0)
    signer.sign(b"up")
    tsa.stop()
    started = time.monotonic()
    with pytest.raises(SigningUnavailableError,
                       match=f"got no timestamp from {re.escape(tsa.url)}") as caught:
        signer.sign(b"down")
    assert caught.value.reason == "tsa_unavailable"
    assert time.monotonic() - started < 3.0


def test_concurrent_signatures_get_distinct_tsa_serials(env: Env) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        signatures = list(pool.map(env.signer.sign, [f"m{i}".encode() for i in range(16)]))
    serials = {_tst_info(s)["serial_number"].native for s in signatures}
    assert len(serials) == 16


def test_sign_works_inside_a_running_event_loop(env: Env) -> None:
    async def handler() -> bytes:
        return env.signer.sign(MANIFEST)

    signature = asyncio.run(handler())
    assert _verify(env, MANIFEST, signature).signer_subject.startswith("CN=aidrec archive")


def test_unreadable_key_or_mismatched_pair_fails_at_construction(env: Env, tmp_path: Path) -> None:
    bad_key = tmp_path / "bad.key"
    bad_key.write_text("not a key")
    with pytest.raises(SigningError, match=r"got unreadable signing key .*bad\.key") as caught:
        CmsSigner(
            key_path=bad_key, cert_path=env.pki.signer_cert, chain_paths=[], tsa_url=env.tsa.url
        )
    assert caught.value.reason == "bad_key"
    with pytest.raises(SigningError, match=r"got tsa\.key not matching signer\.pem") as caught:
        CmsSigner(
            key_path=env.pki.tsa_key,
            cert_path=env.pki.signer_cert,
            chain_paths=[],
            tsa_url=env.tsa.url,
        )
    assert caught.value.reason == "key_cert_mismatch"


# --- independent verifiers: the openssl CLI ---------------------------------------------------


def test_openssl_cms_verifies_and_rejects_tampering(env: Env, tmp_path: Path) -> None:
    data, sig = tmp_path / "manifest.json", tmp_path / "manifest.p7s"
    data.write_bytes(MANIFEST)
    sig.write_bytes(env.signature)
    # The CMS carries signer and intermediate certificates: the root alone is enough.
    ok = _openssl(
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-content",
        data,
        "-in",
        sig,
        "-CAfile",
        env.pki.root_cert,
        "-purpose",
        "any",
        "-out",
        "/dev/null",
    )
    assert ok.returncode == 0, ok.stderr
    data.write_bytes(MANIFEST.replace(b"ab12", b"ab13"))
    bad = _openssl(
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-content",
        data,
        "-in",
        sig,
        "-CAfile",
        env.pki.root_cert,
        "-purpose",
        "any",
        "-out",
        "/dev/null",
    )
    assert bad.returncode != 0
    assert "Verification failure" in bad.stderr


def test_openssl_ts_verifies_the_extracted_token(env: Env, tmp_path: Path) -> None:
    token = tmp_path / "manifest.tsr"
    token.write_bytes(timestamp_token_der(env.signature))
    # RFC 3161 in CMS: the token's imprint is over the signature value, not over the data.
    digest = hashlib.sha256(_signer_info(env.signature)["signature"].native).hexdigest()
    ok = _openssl(
        "ts",
        "-verify",
        "-in",
        token,
        "-token_in",
        "-digest",
        digest,
        "-CAfile",
        env.pki.root_cert,
        "-untrusted",
        env.pki.chain,
    )
    assert ok.returncode == 0, ok.stderr
    other = hashlib.sha256(MANIFEST).hexdigest()
    bad = _openssl(
        "ts",
        "-verify",
        "-in",
        token,
        "-token_in",
        "-digest",
        other,
        "-CAfile",
        env.pki.root_cert,
        "-untrusted",
        env.pki.chain,
    )
    assert bad.returncode != 0
    assert "imprint mismatch" in bad.stderr


# --- the TSA server -------------------------------------------------------------------------


def test_tsa_answers_an_openssl_query_and_refuses_garbage(env: Env, tmp_path: Path) -> None:
    query = tmp_path / "q.tsq"
    made = _openssl("ts", "-query", "-digest", "00" * 32, "-sha256", "-cert", "-out", query)
    assert made.returncode == 0, made.stderr
    headers = {"Content-Type": "application/timestamp-query"}
    with httpx.Client(timeout=5) as client:
        reply = client.post(env.tsa.url, content=query.read_bytes(), headers=headers)
        garbage = client.post(env.tsa.url, content=b"\x30\x82garbage", headers=headers)
        wrong_type = client.post(
            env.tsa.url, content=query.read_bytes(), headers={"Content-Type": "text/plain"}
        )
        health = client.get(env.tsa.url)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/timestamp-reply"
    response = tmp_path / "r.tsr"
    response.write_bytes(reply.content)
    checked = _openssl(
        "ts",
        "-verify",
        "-in",
        response,
        "-queryfile",
        query,
        "-CAfile",
        env.pki.root_cert,
        "-untrusted",
        env.pki.chain,
    )
    assert checked.returncode == 0, checked.stderr
    assert garbage.status_code == 400
    assert "TimeStampReq" in garbage.text
    assert wrong_type.status_code == 400
    assert health.status_code == 200


def test_taken_port_is_refused_at_once(env: Env) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(StackError, match=f"port {port} on 127.0.0.1 is taken") as caught:
            TsaServer(pki=env.pki, port=port).start()
    assert caught.value.reason == "port_taken"
    assert time.monotonic() - started < 1.0


def test_module_runs_in_the_foreground_and_stops_on_sigterm(env: Env) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "archive.devstack.tsa_server",
            "--pki-dir",
            str(env.pki.directory),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == f"tsa listening on http://127.0.0.1:{port}/"
        _signer(env.pki, f"http://127.0.0.1:{port}/").sign(MANIFEST)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
