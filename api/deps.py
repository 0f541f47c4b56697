"""Request dependencies as Annotated aliases: the archive, the job queue, the calling device."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from archive import access, registry
from archive.access import Principal
from archive.catalog.models import Device
from archive.errors import PermissionDeniedError
from archive.ingest import Actor
from archive.jobs import Jobs
from archive.services import Archive

_bearer = HTTPBearer(auto_error=False)


def get_archive(request: Request) -> Archive:
    archive: Archive = request.app.state.archive
    return archive


def get_jobs(request: Request) -> Jobs:
    jobs: Jobs = request.app.state.jobs
    return jobs


def get_device(
    archive: Annotated[Archive, Depends(get_archive)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Device:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise PermissionDeniedError("a device bearer token is required", reason="no_token")
    with archive.catalog.read() as db:
        return registry.authenticate_device(db, token=credentials.credentials,
                                            now=datetime.now(UTC))


def get_principal(
    archive: Annotated[Archive, Depends(get_archive)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """A person, by API token (the web UI's login sessions come with the web service)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise PermissionDeniedError("an API token is required", reason="no_token")
    with archive.catalog.read() as db:
        return access.authenticate_api_token(db, token=credentials.credentials,
                                             now=datetime.now(UTC))


def get_device_actor(device: Annotated[Device, Depends(get_device)]) -> Actor:
    return Actor.of_device(device)


ArchiveDep = Annotated[Archive, Depends(get_archive)]
JobsDep = Annotated[Jobs, Depends(get_jobs)]
DeviceDep = Annotated[Device, Depends(get_device)]
DeviceActor = Annotated[Actor, Depends(get_device_actor)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
