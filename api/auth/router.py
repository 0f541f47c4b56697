"""Login, logout, the current person, password change and the person's own API tokens."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from api.audit.log import AuditorDep, client_of
from api.auth import links, schemas
from api.auth import service as auth_service
from api.auth.errors import NotAuthenticatedError
from api.deps import ArchiveDep, PrincipalDep, PublicDep, WebDep
from api.errors import ErrorResponse
from archive.access import people as access
from archive.access.registry import hash_token
from archive.audit import log as audit
from archive.catalog.models import ApiToken, User
from archive.evidence.errors import NotFoundError

router = APIRouter(
    prefix="/api/v1/auth", tags=["auth"],
    responses={code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 429)},
)


def cookie_secure(request: Request, web_secure: bool | None) -> bool:
    if web_secure is not None:
        return web_secure
    public_url = request.app.state.settings.public_url or ""
    return str(public_url).startswith("https://")


@router.post("/login")
def login(body: schemas.LoginIn, request: Request, response: Response, archive: ArchiveDep,
          web: WebDep, _: PublicDep) -> schemas.LoginOut:
    """Open a browser session: sets the session cookie and returns the CSRF token."""
    ip, agent = client_of(request)
    now = datetime.now(UTC)
    # Failures reach the access log one entry per burst (api/auth/throttle.py).
    result = auth_service.login(archive.catalog, username=body.username,
                                password=body.password, ip=ip, user_agent=agent, now=now,
                                web=web)
    principal = result.principal
    audit.record(archive.catalog, audit.Access(
        action="login", at=now, user_id=principal.user_id, role=principal.role.value,
        target_type="user", target_id=principal.user_id,
        scope_path=principal.jurisdiction_path, ip=ip, user_agent=agent))
    response.set_cookie(auth_service.COOKIE, result.token, httponly=True, samesite="strict",
                        secure=cookie_secure(request, web.cookie_secure), path="/",
                        max_age=web.session_max_hours * 3600)
    return schemas.LoginOut(user_id=principal.user_id, name=result.name,
                            role=principal.role.value,
                            jurisdiction_id=principal.jurisdiction_id,
                            jurisdiction_path=principal.jurisdiction_path,
                            csrf_token=result.csrf_token, expires_at=result.expires_at)


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, archive: ArchiveDep,
           auditor: AuditorDep) -> None:
    """End the browser session (a token-authenticated call ends nothing)."""
    auth = getattr(request.state, "session_auth", None)
    if isinstance(auth, auth_service.SessionAuth):
        auth_service.logout(archive.catalog, token_hash=auth.token_hash,
                            now=datetime.now(UTC))
        auditor.log("logout", target_type="user", target_id=auditor.principal.user_id)
    response.delete_cookie(auth_service.COOKIE, path="/")


@router.get("/me")
def me(request: Request, archive: ArchiveDep, principal: PrincipalDep) -> schemas.MeOut:
    """Who is logged in, with their role and subtree."""
    with archive.catalog.read() as db:
        user = db.get_one(User, principal.user_id)
        name = user.name
    auth = getattr(request.state, "session_auth", None)
    return schemas.MeOut(user_id=principal.user_id, name=name, role=principal.role.value,
                         jurisdiction_id=principal.jurisdiction_id,
                         jurisdiction_path=principal.jurisdiction_path,
                         csrf_token=auth.csrf_token if isinstance(
                             auth, auth_service.SessionAuth) else None)


@router.put("/password", status_code=204)
def change_password(body: schemas.PasswordIn, archive: ArchiveDep, web: WebDep,
                    auditor: AuditorDep) -> None:
    """Change one's own password; every login session of the person ends."""
    principal = auditor.principal
    with archive.catalog.read() as db:
        stored = db.get_one(User, principal.user_id).password_hash
    if not auth_service.password_matches(stored, body.current):
        raise NotAuthenticatedError("the current password is wrong", reason="bad_credentials")
    with archive.catalog.write() as db:
        auth_service.set_password(db, user_id=principal.user_id, password=body.new,
                                  min_length=web.password_min_length, now=datetime.now(UTC))
        auditor.log("admin", db=db, target_type="user", target_id=principal.user_id,
                    detail={"change": "own_password", "ended": "sessions and tokens"})


@router.post("/activate", status_code=204)
def activate(body: schemas.ActivateIn, request: Request, archive: ArchiveDep, web: WebDep,
             _: PublicDep) -> None:
    """Choose one's password with a one-time link (a new account, or after a reset)."""
    ip, agent = client_of(request)
    now = datetime.now(UTC)
    auth_service.check_password_policy(body.password, min_length=web.password_min_length)
    with archive.catalog.write() as db:
        user = links.redeem(db, token=body.token,
                            password_hash=auth_service.hash_password(body.password), ip=ip,
                            now=now)
        node = access.principal_of(db, user)
        audit.append(db, audit.Access(
            action="admin", at=now, user_id=user.id, role=user.role.value, target_type="user",
            target_id=user.id, scope_path=node.jurisdiction_path, ip=ip, user_agent=agent,
            detail={"change": "password_chosen_by_link"}))


def _token_out(row: ApiToken) -> schemas.TokenOut:
    return schemas.TokenOut(id=row.id, label=row.label, created_at=row.created_at,
                            revoked_at=row.revoked_at, expires_at=row.expires_at)


@router.get("/tokens")
def list_tokens(archive: ArchiveDep, principal: PrincipalDep) -> list[schemas.TokenOut]:
    """The caller's own API tokens (never their values)."""
    with archive.catalog.read() as db:
        rows = db.scalars(select(ApiToken).where(ApiToken.user_id == principal.user_id)
                          .order_by(ApiToken.created_at))
        return [_token_out(r) for r in rows]


@router.post("/tokens", status_code=201)
def create_token(body: schemas.TokenIn, archive: ArchiveDep, web: WebDep,
                 auditor: AuditorDep) -> schemas.NewTokenOut:
    """Issue an API token acting as the caller (only ever oneself), for scripts; it expires
    after `api_token_days` and its value is shown once."""
    with archive.catalog.write() as db:
        token = access.create_api_token(db, user_id=auditor.principal.user_id,
                                        label=body.label, days=web.api_token_days)
        row = db.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).one()
        auditor.log("admin", db=db, target_type="api_token", target_id=row.id,
                    detail={"change": "token_created", "expires_at": row.expires_at.isoformat()
                            if row.expires_at else None})
        return schemas.NewTokenOut(**_token_out(row).model_dump(), token=token)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: str, archive: ArchiveDep, auditor: AuditorDep) -> None:
    """Revoke one of the caller's own tokens."""
    with archive.catalog.write() as db:
        row = db.get(ApiToken, token_id)
        if row is None or row.user_id != auditor.principal.user_id:
            raise NotFoundError(f"token {token_id} does not exist", reason="no_token")
        if row.revoked_at is None:
            row.revoked_at = datetime.now(UTC)
            auditor.log("admin", db=db, target_type="api_token", target_id=row.id,
                        detail={"change": "token_revoked"})
