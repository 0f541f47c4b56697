"""Export a case on the real stack; `aidrec verify` and four tools nobody here wrote accept it."""

from __future__ import annotations

import json
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import bagit
import pytest

from archive.devstack.pki import make_throwaway_pki
from archive.export.offline.layout import Selection
from archive.export.offline.verify import PACKAGE_ROOT_WARNING, PackageVerifier
from tests.integration.archive.export.conftest import (
    T0,
    Seeded,
    bagit_validate,
    open_archive,
    openssl_cms,
    openssl_ts_data,
    openssl_ts_of_signature,
    pdfsig,
    pdfsig_accepts,
    run,
    seed,
    unzip,
)

pytestmark = pytest.mark.usefixtures("test_stack")


def test_aidrec_verify_accepts_the_package_offline(package: Path, seeded: Seeded) -> None:
    done = run(sys.executable, "-m", "archive", "verify", package, "--trust-root", seeded.root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all checks passed" in done.stdout
    assert "FAIL" not in done.stdout
    for step in ("fixity", "package signature", "package timestamp", "chain", "segments",
                 "log inclusion", "gaps", "export record", "report signature"):
        assert f"PASS {step}" in done.stdout, step


def test_aidrec_verify_without_a_trust_root_exits_3_self_consistent_only(
        package: Path) -> None:
    """Fail closed: a package checked only against its own root (which a forger would have
    made too) never exits 0; every check still runs and passes."""
    done = run(sys.executable, "-m", "archive", "verify", package)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "self-consistent only" in done.stdout
    assert "--trust-root" in done.stdout and "received separately" in done.stdout
    assert "all checks passed" not in done.stdout and "FAIL" not in done.stdout
    as_json = run(sys.executable, "-m", "archive", "verify", package, "--json")
    assert as_json.returncode == 3
    body = json.loads(as_json.stdout)
    assert body["ok"] is True and body["self_consistent_only"] is True
    assert body["warnings"] == [PACKAGE_ROOT_WARNING]


def test_bagit_py_validates_the_unzipped_package(package: Path, tmp_path: Path) -> None:
    bag = unzip(package, tmp_path)
    done = bagit_validate(bag)
    assert done.returncode == 0, done.stderr
    bagit.Bag(str(bag)).validate()  # the library as well as its CLI


def test_openssl_verifies_every_signature_and_timestamp(package: Path, seeded: Seeded,
                                                        tmp_path: Path) -> None:
    bag = unzip(package, tmp_path)
    tagmanifest = bag / "tagmanifest-sha256.txt"
    signed = openssl_cms(tagmanifest, bag / "tagmanifest-sha256.txt.p7s", seeded.root)
    assert signed.returncode == 0, signed.stderr
    stamped = openssl_ts_data(tagmanifest, bag / "tagmanifest-sha256.txt.tsr", seeded.root)
    assert stamped.returncode == 0 and "Verification: OK" in stamped.stdout, stamped.stderr
    seals = sorted(bag.glob("data/recordings/*/seal")) + sorted(bag.glob("data/log/heads/*")) \
        + [bag / "data/export"]
    assert len(seals) >= 4
    for directory in seals:
        (json_file,) = [p for p in directory.glob("*.json") if p.name != "proof.json"]
        p7s, tsr = json_file.with_suffix(".p7s"), json_file.with_suffix(".tsr")
        cms = openssl_cms(json_file, p7s, seeded.root)
        assert cms.returncode == 0, (directory, cms.stderr)
        token = openssl_ts_of_signature(p7s, tsr, seeded.root)
        assert "Verification: OK" in token.stdout, (directory, token.stdout, token.stderr)


def test_pdfsig_shows_a_valid_trusted_signature(package: Path, seeded: Seeded,
                                                tmp_path: Path) -> None:
    bag = unzip(package, tmp_path)
    output = pdfsig(bag / "data/chain-of-custody.pdf", seeded.root, tmp_path / "nss")
    assert pdfsig_accepts(output), output
    assert "aidrec archive signer" in output


def test_package_holds_originals_byte_for_byte_and_everything_the_issue_lists(
        package: Path, seeded: Seeded, tmp_path: Path) -> None:
    bag = unzip(package, tmp_path)
    index = json.loads((bag / "data/package.json").read_text())
    assert [r["id"] for r in index["recordings"]] == seeded.recordings
    first, second = index["recordings"]
    assert len(first["segments"]) == 3 and len(second["segments"]) == 2
    originals = sorted(seeded.media.glob("r0-*.ts"))
    assert [(bag / s["file"]).read_bytes() for s in first["segments"]] == \
        [p.read_bytes() for p in originals]
    assert json.loads((bag / first["gaps"]).read_text())["gaps"][0]["cause"] == "stream_stalled"
    (document,) = first["documents"]
    assert (bag / document["files"]["transcript.vtt"]).read_text().startswith("WEBVTT")
    log = json.loads((bag / "data/access-log.json").read_text())
    assert log["events"][-1]["action"] == "export"
    assert log["events"][-1]["reason"] == "投诉核查 complaint 2026-17"
    readme = (bag / "README.txt").read_text()
    assert "bagit.py --validate" in readme and "pdfsig" in readme and "核验" in readme
    assert "Payload-Oxum" in (bag / "bag-info.txt").read_text()


def test_package_root_is_used_with_a_warning_and_a_foreign_root_fails(
        package: Path, tmp_path: Path) -> None:
    own = PackageVerifier().verify(package)
    assert own.ok, own.to_json()
    assert own.warnings == [PACKAGE_ROOT_WARNING]
    assert own.self_consistent_only
    foreign = make_throwaway_pki(tmp_path / "pki")
    report = PackageVerifier(trust_roots=[foreign.root_cert]).verify(package)
    assert not report.ok
    assert not report.self_consistent_only and not report.warnings
    failed = {c.name for c in report.checks if not c.ok}
    assert {"package signature", "signature", "report signature"} <= failed


def test_time_range_exports_whole_overlapping_segments_with_proofs(
        seeded: Seeded, tmp_path: Path) -> None:
    # 1.2 s into the first recording: segments 0 (0-1 s) and 1 (1-2.5 s) overlap
    # [0.5 s, 1.2 s) only partly; they are exported whole, segment 2 is not.
    selection = Selection(window_id=seeded.window_id, since=T0 + timedelta(seconds=0.5),
                          until=T0 + timedelta(seconds=1.2))
    result = seeded.export(tmp_path / "range.zip", selection, reason="抽查 spot check")
    assert (result.recordings, result.segments) == (1, 2)
    report = PackageVerifier(trust_roots=[seeded.root]).verify(result.path)
    assert report.ok, report.to_json()
    with zipfile.ZipFile(result.path) as archive:
        names = archive.namelist()
    assert sum("/segments/" in n for n in names) == 2
    assert sum("/proofs/segment-" in n for n in names) == 2


def test_a_second_export_lists_the_first_in_its_access_history(
        package: Path, seeded: Seeded, tmp_path: Path) -> None:
    result = seeded.export(tmp_path / "again.zip", Selection(session_ids=(seeded.sessions[1],)),
                           reason="复核 review")
    with zipfile.ZipFile(result.path) as archive:
        name = next(n for n in archive.namelist() if n.endswith("data/access-log.json"))
        events = json.loads(archive.read(name))["events"]
    exports = [e for e in events if e["action"] == "export"]
    assert [e["reason"] for e in exports][-2:] == ["投诉核查 complaint 2026-17", "复核 review"]
    assert exports[-2]["detail"]["completed_at"] is not None  # the first one was handed over


@pytest.mark.parametrize("catalog_url", ["postgresql"], indirect=True)
def test_round_trip_on_postgresql(test_stack: object, catalog_url: str,
                                  tmp_path: Path) -> None:
    from archive.devstack.ephemeral import EphemeralStack

    assert isinstance(test_stack, EphemeralStack)
    archive = open_archive(test_stack, tmp_path / "home", catalog_url)
    try:
        seeded = seed(archive, test_stack.pki.root_cert, tmp_path)
        result = seeded.export(tmp_path / "pg.zip", Selection(session_ids=(seeded.sessions[0],)))
        report = PackageVerifier(trust_roots=[test_stack.pki.root_cert]).verify(result.path)
        assert report.ok, report.to_json()
        assert result.segments == 3
    finally:
        archive.close()
