"""Administration endpoints (administrators only, within their subtree)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path

from api import roles
from api.admin import schemas, service
from api.audit.log import AuditorDep
from api.deps import ArchiveDep, WebDep
from api.errors import ErrorResponse
from archive.access.people import require_role
from archive.catalog.models import Device, User

router = APIRouter(
    prefix="/api/v1/admin", tags=["admin"],
    responses={code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409)},
)

Id = Annotated[str, Path(max_length=64)]


def _device_out(device: Device, name: str) -> schemas.DeviceOut:
    return schemas.DeviceOut(id=device.id, name=device.name,
                             jurisdiction_id=device.jurisdiction_id, jurisdiction_name=name,
                             created_at=device.created_at, revoked_at=device.revoked_at,
                             last_heartbeat_at=device.last_heartbeat_at)


def _user_out(user: User, name: str) -> schemas.UserOut:
    return schemas.UserOut(id=user.id, name=user.name, role=user.role.value,
                           jurisdiction_id=user.jurisdiction_id, jurisdiction_name=name,
                           has_password=user.password_hash is not None,
                           disabled_at=user.disabled_at, created_at=user.created_at)


@router.get("/jurisdictions")
def list_jurisdictions(archive: ArchiveDep,
                       auditor: AuditorDep) -> list[schemas.JurisdictionOut]:
    """The jurisdiction subtree, in tree order."""
    require_role(auditor.principal, *roles.ADMIN)
    with archive.catalog.read() as db:
        return [schemas.JurisdictionOut(id=j.id, name=j.name, level=j.level.value,
                                        parent_id=j.parent_id, path=j.path)
                for j in service.list_jurisdictions(db, auditor.principal)]


@router.post("/jurisdictions", status_code=201)
def create_jurisdiction(body: schemas.JurisdictionIn, archive: ArchiveDep,
                        auditor: AuditorDep) -> schemas.JurisdictionOut:
    """Add a prefecture, county or station under one of yours."""
    require_role(auditor.principal, *roles.ADMIN)
    with archive.catalog.write() as db:
        node = service.create_jurisdiction(db, auditor.principal, id=body.id, name=body.name,
                                           level=body.level, parent_id=body.parent_id)
        auditor.log("admin", db=db, target_type="jurisdiction", target_id=node.id,
                    scope_path=node.path, detail={"change": "created"})
        return schemas.JurisdictionOut(id=node.id, name=node.name, level=node.level.value,
                                       parent_id=node.parent_id, path=node.path)


@router.get("/windows")
def list_windows(archive: ArchiveDep, auditor: AuditorDep) -> list[schemas.AdminWindowOut]:
    require_role(auditor.principal, *roles.ADMIN)
    with archive.catalog.read() as db:
        return [schemas.AdminWindowOut(id=w.id, name=w.name, kind=w.kind.value,
                                       jurisdiction_id=w.jurisdiction_id, jurisdiction_name=n)
                for w, n in service.list_windows(db, auditor.principal)]


@router.post("/windows", status_code=201)
def create_window(body: schemas.WindowIn, archive: ArchiveDep,
                  auditor: AuditorDep) -> schemas.AdminWindowOut:
    """Add a window, interview room or hotline line (with its first camera)."""
    require_role(auditor.principal, *roles.ADMIN)
    with archive.catalog.write() as db:
        window = service.create_window(db, auditor.principal, id=body.id, name=body.name,
                                       jurisdiction_id=body.jurisdiction_id, kind=body.kind)
        auditor.log("admin", db=db, target_type="window", target_id=window.id,
                    window_id=window.id, detail={"change": "created"})
        return schemas.AdminWindowOut(id=window.id, name=window.name, kind=window.kind.value,
                                      jurisdiction_id=window.jurisdiction_id,
                                      jurisdiction_name=body.jurisdiction_id)


@router.get("/devices")
def list_devices(archive: ArchiveDep, auditor: AuditorDep) -> list[schemas.DeviceOut]:
    require_role(auditor.principal, *roles.ADMIN)
    with archive.catalog.read() as db:
        return [_device_out(d, n) for d, n in service.list_devices(db, auditor.principal)]


@router.post("/devices", status_code=201)
def create_device(body: schemas.DeviceIn, archive: ArchiveDep,
                  auditor: AuditorDep) -> schemas.DeviceTokenOut:
    """Register a recorder agent; its token is shown once."""
    require_role(auditor.principal, *roles.ADMIN)
    with archive.catalog.write() as db:
        device, token = service.create_device(db, auditor.principal, id=body.id,
                                              name=body.name,
                                              jurisdiction_id=body.jurisdiction_id)
        auditor.log("admin", db=db, target_type="device", target_id=device.id,
                    detail={"change": "created"})
        return schemas.DeviceTokenOut(device_id=device.id, token=token)


@router.post("/devices/{device_id}/token")
def rotate_device_token(device_id: Id, archive: ArchiveDep,
                        auditor: AuditorDep) -> schemas.DeviceTokenOut:
    """Replace the device's token (the old one stops working); shown once."""
    require_role(auditor.principal, *roles.ADMIN)
    with archive.catalog.write() as db:
        token = service.rotate_device_token(db, auditor.principal, device_id=device_id)
        auditor.log("admin", db=db, target_type="device", target_id=device_id,
                    detail={"change": "token_rotated"})
        return schemas.DeviceTokenOut(device_id=device_id, token=token)


@router.post("/devices/{device_id}/revoke")
def revoke_device(device_id: Id, archive: ArchiveDep,
                  auditor: AuditorDep) -> schemas.DeviceOut:
    require_role(auditor.principal, *roles.ADMIN)
    with archive.catalog.write() as db:
        device = service.revoke_device(db, auditor.principal, device_id=device_id,
                                       now=datetime.now(UTC))
        auditor.log("admin", db=db, target_type="device", target_id=device_id,
                    detail={"change": "revoked"})
        return _device_out(device, device.jurisdiction_id)


@router.get("/users")
def list_users(archive: ArchiveDep, auditor: AuditorDep) -> list[schemas.UserOut]:
    require_role(auditor.principal, *roles.ADMIN)
    with archive.catalog.read() as db:
        return [_user_out(u, n) for u, n in service.list_users(db, auditor.principal)]


@router.post("/users", status_code=201)
def create_user(body: schemas.UserIn, archive: ArchiveDep, web: WebDep,
                auditor: AuditorDep) -> schemas.UserOut:
    """Add a person with a role in one of your jurisdictions."""
    require_role(auditor.principal, *roles.ADMIN)
    with archive.catalog.write() as db:
        user = service.create_user(db, auditor.principal, id=body.id, name=body.name,
                                   role=body.role, jurisdiction_id=body.jurisdiction_id,
                                   password=body.password, min_length=web.password_min_length)
        auditor.log("admin", db=db, target_type="user", target_id=user.id,
                    detail={"change": "created", "role": user.role.value})
        return _user_out(user, body.jurisdiction_id)


@router.patch("/users/{user_id}")
def update_user(user_id: Id, body: schemas.UserPatch, archive: ArchiveDep, web: WebDep,
                auditor: AuditorDep) -> schemas.UserOut:
    """Change a person's name, role, place, password or access."""
    require_role(auditor.principal, *roles.ADMIN)
    with archive.catalog.write() as db:
        user = service.update_user(db, auditor.principal, user_id=user_id,
                                   change=service.UserChange(**body.model_dump()),
                                   min_length=web.password_min_length, now=datetime.now(UTC))
        changed = sorted(k for k, v in body.model_dump().items() if v is not None)
        auditor.log("admin", db=db, target_type="user", target_id=user.id,
                    detail={"change": "updated", "fields": changed})
        return _user_out(user, user.jurisdiction_id)


@router.post("/users/{user_id}/tokens", status_code=201)
def issue_user_token(user_id: Id, body: schemas.UserTokenIn, archive: ArchiveDep,
                     auditor: AuditorDep) -> schemas.UserTokenOut:
    """Issue an API token for a person's scripts; shown once."""
    require_role(auditor.principal, *roles.ADMIN)
    with archive.catalog.write() as db:
        row, token = service.issue_user_token(db, auditor.principal, user_id=user_id,
                                              label=body.label)
        auditor.log("admin", db=db, target_type="api_token", target_id=row.id,
                    detail={"change": "issued", "user": user_id})
        return schemas.UserTokenOut(id=row.id, user_id=user_id, label=row.label, token=token)
