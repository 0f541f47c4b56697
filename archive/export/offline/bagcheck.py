"""Steps 1-4 of package verification: the zip, the BagIt declaration, the manifests, fixity.

The zip is read in place, never extracted; each file is read once and hashed with both
algorithms, and those digests are what later steps compare with the seals.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from archive.evidence.errors import InvalidInputError
from archive.evidence.report import Report
from archive.export.offline.bagread import bag_root_of, parse_manifest
from archive.export.offline.layout import BAG_ALGORITHMS, BAGIT_VERSION

CHUNK = 1024 * 1024
MAX_SMALL = 64 * 1024 * 1024  # metadata files read whole; media are only ever streamed


@dataclass(frozen=True)
class Digests:
    size: int
    sha256: str
    sha512: str


class ZipBag:
    """Read access to the one bag inside a zip, by bag-relative path."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        infos = archive.infolist()
        names = [i.filename for i in infos if not i.is_dir()]
        self.root = bag_root_of(names)
        self.zip = archive
        self.files: dict[str, zipfile.ZipInfo] = {}
        duplicates = []
        for info in infos:
            if info.is_dir():
                continue
            relative = info.filename[len(self.root) + 1:]
            if relative in self.files:
                duplicates.append(relative)
            self.files[relative] = info
        self.duplicates = duplicates

    def exists(self, path: str) -> bool:
        return path in self.files

    def read(self, path: str) -> bytes:
        """A small file, whole.

        Raises:
            InvalidInputError: reason missing_file or too_large.
        """
        info = self.files.get(path)
        if info is None:
            raise InvalidInputError(f"{path} is missing from the package", reason="missing_file")
        if info.file_size > MAX_SMALL:
            raise InvalidInputError(f"{path} is {info.file_size} bytes, too large to be "
                                    "metadata", reason="too_large")
        return self.zip.read(info)

    def chunks(self, path: str) -> Iterator[bytes]:
        with self.zip.open(self.files[path]) as handle:
            while chunk := handle.read(CHUNK):
                yield chunk


def check_container(report: Report, archive: zipfile.ZipFile) -> ZipBag | None:
    """Step 1: one bag directory, plain stored or deflated files, no name twice or outside."""
    try:
        bag = ZipBag(archive)
    except InvalidInputError as exc:
        report.add("container", False, exc.message)
        return None
    problems = []
    for info in archive.infolist():
        name = info.filename
        if name.startswith("/") or ".." in name.split("/") or "\\" in name:
            problems.append(f"entry {name!r} points outside the bag")
        if info.flag_bits & 0x1:
            problems.append(f"entry {name} is encrypted")
    problems += [f"{p} appears twice in the zip" for p in bag.duplicates]
    if problems:
        for problem in problems:
            report.add("container", False, problem)
        return None
    report.add("container", True, f"one bag {bag.root}/ with {len(bag.files)} files")
    return bag


def check_bag(report: Report, bag: ZipBag) -> dict[str, Digests]:
    """Steps 2-4: declaration, manifests complete both ways, every file's digests.

    Returns the digests computed from the bytes of every payload file that could be read.
    """
    # 2. The declaration.
    declared = bag.read("bagit.txt") if bag.exists("bagit.txt") else b""
    expected = f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n"
    report.add("bagit.txt", declared == expected.encode(),
               f"BagIt {BAGIT_VERSION}, UTF-8" if declared == expected.encode() else
               f"got {declared[:80]!r}, expected {expected!r}", "bagit.txt")
    # 3. Manifests: every payload file listed by every manifest, and nothing else.
    manifests: dict[str, dict[str, str]] = {}
    tagmanifests: dict[str, dict[str, str]] = {}
    for algorithm in BAG_ALGORITHMS:
        for kind, target in (("manifest", manifests), ("tagmanifest", tagmanifests)):
            name = f"{kind}-{algorithm}.txt"
            try:
                target[algorithm] = parse_manifest(bag.read(name), what=name)
            except InvalidInputError as exc:
                report.add("manifests", False, exc.message, name)
    payload = {p for p in bag.files if p.startswith("data/")}
    complete = True
    for algorithm, listed in manifests.items():
        for path in sorted(payload - set(listed)):
            complete = report.add("completeness", False, f"file is not in manifest-{algorithm}"
                                  ".txt (added to the package?)", path)
        for path in sorted(set(listed) - payload):
            complete = report.add("completeness", False, f"listed in manifest-{algorithm}.txt "
                                  "but missing (removed from the package?)", path)
        for path in sorted(p for p in listed if not p.startswith("data/")):
            complete = report.add("completeness", False, "a payload manifest lists a file "
                                  "outside data/", path)
    for algorithm, listed in tagmanifests.items():
        for path in sorted(p for p in listed if p not in bag.files):
            complete = report.add("completeness", False, f"listed in tagmanifest-{algorithm}"
                                  ".txt but missing", path)
    if complete and len(manifests) == len(BAG_ALGORITHMS):
        report.add("completeness", True, f"{len(payload)} payload files, each in the SHA-256 "
                   "and SHA-512 manifests")
    _check_oxum(report, bag, payload)
    # 4. Fixity: read every file once.
    return _fixity(report, bag, payload, manifests, tagmanifests)


def _check_oxum(report: Report, bag: ZipBag, payload: set[str]) -> None:
    try:
        info = bag.read("bag-info.txt").decode()
    except (InvalidInputError, UnicodeDecodeError) as exc:
        report.add("bag-info.txt", False, f"unreadable: {exc}", "bag-info.txt")
        return
    oxum = next((line.split(":", 1)[1].strip() for line in info.splitlines()
                 if line.startswith("Payload-Oxum:")), None)
    actual = f"{sum(bag.files[p].file_size for p in payload)}.{len(payload)}"
    report.add("bag-info.txt", oxum == actual, f"Payload-Oxum {actual}" if oxum == actual
               else f"got Payload-Oxum {oxum}, the payload is {actual} (octets.files)",
               "bag-info.txt")


def _fixity(report: Report, bag: ZipBag, payload: set[str],
            manifests: dict[str, dict[str, str]],
            tagmanifests: dict[str, dict[str, str]], *, workers: int = 2) -> dict[str, Digests]:
    tagged = {p for listed in tagmanifests.values() for p in listed}
    digests: dict[str, Digests] = {}
    bad = 0
    paths = sorted(payload | (tagged & set(bag.files)))
    # Files are hashed two at a time: hashing and reading release the GIL, and zipfile
    # reads members of one archive concurrently.
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = pool.map(_hash_or_error, [bag] * len(paths), paths)
        for path, (digest, error) in zip(paths, results, strict=True):
            if digest is None:
                bad += 1
                report.add("fixity", False, f"unreadable zip entry: {error}", path)
                continue
            if path in payload:
                digests[path] = digest
            listings = manifests if path in payload else tagmanifests
            for algorithm, listed in listings.items():
                want = listed.get(path)
                got = digest.sha256 if algorithm == "sha256" else digest.sha512
                if want is not None and want != got:
                    bad += 1
                    report.add("fixity", False, f"{algorithm} is {got[:16]}…, the manifest "
                               f"says {want[:16]}… (file changed?)", path)
    if bad == 0:
        report.add("fixity", True, f"{len(digests)} payload and {len(tagged)} tag files match "
                   "their SHA-256 and SHA-512")
    return digests


def _hash_or_error(bag: ZipBag, path: str) -> tuple[Digests | None, str]:
    try:
        return _hash(bag, path), ""
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return None, str(exc)


def _hash(bag: ZipBag, path: str) -> Digests:
    sha256, sha512 = hashlib.sha256(), hashlib.sha512()
    size = 0
    for chunk in bag.chunks(path):  # zipfile checks each entry's CRC-32 at its end
        sha256.update(chunk)
        sha512.update(chunk)
        size += len(chunk)
    return Digests(size, sha256.hexdigest(), sha512.hexdigest())
