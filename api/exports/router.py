"""Export endpoints: POST queues a package build, GET shows its progress, then the download."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from api.audit.log import Auditor, AuditorDep
from api.audit.reasons import ReasonDep
from api.deps import ArchiveDep, JobsDep, PrincipalDep
from api.errors import ErrorResponse
from api.exports.schemas import ExportIn, ExportOut
from archive.catalog.models import User
from archive.evidence.errors import ConfigurationError, ConflictError, NotFoundError
from archive.export.access import Actor, ExportRead, log_export
from archive.export.builder import PackageBuilder
from archive.export.jobs import DONE, EXPORT_TASK, ExportJobs, file_sha256, jobs_root
from archive.export.offline.layout import ExportRequest, Selection

router = APIRouter(
    prefix="/api/v1/exports", tags=["exports"],
    responses={code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409)},
)

JobId = Annotated[str, PathParam(min_length=32, max_length=32, pattern="^[0-9a-f]{32}$")]


def _jobs(home: Path) -> ExportJobs:
    return ExportJobs(jobs_root(home))


@router.post("", status_code=202)
def create_export(body: ExportIn, archive: ArchiveDep, jobs: JobsDep,
                  auditor: AuditorDep) -> ExportOut:
    """Check the request now (arguments, existence, permission), then build it as a job.

    The creation is an access-log entry (who, the export id, what it selects, why).
    """
    principal = auditor.principal
    with archive.catalog.read() as db:
        user = db.get(User, principal.user_id)
    request = ExportRequest(
        selection=Selection(case=body.case, session_ids=tuple(body.sessions),
                            window_id=body.window, since=body.since, until=body.until),
        reason=body.reason, actor=f"user:{principal.user_id}",
        actor_name=user.name if user else "", actor_role=principal.role.value)
    targets = PackageBuilder(archive, documents={}, access_logs={}).check(request, principal)
    task = jobs.tasks.get(EXPORT_TASK)
    if task is None:
        raise ConfigurationError("the export task is not registered: install the "
                                 "aidrec.tasks entry point archive.export.jobs:register",
                                 reason="no_export_task")
    store = _jobs(archive.settings.home)
    job = store.create(request, principal, now=datetime.now(UTC))
    log_export(archive.catalog, _actor(auditor), action="export", reason=body.reason,
               read=ExportRead(export_id=job.id, recording_ids=list(targets.intervals),
                               session_ids=targets.session_ids,
                               extra={"selection": job.selection}))
    task(job.id)
    return ExportOut.of(store.get(job.id))


@router.get("/{job_id}")
def get_export(job_id: JobId, archive: ArchiveDep, principal: PrincipalDep) -> ExportOut:
    """Progress of one of the caller's exports."""
    return ExportOut.of(_jobs(archive.settings.home).get_for(job_id, principal))


@router.get("/{job_id}/download", response_class=FileResponse,
            responses={200: {"content": {"application/zip": {}}}})
def download_export(job_id: JobId, archive: ArchiveDep, auditor: AuditorDep,
                    reason: ReasonDep) -> FileResponse:
    """The finished package, once its job is done; each download is logged with its reason
    and the package's sha256 (polling the job is not)."""
    principal = auditor.principal
    store = _jobs(archive.settings.home)
    job = store.get_for(job_id, principal)
    if job.state != DONE:
        raise ConflictError(f"export {job_id} is {job.state}, not done", reason="not_ready")
    package = store.package(job_id)
    if not package.is_file():
        raise NotFoundError(f"the package of export {job_id} is no longer kept",
                            reason="package_gone")
    with archive.catalog.read() as db:
        reason.validate(db, principal)
    result = job.result
    log_export(archive.catalog, _actor(auditor), action="download", reason=reason.log_ref,
               reason_kind=reason.kind, read=ExportRead(
                   export_id=job.id, recording_ids=result.get("recording_ids", []),
                   session_ids=result.get("session_ids", []),
                   package_sha256=result.get("package_sha256") or file_sha256(package),
                   tagmanifest_sha256=result.get("tagmanifest_sha256"),
                   extra={"export_reason": job.reason[:2000],
                          "bytes": result.get("bytes")}))
    return FileResponse(package, media_type="application/zip",
                        filename=f"aidrec-export-{job_id}.zip")


def _actor(auditor: Auditor) -> Actor:
    p = auditor.principal
    return Actor(user_id=p.user_id, role=p.role.value, ip=auditor.ip,
                 user_agent=auditor.user_agent, scope_path=p.jurisdiction_path)
