"""Exports as background jobs: the web service queues one, a worker builds it, the browser
polls its progress and downloads the file.

Register with the `aidrec.tasks` entry point `exports = "archive.export.jobs:register"`.
Job state is a small JSON file beside the package under `$AIDREC_HOME/exports/<id>/`, so the
API and the workers of one host share it without a schema change.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from huey import crontab
from sqlalchemy import select

from archive.access.people import Principal
from archive.catalog.db import Catalog
from archive.evidence.canonical import iso
from archive.evidence.errors import ArchiveError, NotFoundError
from archive.evidence.vocabulary import Role
from archive.export.offline.layout import ExportRequest, Selection
from archive.jobs import JobRegistry
from archive.verify.disposed import DisposalCertificate

logger = logging.getLogger(__name__)

EXPORT_TASK = "export_package"
SWEEP_TASK = "sweep_export_packages"
PACKAGE_FILE = "package.zip"
STATE_FILE = "state.json"
_JOB_ID = re.compile(r"[0-9a-f]{32}")
_PROGRESS_EVERY_S = 0.5

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


@dataclass
class ExportJob:
    """What a client can see of one export job."""

    id: str
    owner: str  # user id of the person who asked
    state: str
    created_at: str
    updated_at: str
    reason: str
    selection: dict[str, Any]
    principal: dict[str, str]
    actor: str
    actor_name: str = ""
    actor_role: str = ""
    stage: str = ""
    done_bytes: int = 0
    total_bytes: int = 0
    error: dict[str, str] | None = None
    result: dict[str, Any] = field(default_factory=dict)

    def request(self) -> ExportRequest:
        selection = self.selection
        return ExportRequest(
            selection=Selection(
                case=selection.get("case"), session_ids=tuple(selection.get("sessions", [])),
                window_id=selection.get("window"),
                since=_parse(selection.get("from")), until=_parse(selection.get("to"))),
            reason=self.reason, actor=self.actor, actor_name=self.actor_name,
            actor_role=self.actor_role)

    def who(self) -> Principal:
        p = self.principal
        return Principal(user_id=p["user_id"], role=Role(p["role"]),
                         jurisdiction_id=p["jurisdiction_id"],
                         jurisdiction_path=p["jurisdiction_path"])


class ExportJobs:
    """Job files under one directory; each job's state is replaced atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def create(self, request: ExportRequest, principal: Principal, *,
               now: datetime) -> ExportJob:
        job_id = uuid.uuid4().hex
        stamp = iso(now) or ""
        job = ExportJob(
            id=job_id, owner=principal.user_id, state=QUEUED, created_at=stamp,
            updated_at=stamp, reason=request.reason, selection=request.selection.as_dict(),
            principal={"user_id": principal.user_id, "role": principal.role.value,
                       "jurisdiction_id": principal.jurisdiction_id,
                       "jurisdiction_path": principal.jurisdiction_path},
            actor=request.actor, actor_name=request.actor_name, actor_role=request.actor_role)
        self.dir(job_id).mkdir(parents=True, exist_ok=False)
        self.save(job)
        return job

    def dir(self, job_id: str) -> Path:
        if not _JOB_ID.fullmatch(job_id):
            raise NotFoundError(f"export {job_id} does not exist", reason="no_export")
        return self.root / job_id

    def package(self, job_id: str) -> Path:
        return self.dir(job_id) / PACKAGE_FILE

    def get(self, job_id: str) -> ExportJob:
        """Raises:
            NotFoundError: reason no_export.
        """
        path = self.dir(job_id) / STATE_FILE
        try:
            return ExportJob(**json.loads(path.read_text()))
        except FileNotFoundError:
            raise NotFoundError(f"export {job_id} does not exist", reason="no_export") from None

    def get_for(self, job_id: str, principal: Principal) -> ExportJob:
        """A job only its owner sees (others get not-found, which leaks nothing)."""
        job = self.get(job_id)
        if job.owner != principal.user_id:
            raise NotFoundError(f"export {job_id} does not exist", reason="no_export")
        return job

    def save(self, job: ExportJob) -> None:
        directory = self.dir(job.id)
        fd, temp = tempfile.mkstemp(dir=directory, prefix=".state.")
        with os.fdopen(fd, "w") as handle:
            json.dump(asdict(job), handle, ensure_ascii=False)
        os.replace(temp, directory / STATE_FILE)

    def update(self, job_id: str, **changes: Any) -> ExportJob:
        job = self.get(job_id)
        for name, value in changes.items():
            setattr(job, name, value)
        job.updated_at = iso(datetime.now(UTC)) or ""
        self.save(job)
        return job


def jobs_root(home: Path) -> Path:
    return home / "exports"


def run_export_job(archive: Any, jobs: ExportJobs, job_id: str) -> None:
    """Build the package of one queued job; failures end up in its state, not raised."""
    from archive.export.builder import PackageBuilder

    job = jobs.update(job_id, state=RUNNING, stage="selecting")
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        moment = time.monotonic()
        if moment - last[0] >= _PROGRESS_EVERY_S or stage != "segments":
            last[0] = moment
            jobs.update(job_id, stage=stage, done_bytes=done, total_bytes=total)

    try:
        result = PackageBuilder(archive).export(
            job.request(), jobs.package(job_id), principal=job.who(), export_id=job_id,
            progress=progress)
    except ArchiveError as exc:
        logger.warning("export_failed", extra={"export_id": job_id, "reason": exc.reason})
        jobs.update(job_id, state=FAILED, error={"reason": exc.reason, "message": exc.message})
        return
    except Exception:  # the top of a worker task: record, log, never lose the job
        logger.exception("export_crashed", extra={"export_id": job_id})
        jobs.update(job_id, state=FAILED,
                    error={"reason": "internal", "message": "export failed; see worker log"})
        return
    jobs.update(job_id, state=DONE, stage="done", result={
        "bytes": result.size, "recordings": result.recordings, "segments": result.segments,
        "tagmanifest_sha256": result.tagmanifest_sha256,
        "package_sha256": file_sha256(result.path),
        "recording_ids": sorted(result.recording_ids),
        "session_ids": sorted(result.session_ids)})


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sweep_packages(catalog: Catalog, jobs: ExportJobs, *, now: datetime,
                   keep_days: int) -> list[str]:
    """Delete packages older than `keep_days` or holding a disposed recording's media.

    The job's state stays (marked `expired`, with the package's sha256), so a download names
    what is gone; the access log keeps the hash of every download. Returns the deleted ids.
    """
    if not jobs.root.is_dir():
        return []
    cutoff = now - timedelta(days=keep_days)
    with catalog.read() as db:
        disposed = set(db.scalars(select(DisposalCertificate.recording_id)))
    deleted = []
    for directory in sorted(jobs.root.iterdir()):
        if not _JOB_ID.fullmatch(directory.name) or not (directory / STATE_FILE).is_file():
            continue
        job = jobs.get(directory.name)
        package = jobs.package(job.id)
        if job.state != DONE or not package.is_file():
            continue
        finished = _parse(job.updated_at) or now
        why = "kept_days" if finished <= cutoff else "recording_disposed" if disposed & set(
            job.result.get("recording_ids", [])) else None
        if why is None:
            continue
        package.unlink(missing_ok=True)
        jobs.update(job.id, result={**job.result, "expired": why,
                                    "expired_at": iso(now)})
        logger.info("export_package_deleted", extra={"export_id": job.id, "why": why})
        deleted.append(job.id)
    return deleted


def register(registry: JobRegistry) -> None:
    """Add the export task and the daily package sweep to the queue (the `aidrec.tasks`
    entry point); idempotent."""
    if EXPORT_TASK in registry.tasks:
        return
    jobs = ExportJobs(jobs_root(Path(registry.settings.home)))

    @registry.huey.task(retries=0)  # type: ignore[untyped-decorator]
    def export_package(job_id: str) -> None:
        run_export_job(registry.archive(), jobs, job_id)

    @registry.huey.periodic_task(crontab(minute="17"))  # type: ignore[untyped-decorator]
    def sweep_export_packages() -> None:
        sweep_packages(registry.archive().catalog, jobs, now=datetime.now(UTC),
                       keep_days=registry.settings.archive.export_keep_days)

    registry.add_task(EXPORT_TASK, export_package)
    registry.add_task(SWEEP_TASK, sweep_export_packages)


def _parse(text: Any) -> datetime | None:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else None
