"""Request dependencies as Annotated aliases: the archive, the job queue, who is calling.

A person authenticates with an API token (`Authorization: Bearer aidrec_usr_…`) or with the
browser session cookie; a cookie-authenticated change must carry the session's CSRF token in
the `X-CSRF-Token` header. Devices use their own bearer tokens (ingest routes only).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from api import roles
from api.auth import service as auth_service
from api.auth.errors import CsrfError, NotAuthenticatedError
from api.settings import WebSettings
from archive.access import people as access
from archive.access import registry
from archive.access.people import Principal
from archive.catalog.models import Device
from archive.evidence.errors import PermissionDeniedError
from archive.ingest.service import Actor
from archive.jobs import Jobs
from archive.services import Archive

_bearer = HTTPBearer(auto_error=False)
_cookie = APIKeyCookie(name=auth_service.COOKIE, auto_error=False,
                       description="browser login session (set by POST /api/v1/auth/login)")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_archive(request: Request) -> Archive:
    archive: Archive = request.app.state.archive
    return archive


def get_jobs(request: Request) -> Jobs:
    jobs: Jobs = request.app.state.jobs
    return jobs


def get_web(request: Request) -> WebSettings:
    web: WebSettings = request.app.state.web
    return web


def get_device(
    archive: Annotated[Archive, Depends(get_archive)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Device:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise PermissionDeniedError("a device bearer token is required", reason="no_token")
    now = datetime.now(UTC)
    with archive.catalog.read() as db:
        device = registry.authenticate_device(
            db, token=credentials.credentials, now=now,
            idle_days=archive.settings.archive.device_token_idle_days)
    if registry.use_is_stale(device, now):  # the idle clock, without a write per request
        with archive.catalog.write() as db:
            registry.record_device_use(db, id=device.id, now=now)
    return device


def get_principal(
    request: Request,
    archive: Annotated[Archive, Depends(get_archive)],
    web: Annotated[WebSettings, Depends(get_web)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Principal:
    """A person, by API token or by login session (with its CSRF check on changes).

    Raises:
        NotAuthenticatedError: no credentials, or ones that are unknown, revoked or expired.
        CsrfError: a cookie-authenticated change without the session's CSRF token.
        PermissionDeniedError: the duty table does not give the role this route's action.
    """
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    now = datetime.now(UTC)
    if credentials is not None and credentials.scheme.lower() == "bearer":
        try:
            with archive.catalog.read() as db:
                principal = access.authenticate_api_token(db, token=credentials.credentials,
                                                          now=now)
        except PermissionDeniedError as exc:
            raise NotAuthenticatedError(exc.message, reason=exc.reason) from None
        request.state.auth_method = "token"
    elif cookie:
        with archive.catalog.read() as db:
            auth = auth_service.authenticate_session(db, token=cookie, now=now, web=web)
        if request.method not in SAFE_METHODS and not auth_service.csrf_ok(
                auth, request.headers.get(auth_service.CSRF_HEADER)):
            raise CsrfError("this change needs the page's CSRF token (X-CSRF-Token header)")
        auth_service.touch(archive.catalog, auth, now=now)
        principal = auth.principal
        request.state.auth_method = "session"
        request.state.session_auth = auth
    else:
        raise NotAuthenticatedError("log in, or send an API token", reason="no_credentials")
    roles.enforce(request, principal)  # the duty table, before anything is looked up
    request.state.principal = principal
    return principal


def get_device_actor(device: Annotated[Device, Depends(get_device)]) -> Actor:
    return Actor.of_device(device)


def public() -> None:
    """Marks a route that anyone may call (health check, login); see api.policy."""


ArchiveDep = Annotated[Archive, Depends(get_archive)]
JobsDep = Annotated[Jobs, Depends(get_jobs)]
WebDep = Annotated[WebSettings, Depends(get_web)]
DeviceDep = Annotated[Device, Depends(get_device)]
DeviceActor = Annotated[Actor, Depends(get_device_actor)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
PublicDep = Annotated[None, Depends(public)]
