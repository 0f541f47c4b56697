"""The FastAPI application factory.

Deny by default: every API route passes `policy.gate`, which refuses routes that declare no
authentication (a person, a device, or `public`), and every person's route names its action
in the duty table (`api.roles`), checked as soon as the caller is known. Pages and JSON
endpoints share services; the pages' changes go through the JSON API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI

from api import errors, policy, roles
from api.admin.router import router as admin_router
from api.audit.router import router as audit_router
from api.auth.router import router as auth_router
from api.cases.router import router as cases_router
from api.complaints.router import router as complaints_router
from api.compose.holds import Holds, default_holds
from api.compose.retention.router import router as retention_router
from api.compose.search.router import router as search_router
from api.dashboard.router import router as dashboard_router
from api.deps import PrincipalDep, PublicDep
from api.exports.router import router as exports_router
from api.ingest.live import router as live_router
from api.ingest.router import router as ingest_router
from api.limits import BodyLimitMiddleware, BodyLimits
from api.playback.router import router as playback_router
from api.reviews.router import router as reviews_router
from api.sessions.router import router as sessions_router
from api.settings import WebSettings
from api.timeline.router import router as timeline_router
from api.web import site
from archive.jobs import Jobs, build_jobs
from archive.services import Archive
from archive.settings import Settings, load_section

OPENAPI_URL = "/api/v1/openapi.json"


def create_app(settings: Settings, *, archive: Archive | None = None,
               jobs: Jobs | None = None, web: WebSettings | None = None,
               holds: Holds | None = None) -> FastAPI:
    """Build the app; tests pass their own archive, an immediate job queue, web settings."""
    the_archive = archive or Archive.from_settings(settings)
    the_jobs = jobs or build_jobs(settings, archive_factory=lambda: the_archive)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if archive is None:
            the_archive.close()

    app = FastAPI(title="aidrec", version="1", lifespan=lifespan,
                  dependencies=[Depends(policy.gate)], docs_url=None, redoc_url=None,
                  openapi_url=None,
                  description="Evidence archive of legal-aid service windows. Every route "
                  "needs a person's API token (Bearer) or login session cookie, or a "
                  "device token (ingest); changes made with the cookie need X-CSRF-Token.")
    app.state.archive = the_archive
    app.state.jobs = the_jobs
    app.state.settings = settings
    app.state.web = web or load_section(WebSettings, settings)
    app.state.holds = holds or default_holds(the_archive)
    errors.install(app)
    app.add_middleware(BodyLimitMiddleware, limits=BodyLimits(
        json_bytes=app.state.web.max_json_body_bytes,
        segment_bytes=settings.archive.max_segment_bytes))

    @app.get("/healthz", include_in_schema=False)
    def healthz(_: PublicDep) -> dict[str, str]:
        return {"status": "ok"}

    @app.get(OPENAPI_URL, include_in_schema=False)
    def openapi(_: PrincipalDep) -> dict[str, Any]:
        return app.openapi()

    app.include_router(ingest_router)
    app.include_router(live_router)
    # Transcript search belongs to transcription; it logs each search with its reason and
    # the sessions shown (api/compose/search/router.py).
    app.include_router(search_router)
    for router in (auth_router, audit_router, sessions_router, playback_router,
                   reviews_router, complaints_router, cases_router, timeline_router,
                   dashboard_router, admin_router):
        app.include_router(router)
    app.include_router(retention_router)
    app.include_router(exports_router)
    site.install(app)
    app.state.policies = policy.apply_policies(app)
    app.state.duties = roles.apply_duties(app, app.state.policies)
    return app
