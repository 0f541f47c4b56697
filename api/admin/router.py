"""Administration endpoints (administrators only, within their subtree)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request

from api import roles
from api.admin import grants, schemas, service
from api.audit.log import AuditorDep
from api.auth import links
from api.auth import service as auth_service
from api.auth.links import IssuedLink
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


def _grant_out(grant: grants.RoleGrant) -> schemas.GrantOut:
    return schemas.GrantOut(id=grant.id, user_id=grant.user_id, name=grant.name,
                            role=grant.role, jurisdiction_id=grant.jurisdiction_id,
                            new_account=grant.new_account, requested_by=grant.requested_by,
                            requested_at=grant.requested_at, state=grant.state,
                            decided_by=grant.decided_by, decided_at=grant.decided_at)


def _user_out(user: User, name: str,
              grant: grants.RoleGrant | None = None) -> schemas.UserOut:
    return schemas.UserOut(id=user.id, name=user.name, role=user.role.value,
                           jurisdiction_id=user.jurisdiction_id, jurisdiction_name=name,
                           has_password=user.password_hash is not None,
                           disabled_at=user.disabled_at, created_at=user.created_at,
                           role_since=user.role_since,
                           pending_grant=_grant_out(grant) if grant is not None else None)


def _link_out(request: Request, link: IssuedLink) -> schemas.LinkOut:
    return schemas.LinkOut(user_id=link.user_id, kind=link.kind,
                           url=link.url(request.app.state.settings.public_url),
                           expires_at=link.expires_at)


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
def create_user(body: schemas.UserIn, request: Request, archive: ArchiveDep, web: WebDep,
                auditor: AuditorDep) -> schemas.AccountOut:
    """Add a person with a role in one of your jurisdictions; the answer holds their one-time
    activation link. An administrator or inspector is made only once a second person
    approves (`POST /api/v1/admin/grants/{grant_id}/approve`)."""
    require_role(auditor.principal, *roles.ADMIN)
    now = datetime.now(UTC)
    with archive.catalog.write() as db:
        made = service.create_user(db, auditor.principal, id=body.id, name=body.name,
                                   role=body.role, jurisdiction_id=body.jurisdiction_id, now=now)
        if isinstance(made, grants.RoleGrant):
            auditor.log("admin", db=db, target_type="user", target_id=made.user_id,
                        detail={"change": "grant_requested", "role": made.role,
                                "grant": made.id, "new_account": True})
            return schemas.AccountOut(user=None, link=None, grant=_grant_out(made))
        link = links.issue(db, user=made, created_by=auditor.principal.user_id, now=now,
                           hours=web.account_link_hours)
        auditor.log("admin", db=db, target_type="user", target_id=made.id,
                    detail={"change": "created", "role": made.role.value,
                            "link": link.kind, "link_expires_at": link.expires_at.isoformat()})
        out = _link_out(request, link)
        return schemas.AccountOut(user=_user_out(made, body.jurisdiction_id), link=out,
                                  grant=None, url=out.url)


@router.patch("/users/{user_id}")
def update_user(user_id: Id, body: schemas.UserPatch, archive: ArchiveDep,
                auditor: AuditorDep) -> schemas.UserOut:
    """Change a person's name, role, place or access (never their password)."""
    require_role(auditor.principal, *roles.ADMIN)
    with archive.catalog.write() as db:
        done = service.update_user(db, auditor.principal, user_id=user_id,
                                   change=service.UserChange(**body.model_dump()),
                                   now=datetime.now(UTC))
        changed = sorted(k for k, v in body.model_dump().items() if v is not None)
        detail: dict[str, object] = {"change": "updated", "fields": changed,
                                     "role": done.user.role.value}
        if done.grant is not None:
            detail.update(grant=done.grant.id, requested_role=done.grant.role)
        auditor.log("admin", db=db, target_type="user", target_id=done.user.id, detail=detail)
        return _user_out(done.user, done.user.jurisdiction_id, done.grant)


@router.post("/users/{user_id}/reset", status_code=201)
def reset_password(user_id: Id, request: Request, archive: ArchiveDep, web: WebDep,
                   auditor: AuditorDep) -> schemas.LinkOut:
    """Reset a person's password to a one-time link (shown once) with which they choose a
    new one; their password, sessions and API tokens stop now, and they are told who did it
    at their next login."""
    require_role(auditor.principal, *roles.ADMIN)
    with archive.catalog.write() as db:
        link = service.reset_password(db, auditor.principal, user_id=user_id,
                                      now=datetime.now(UTC), hours=web.account_link_hours)
        auditor.log("admin", db=db, target_type="user", target_id=user_id,
                    detail={"change": "password_reset", "link": link.kind,
                            "link_expires_at": link.expires_at.isoformat()})
        return _link_out(request, link)


@router.get("/grants")
def list_grants(archive: ArchiveDep, auditor: AuditorDep) -> list[schemas.GrantOut]:
    """Role grants in your subtree awaiting a second person."""
    require_role(auditor.principal, *grants.APPROVER_ROLES)
    with archive.catalog.read() as db:
        return [_grant_out(g) for g in grants.list_pending(db, auditor.principal)]


@router.post("/grants/{grant_id}/approve")
def approve_grant(grant_id: Id, archive: ArchiveDep,
                  auditor: AuditorDep) -> schemas.UserOut:
    """The second person's approval of a role grant: another person, of another role or at
    another jurisdiction level than the one who asked, settled in their own role."""
    now = datetime.now(UTC)
    with archive.catalog.write() as db:
        done = grants.approve(db, auditor.principal, grant_id=grant_id, now=now,
                              min_days=archive.settings.archive.approver_min_days)
        auth_service.end_sessions(db, user_id=done.user.id, now=now)
        auditor.log("admin", db=db, target_type="user", target_id=done.user.id,
                    detail={"change": "grant_approved", "grant": grant_id,
                            "role": done.grant.role, "requested_by": done.grant.requested_by,
                            "new_account": done.grant.new_account})
        return _user_out(done.user, done.user.jurisdiction_id)
