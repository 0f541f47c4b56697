"""Fixity: re-hash every object the catalog pins and report the missing or changed ones."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select

from archive.catalog.models import Seal, Segment, TreeHead
from archive.evidence.errors import ArchiveError, NotFoundError
from archive.services import Archive
from archive.verify.disposed import disposed_versions


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
class FixityResult:
    checked: int = 0
    bytes: int = 0
    problems: list[FixityProblem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"checked": self.checked, "bytes": self.bytes, "ok": not self.problems,
                "problems": [asdict(p) for p in self.problems]}


def pinned_objects(archive: Archive) -> list[PinnedObject]:
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


def run_fixity(archive: Archive, *, workers: int = 4,
               on_progress: Callable[[int, int], None] | None = None) -> FixityResult:
    items = pinned_objects(archive)
    total = sum(item.size for item in items)
    result = FixityResult()

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
    return result
