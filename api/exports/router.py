"""Export endpoints: POST queues a package build, GET shows its progress, then the download."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from api.deps import ArchiveDep, JobsDep, PrincipalDep
from api.errors import ErrorResponse
from api.exports.schemas import ExportIn, ExportOut
from archive.catalog.models import User
from archive.evidence.errors import ConfigurationError, ConflictError, NotFoundError
from archive.export.builder import PackageBuilder
from archive.export.jobs import DONE, EXPORT_TASK, ExportJobs, jobs_root
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
                  principal: PrincipalDep) -> ExportOut:
    """Check the request now (arguments, existence, permission), then build it as a job."""
    with archive.catalog.read() as db:
        user = db.get(User, principal.user_id)
    request = ExportRequest(
        selection=Selection(case=body.case, session_ids=tuple(body.sessions),
                            window_id=body.window, since=body.since, until=body.until),
        reason=body.reason, actor=f"user:{principal.user_id}",
        actor_name=user.name if user else "", actor_role=principal.role.value)
    PackageBuilder(archive, documents={}, access_logs={}).check(request, principal)
    task = jobs.tasks.get(EXPORT_TASK)
    if task is None:
        raise ConfigurationError("the export task is not registered: install the "
                                 "aidrec.tasks entry point archive.export.jobs:register",
                                 reason="no_export_task")
    store = _jobs(archive.settings.home)
    job = store.create(request, principal, now=datetime.now(UTC))
    task(job.id)
    return ExportOut.of(store.get(job.id))


@router.get("/{job_id}")
def get_export(job_id: JobId, archive: ArchiveDep, principal: PrincipalDep) -> ExportOut:
    """Progress of one of the caller's exports."""
    return ExportOut.of(_jobs(archive.settings.home).get_for(job_id, principal))


@router.get("/{job_id}/download", response_class=FileResponse,
            responses={200: {"content": {"application/zip": {}}}})
def download_export(job_id: JobId, archive: ArchiveDep,
                    principal: PrincipalDep) -> FileResponse:
    """The finished package, once its job is done."""
    store = _jobs(archive.settings.home)
    job = store.get_for(job_id, principal)
    if job.state != DONE:
        raise ConflictError(f"export {job_id} is {job.state}, not done", reason="not_ready")
    package = store.package(job_id)
    if not package.is_file():
        raise NotFoundError(f"the package of export {job_id} is no longer kept",
                            reason="package_gone")
    return FileResponse(package, media_type="application/zip",
                        filename=f"aidrec-export-{job_id}.zip")
