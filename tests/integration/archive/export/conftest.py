"""A seeded archive on the real stack, packages exported from it once per module, and the
third-party tools an inspector would use."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.devstack.ephemeral import EphemeralStack
from archive.evidence.vocabulary import GapCause, Stage
from archive.export.builder import ExportResult, PackageBuilder
from archive.export.offline.layout import ExportRequest, Interval, Selection
from archive.ingest.importer import import_files
from archive.ingest.service import Actor, report_gap
from archive.services import Archive
from archive.verify.documents import SealedDocument
from tests.support import bootstrap_tree, make_media

CASE = "云援〔2026〕0007号"
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
OPERATOR = Actor("operator:test", None)
BAGIT = str(Path(sys.executable).parent / "bagit.py")  # installed beside the interpreter


@dataclass
class Seeded:
    archive: Archive
    root: Path  # the root certificate an inspector receives separately
    window_id: str
    recordings: list[str]
    sessions: list[str]
    transcripts: dict[str, SealedDocument]
    media: Path

    def builder(self) -> PackageBuilder:
        def transcripts(db: object, *, recording_id: str,
                        intervals: Sequence[Interval]) -> list[SealedDocument]:
            found = self.transcripts.get(recording_id)
            return [found] if found else []

        return PackageBuilder(self.archive, documents={"test": transcripts}, access_logs={})

    def export(self, out: Path, selection: Selection | None = None, *,
               reason: str = "投诉核查 complaint 2026-17") -> ExportResult:
        request = ExportRequest(selection=selection or Selection(case=CASE), reason=reason,
                                actor="operator:test", actor_role="operator")
        return self.builder().export(request, out, principal=None)


def open_archive(stack: EphemeralStack, home: Path, catalog_url: str) -> Archive:
    archive = Archive.from_settings(stack.settings(home=home, catalog_url=catalog_url))
    archive.catalog.migrate()
    return archive


def seed(archive: Archive, root: Path, tmp: Path) -> Seeded:
    """Two recordings on one window, both with a session of the case; a gap; a transcript."""
    tree = bootstrap_tree(archive)
    recordings, sessions = [], []
    for number, (count, kind, start) in enumerate([(3, "ts", T0),
                                                   (2, "wav", T0 + timedelta(hours=1))]):
        files = [make_media(tmp / f"r{number}-{i}.{kind}", seconds=1 + i * 0.5, kind=kind)
                 for i in range(count)]
        result = import_files(archive, files, actor=OPERATOR, window_id=tree.window_id,
                              case_number=CASE, stage=Stage.CONSULTATION, staff_id="s-001",
                              started_at=start)
        assert result.sealed
        recordings.append(result.recording_id)
        sessions.append(result.session_id)
    report_gap(archive.catalog, actor=OPERATOR, recording_id=recordings[0],
               started_at=T0 + timedelta(seconds=1), ended_at=T0 + timedelta(seconds=2),
               cause=GapCause.STREAM_STALLED, detail="网络抖动 network jitter")
    return Seeded(archive=archive, root=root, window_id=tree.window_id, recordings=recordings,
                  sessions=sessions, transcripts={recordings[0]: seal_transcript(
                      archive, recordings[0])}, media=tmp)


def seal_transcript(archive: Archive, recording_id: str) -> SealedDocument:
    """A sealed document shaped like transcribe's: JSON naming its WebVTT by hash."""
    vtt = "WEBVTT\n\n00:00.000 --> 00:01.000\n您好，请问有什么可以帮您？\n".encode()
    prefix = f"recordings/{recording_id}/transcripts/000001"
    digest = hashlib.sha256(vtt).hexdigest()
    stored = archive.store.put_locked(f"{prefix}/transcript.vtt", vtt, length=len(vtt),
                                      sha256_hex=digest, retain_until=T0 + timedelta(days=400),
                                      content_type="text/vtt")
    document = json.dumps({"format": "aidrec-transcript/1", "recording": {"id": recording_id},
                           "files": {"transcript.vtt": {"sha256": digest, "size": len(vtt)}},
                           "lines": [{"text": "您好，请问有什么可以帮您？"}]},
                          ensure_ascii=False, sort_keys=True).encode()
    ref = f"{recording_id}/transcript/1"
    seal = archive.sealer.seal_document(kind="transcript", ref=ref, prefix=prefix,
                                        name="transcript", data=document,
                                        retain_until=T0 + timedelta(days=400),
                                        now=datetime.now(UTC))
    objects = {**seal.objects, "transcript.vtt": {
        "key": stored.key, "version_id": stored.version_id, "sha256": digest,
        "size": len(vtt)}}
    return SealedDocument(kind="transcript", ref=ref, name="transcript", sha256=seal.sha256,
                          objects=objects, log_index=seal.log_index,
                          tree_head_id=seal.tree_head_id,
                          recording_id=recording_id, title="转写稿 第1版")


@pytest.fixture(scope="module")
def seeded(test_stack: EphemeralStack,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    base = tmp_path_factory.mktemp("package")
    archive = open_archive(test_stack, base / "home", f"sqlite:///{base / 'catalog.db'}")
    root = base / "ROOT.pem"
    shutil.copy(test_stack.pki.root_cert, root)
    try:
        yield seed(archive, root, base)
    finally:
        archive.close()


@pytest.fixture(scope="module")
def package(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The case exported once per module; tests tamper with copies."""
    out = tmp_path_factory.mktemp("exported") / "case.zip"
    seeded.export(out)
    return out


# --- the inspector's tools -------------------------------------------------------------------


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120,
                          check=False, cwd=cwd)


def unzip(package: Path, into: Path) -> Path:
    """The unzipped bag directory (an inspector uses `unzip`; Debian may lack it)."""
    into.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(package) as archive:
        archive.extractall(into)
    (bag,) = into.iterdir()
    return bag


def rezip(bag: Path, package: Path) -> None:
    """`zip -0`: what an attacker would hand over after editing the unzipped bag."""
    package.unlink(missing_ok=True)
    done = run("zip", "-q", "-0", "-r", package, bag.name, cwd=bag.parent)
    assert done.returncode == 0, done.stderr


def rebag(bag: Path) -> None:
    """An attacker recomputes every manifest so that the bag itself looks valid."""
    payload = sorted(p for p in (bag / "data").rglob("*") if p.is_file())
    for algorithm in ("sha256", "sha512"):
        lines = [f"{hashlib.new(algorithm, p.read_bytes()).hexdigest()}  "
                 f"{p.relative_to(bag).as_posix()}\n" for p in payload]
        (bag / f"manifest-{algorithm}.txt").write_text("".join(lines))
    info = [line for line in (bag / "bag-info.txt").read_text().splitlines()
            if not line.startswith("Payload-Oxum")]
    octets = sum(p.stat().st_size for p in payload)
    (bag / "bag-info.txt").write_text("\n".join([*info, f"Payload-Oxum: {octets}."
                                                 f"{len(payload)}"]) + "\n")
    tags = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt",
            "README.txt"]
    for algorithm in ("sha256", "sha512"):
        lines = [f"{hashlib.new(algorithm, (bag / t).read_bytes()).hexdigest()}  {t}\n"
                 for t in tags]
        (bag / f"tagmanifest-{algorithm}.txt").write_text("".join(lines))


def bagit_validate(bag: Path) -> subprocess.CompletedProcess[str]:
    return run(BAGIT, "--validate", "--quiet", bag)


def openssl_cms(content: Path, signature: Path, root: Path) -> subprocess.CompletedProcess[str]:
    return run("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", signature,
               "-content", content, "-CAfile", root, "-purpose", "any", "-out", "/dev/null")


def openssl_ts_data(data: Path, token: Path, root: Path) -> subprocess.CompletedProcess[str]:
    return run("openssl", "ts", "-verify", "-data", data, "-in", token, "-token_in",
               "-CAfile", root)


def openssl_ts_of_signature(p7s: Path, token: Path,
                            root: Path) -> subprocess.CompletedProcess[str]:
    """The README's recipe: the token dates the signature value inside the CMS."""
    from archive.export.readme import SIGNATURE_DIGEST_SH

    script = (f'P7S="{p7s}"; DIGEST=$({SIGNATURE_DIGEST_SH}); openssl ts -verify -digest '
              f'"$DIGEST" -in "{token}" -token_in -CAfile "{root}"')
    return run("bash", "-c", script)


def pdfsig(pdf: Path, root: Path, nss: Path) -> str:
    """pdfsig with an NSS database that trusts the root (certutil, libnss3-tools)."""
    if not nss.exists():
        nss.mkdir()
        assert run("certutil", "-N", "-d", f"sql:{nss}", "--empty-password").returncode == 0
        added = run("certutil", "-A", "-d", f"sql:{nss}", "-n", "aidrec-root", "-t", "CT,C,C",
                    "-i", root)
        assert added.returncode == 0, added.stderr
    done = run("pdfsig", "-nssdir", f"sql:{nss}", pdf)
    return done.stdout + done.stderr


def pdfsig_accepts(output: str) -> bool:
    """Every signature valid and trusted, and the last one (the document timestamp) covering
    the whole file; pdfsig exits 0 either way, so its words are what count."""
    blocks = output.split("Signature #")[1:]
    return bool(blocks) and "Signature is Valid." in blocks[0] and \
        "Certificate is Trusted." in blocks[0] and "Total document signed" in blocks[-1] \
        and "Not total document signed" not in blocks[-1]


def zip_names(package: Path) -> list[str]:
    with zipfile.ZipFile(package) as archive:
        return archive.namelist()
