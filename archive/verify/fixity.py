"""Fixity: re-hash every object the catalog pins and report the missing or changed ones."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select

from archive.catalog.db import Catalog
from archive.catalog.models import Seal, Segment, TreeHead
from archive.evidence.errors import ArchiveError, NotFoundError
from archive.evidence.report import Report
from archive.store.objects import ObjectStore
from archive.verify.disposed import disposed_versions


class Holdings(Protocol):
    """What fixity reads: the catalog that pins versions and the store that holds them."""

    catalog: Catalog
    store: ObjectStore


@dataclass(frozen=True)
class PinnedObject:
    key: str
    version_id: str
    sha256: str
    size: int


@dataclass(frozen=True)
class FixityProblem:
    key: str
    version_id: str
    state: str  # "missing", "changed", "unreadable"
    detail: str


@dataclass
class FixityReport(Report):
    """One check per missing, changed or unreadable object, or one that all of them match."""

    checked: int = 0
    bytes: int = 0
    problems: list[FixityProblem] = field(default_factory=list)


def pinned_objects(archive: Holdings) -> list[PinnedObject]:
    """Every version the catalog pins, less originals disposed of under a certificate."""
    with archive.catalog.read() as db:
        disposed = disposed_versions(db)
        found = [PinnedObject(k, v, h, n) for k, v, h, n in db.execute(
            select(Segment.object_key, Segment.version_id, Segment.sha256, Segment.size)
            .order_by(Segment.id)) if (k, v) not in disposed]
        for objects in db.scalars(select(Seal.objects)):
            found.extend(_from_refs(objects))
        for objects in db.scalars(select(TreeHead.objects)):
            found.extend(_from_refs(objects))
    return found


def _from_refs(objects: dict[str, Any]) -> Iterator[PinnedObject]:
    for ref in objects.values():
        yield PinnedObject(ref["key"], ref["version_id"], ref["sha256"], ref["size"])


def run_fixity(archive: Holdings, *, workers: int = 4,
               on_progress: Callable[[int, int], None] | None = None) -> FixityReport:
    items = pinned_objects(archive)
    total = sum(item.size for item in items)
    result = FixityReport(target="fixity")

    def check(item: PinnedObject) -> tuple[PinnedObject, FixityProblem | None, int]:
        try:
            digest, size = archive.store.hash_object(item.key, version_id=item.version_id)
        except NotFoundError as exc:
            return item, FixityProblem(item.key, item.version_id, "missing", exc.message), 0
        except ArchiveError as exc:
            return item, FixityProblem(item.key, item.version_id, "unreadable", exc.message), 0
        if digest != item.sha256 or size != item.size:
            return item, FixityProblem(item.key, item.version_id, "changed",
                                       f"hashes to {digest} ({size} B), pinned {item.sha256} "
                                       f"({item.size} B)"), size
        return item, None, size

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for _item, problem, size in pool.map(check, items):
            result.checked += 1
            result.bytes += size
            if problem is not None:
                result.problems.append(problem)
            if on_progress is not None:
                on_progress(size, total)
    result.target = f"fixity: {result.checked} objects, {result.bytes} bytes re-hashed"
    for problem in result.problems:
        result.add("object", False, f"{problem.state}: {problem.detail}",
                   f"{problem.key} version {problem.version_id}")
    if not result.problems:
        result.add("objects", True, "every object hashes to what the catalog pins")
    return result
