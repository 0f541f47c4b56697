"""Every kind of tampering with a package: `aidrec verify` fails and names what is wrong, and
the third-party tool that covers that property fails too.

Each attack is a function named after it. "…_and_rebagged" attacks also recompute every
BagIt manifest, as a capable forger would: bagit.py then passes, and the signatures are what
catch them.
"""

from __future__ import annotations

import io
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from archive.devstack.ephemeral import EphemeralStack
from archive.devstack.pki import make_throwaway_pki
from archive.export.offline.layout import Selection
from archive.export.offline.verify import PackageVerifier
from archive.signatures.cms import CmsSigner, timestamp_token_der
from tests.integration.archive.export.conftest import (
    Seeded,
    bagit_validate,
    openssl_cms,
    openssl_ts_data,
    pdfsig,
    pdfsig_accepts,
    rebag,
    rezip,
    run,
    unzip,
)

pytestmark = pytest.mark.usefixtures("test_stack")


@dataclass
class Scene:
    bag: Path
    seeded: Seeded
    stack: EphemeralStack
    work: Path

    @property
    def recording(self) -> Path:
        return self.bag / "data/recordings" / self.seeded.recordings[0]


def _flip(path: Path, offset: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    at = len(data) // 2 if offset is None else offset
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


# --- the attacks --------------------------------------------------------------------------


def package_media_byte_flipped(s: Scene) -> str:
    _flip(s.recording / "segments/000001.ts")
    return "segments/000001.ts"


def package_media_byte_flipped_and_rebagged(s: Scene) -> str:
    target = package_media_byte_flipped(s)
    rebag(s.bag)
    return target


def package_seal_manifest_byte_flipped(s: Scene) -> str:
    manifest = s.recording / "seal/manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b'"partial":false', b'"partial":true ', 1))
    return "seal/manifest.p7s"


def package_bag_manifest_byte_flipped(s: Scene) -> str:
    manifest = s.bag / "manifest-sha256.txt"
    text = manifest.read_text()
    manifest.write_text(("1" if text[0] != "1" else "2") + text[1:])
    return "manifest-sha256.txt"


def package_file_removed(s: Scene) -> str:
    (s.recording / "segments/000002.ts").unlink()
    return "segments/000002.ts"


def package_file_added(s: Scene) -> str:
    (s.recording / "segments/000099.ts").write_bytes(b"\x47planted footage")
    return "segments/000099.ts"


def package_file_added_and_rebagged(s: Scene) -> str:
    target = package_file_added(s)
    rebag(s.bag)
    return target


def package_signature_replaced(s: Scene) -> str:
    """The seal re-signed by a key of the forger's own PKI (with a genuine TSA token)."""
    forger = make_throwaway_pki(s.work / "forger")
    signer = CmsSigner(key_path=forger.signer_key, cert_path=forger.signer_cert,
                       chain_paths=[forger.intermediate_cert, forger.root_cert],
                       tsa_url=s.stack.tsa.url)
    seal = s.recording / "seal"
    forged = signer.sign((seal / "manifest.json").read_bytes())
    (seal / "manifest.p7s").write_bytes(forged)
    (seal / "manifest.tsr").write_bytes(timestamp_token_der(forged))
    rebag(s.bag)
    return "seal/manifest.p7s"


def package_pdf_edited_after_signing(s: Scene) -> str:
    """Bytes of the signed report changed in place (what a reader would display)."""
    pdf = s.bag / "data/chain-of-custody.pdf"
    data = pdf.read_bytes()
    _flip(pdf, data.index(b"stream", 2000) + 40)
    rebag(s.bag)
    return "data/chain-of-custody.pdf"


def package_pdf_update_appended_after_signing(s: Scene) -> str:
    """A new revision appended after the document timestamp: the earlier signatures stay
    cryptographically valid, so only coverage shows the change."""
    pdf = s.bag / "data/chain-of-custody.pdf"
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf.read_bytes()))
    writer.set_info(generic.DictionaryObject(  # type: ignore[no-untyped-call]
        {generic.NameObject("/Title"): generic.TextStringObject("forged report")}))
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    pdf.write_bytes(out.getvalue())
    rebag(s.bag)
    return "data/chain-of-custody.pdf"


def package_proof_for_another_tree(s: Scene) -> str:
    """Segment 1's proof swapped for a genuine proof of the same leaf in a later, larger tree."""
    import json

    from archive.evidence.merkle import InclusionProof

    archive = s.seeded.archive
    path = s.recording / "proofs/segment-000001.json"
    original = InclusionProof.parse(json.loads(path.read_text()))
    with archive.catalog.read() as db:
        size = archive.log.size(db)
        assert size > original.tree_size
        raw = archive.log.prove_inclusion(db, original.log_index, size)
    other = InclusionProof.from_pymerkle(raw, entry=original.entry,
                                         tree_head=original.tree_head)
    path.write_text(json.dumps(other.as_json()))
    rebag(s.bag)
    return "proofs/segment-000001.json"


def package_timestamp_replaced(s: Scene) -> str:
    """The package's RFC 3161 token swapped for the genuine token of another export."""
    other = unzip(s.seeded.export(s.work / "other.zip",
                                  Selection(session_ids=(s.seeded.sessions[1],)),
                                  reason="another export").path, s.work / "other")
    shutil.copy(other / "tagmanifest-sha256.txt.tsr", s.bag / "tagmanifest-sha256.txt.tsr")
    return "tagmanifest-sha256.txt.tsr"


def package_transcript_edited_and_rebagged(s: Scene) -> str:
    (vtt,) = s.recording.glob("documents/transcript/*/transcript.vtt")
    vtt.write_text(vtt.read_text().replace("您好", "滚开"))
    rebag(s.bag)
    return "transcript.vtt"


# --- what each must trip ---------------------------------------------------------------------


def bagit_fails(s: Scene) -> None:
    done = bagit_validate(s.bag)
    assert done.returncode != 0, "bagit.py accepted a tampered bag"


def package_signature_fails_openssl(s: Scene) -> None:
    # The forger could re-bag, but not re-sign the tag manifest with the archive's key.
    assert bagit_validate(s.bag).returncode == 0  # the re-bagging itself is consistent
    done = openssl_cms(s.bag / "tagmanifest-sha256.txt", s.bag / "tagmanifest-sha256.txt.p7s",
                       s.seeded.root)
    assert done.returncode != 0 and "Verification failure" in done.stderr, done.stderr


def seal_signature_fails_openssl(s: Scene) -> None:
    seal = s.recording / "seal"
    done = openssl_cms(seal / "manifest.json", seal / "manifest.p7s", s.seeded.root)
    assert done.returncode != 0, done.stderr


def pdfsig_rejects(s: Scene) -> None:
    output = pdfsig(s.bag / "data/chain-of-custody.pdf", s.seeded.root, s.work / "nss")
    assert not pdfsig_accepts(output), output


def openssl_ts_fails(s: Scene) -> None:
    done = openssl_ts_data(s.bag / "tagmanifest-sha256.txt",
                           s.bag / "tagmanifest-sha256.txt.tsr", s.seeded.root)
    assert done.returncode != 0 and "imprint mismatch" in done.stderr, done.stderr


Attack = Callable[[Scene], str]
Tool = Callable[[Scene], None]
CASES: list[tuple[Attack, set[str], list[Tool]]] = [
    (package_media_byte_flipped, {"fixity", "segment"}, [bagit_fails]),
    (package_media_byte_flipped_and_rebagged, {"package signature", "segment"},
     [package_signature_fails_openssl]),
    (package_seal_manifest_byte_flipped, {"fixity", "signature"},
     [bagit_fails, seal_signature_fails_openssl]),
    (package_bag_manifest_byte_flipped, {"fixity"}, [bagit_fails]),
    (package_file_removed, {"completeness", "index"}, [bagit_fails]),
    (package_file_added, {"completeness", "index"}, [bagit_fails]),
    (package_file_added_and_rebagged, {"package signature", "index"},
     [package_signature_fails_openssl]),
    (package_signature_replaced, {"package signature", "signature"},
     [package_signature_fails_openssl, seal_signature_fails_openssl]),
    (package_pdf_edited_after_signing, {"package signature", "report signature"},
     [package_signature_fails_openssl, pdfsig_rejects]),
    (package_pdf_update_appended_after_signing, {"package signature", "report signature"},
     [package_signature_fails_openssl, pdfsig_rejects]),
    (package_proof_for_another_tree, {"package signature", "log inclusion"},
     [package_signature_fails_openssl]),
    (package_timestamp_replaced, {"package timestamp"}, [openssl_ts_fails]),
    (package_transcript_edited_and_rebagged, {"package signature", "document file"},
     [package_signature_fails_openssl]),
]


@pytest.mark.parametrize(("attack", "failing", "tools"), CASES,
                         ids=[attack.__name__ for attack, _, _ in CASES])
def test_tampering_is_caught_and_named(attack: Attack, failing: set[str], tools: list[Tool],
                                       package: Path, seeded: Seeded,
                                       test_stack: EphemeralStack, tmp_path: Path) -> None:
    scene = Scene(bag=unzip(package, tmp_path / "bag"), seeded=seeded, stack=test_stack,
                  work=tmp_path)
    target = attack(scene)
    tampered = tmp_path / "tampered.zip"
    rezip(scene.bag, tampered)
    report = PackageVerifier(trust_roots=[seeded.root]).verify(tampered)
    assert not report.ok, f"{attack.__name__} went unnoticed"
    failed = [c for c in report.checks if not c.ok]
    assert failing <= {c.name for c in failed}, report.to_json()
    assert any(target in f"{c.subject} {c.detail}" for c in failed), report.to_json()
    for tool in tools:
        tool(scene)


def test_aidrec_verify_exits_1_and_names_the_changed_file(package: Path, seeded: Seeded,
                                                          tmp_path: Path,
                                                          test_stack: EphemeralStack) -> None:
    scene = Scene(bag=unzip(package, tmp_path / "bag"), seeded=seeded, stack=test_stack,
                  work=tmp_path)
    package_media_byte_flipped(scene)
    rezip(scene.bag, tmp_path / "tampered.zip")
    done = run(sys.executable, "-m", "archive", "verify", tmp_path / "tampered.zip",
               "--trust-root", seeded.root)
    assert done.returncode == 1
    assert "verification FAILED" in done.stdout
    assert f"FAIL fixity (data/recordings/{seeded.recordings[0]}/segments/000001.ts)" \
        in done.stdout


def test_garbage_instead_of_a_zip_fails_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "not.zip"
    path.write_bytes(b"PK\x03\x04 but not really")
    report = PackageVerifier().verify(path)
    assert not report.ok
    assert report.checks[0].name == "container"


def test_a_malformed_index_fails_checks_instead_of_crashing(package: Path, seeded: Seeded,
                                                           tmp_path: Path) -> None:
    import json

    bag = unzip(package, tmp_path / "bag")
    index = json.loads((bag / "data/package.json").read_text())
    del index["recordings"][0]["seal"]
    (bag / "data/package.json").write_text(json.dumps(index))
    rebag(bag)
    rezip(bag, tmp_path / "tampered.zip")
    report = PackageVerifier(trust_roots=[seeded.root]).verify(tmp_path / "tampered.zip")
    failed = {c.name for c in report.checks if not c.ok}
    assert {"recording", "package signature"} <= failed, report.to_json()
