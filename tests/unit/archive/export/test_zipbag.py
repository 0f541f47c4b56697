"""The streaming BagIt-in-zip writer: bagit-python accepts what it writes; the checker
names files added, removed or changed."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import bagit
import pytest

from archive.evidence.report import Report
from archive.export.offline.bagcheck import check_bag, check_container
from archive.export.offline.bagread import parse_manifest
from archive.export.zipbag import ZipBagWriter, manifest_txt

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def _write_bag(path: Path, *, signer: bool = True) -> bytes:
    with path.open("wb") as handle:
        writer = ZipBagWriter(handle, bag_name="bag-1", moment=NOW)
        writer.add_payload("data/a.json", b'{"a":1}')
        big = (b"\x47" + bytes(range(187))) * 20000  # ~3.7 MB in many chunks
        writer.add_payload_stream("data/media/000000.ts",
                                  (big[i:i + 65536] for i in range(0, len(big), 65536)),
                                  size_hint=len(big))
        tagmanifest = writer.finish(
            bag_info=[("External-Identifier", "x\nwith newline")],
            tag_files={"README.txt": "说明 readme\n".encode()},
            sign=(lambda data: {"tagmanifest-sha256.txt.p7s": b"sig:" + data[:8]})
            if signer else None)
        writer.close()
    return tagmanifest


def test_bagit_python_validates_the_unzipped_bag(tmp_path: Path) -> None:
    tagmanifest = _write_bag(tmp_path / "b.zip")
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        assert all(i.compress_type == zipfile.ZIP_STORED for i in archive.infolist())
        archive.extractall(tmp_path / "out")
    bag = bagit.Bag(str(tmp_path / "out" / "bag-1"))
    bag.validate()
    assert bag.info["Payload-Oxum"].endswith(".2")
    assert bag.info["External-Identifier"] == "x with newline"
    assert (tmp_path / "out/bag-1/tagmanifest-sha256.txt").read_bytes() == tagmanifest
    listed = parse_manifest(tagmanifest, what="t")
    assert set(listed) == {"bagit.txt", "bag-info.txt", "manifest-sha256.txt",
                           "manifest-sha512.txt", "README.txt"}


def _check(path: Path) -> Report:
    report = Report(target="t")
    with zipfile.ZipFile(path) as archive:
        bag = check_container(report, archive)
        assert bag is not None
        check_bag(report, bag)
    return report


def _rewrite(src: Path, dst: Path, *, drop: str | None = None,
             change: str | None = None, add: str | None = None) -> None:
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dst, "w") as new:
        for info in old.infolist():
            if info.filename == drop:
                continue
            data = old.read(info)
            if info.filename == change:
                data = bytes([data[0] ^ 1]) + data[1:]
            new.writestr(info, data)
        if add:
            new.writestr(add, b"planted")


def _failed(report: Report) -> dict[str, str]:
    assert not report.ok
    return {c.subject: c.detail for c in report.checks if not c.ok}


def test_clean_bag_passes_every_check(tmp_path: Path) -> None:
    _write_bag(tmp_path / "b.zip")
    assert _check(tmp_path / "b.zip").ok


@pytest.mark.parametrize(("kind", "name", "subject", "detail"), [
    ("change", "bag-1/data/media/000000.ts", "data/media/000000.ts", "file changed"),
    ("drop", "bag-1/data/a.json", "data/a.json", "removed"),
    ("add", "bag-1/data/extra.bin", "data/extra.bin", "added"),
    ("change", "bag-1/manifest-sha256.txt", "manifest-sha256.txt", "file changed"),
])
def test_tampering_is_named(tmp_path: Path, kind: str, name: str, subject: str,
                            detail: str) -> None:
    _write_bag(tmp_path / "b.zip")
    _rewrite(tmp_path / "b.zip", tmp_path / "t.zip", **{kind: name})
    failed = _failed(_check(tmp_path / "t.zip"))
    assert subject in failed, failed
    assert detail in failed[subject]


def test_duplicate_and_escaping_entries_are_refused(tmp_path: Path) -> None:
    _write_bag(tmp_path / "b.zip")
    with zipfile.ZipFile(tmp_path / "b.zip", "a") as archive, \
            pytest.warns(UserWarning, match="Duplicate name"):
        archive.writestr("bag-1/data/a.json", b"second copy")
    report = Report(target="t")
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        assert check_container(report, archive) is None
    assert "appears twice" in report.checks[-1].detail


def test_manifest_lines_are_sorted_digest_two_spaces_path() -> None:
    from archive.export.zipbag import BagEntry

    entries = [BagEntry("data/b", 1, "bb", "BB"), BagEntry("data/a", 1, "aa", "AA")]
    assert manifest_txt(entries, "sha256") == b"aa  data/a\nbb  data/b\n"
    assert hashlib.sha512(b"").hexdigest()  # sanity: both algorithms available
