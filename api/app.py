"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import errors
from api.ingest.router import router as ingest_router
from archive.jobs import Jobs, build_jobs
from archive.services import Archive
from archive.settings import Settings


def create_app(settings: Settings, *, archive: Archive | None = None,
               jobs: Jobs | None = None) -> FastAPI:
    """Build the app; tests pass their own archive and an immediate job queue."""
    the_archive = archive or Archive.from_settings(settings)
    the_jobs = jobs or build_jobs(settings, archive_factory=lambda: the_archive)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if archive is None:
            the_archive.close()

    app = FastAPI(title="aidrec", version="1", lifespan=lifespan)
    app.state.archive = the_archive
    app.state.jobs = the_jobs
    app.state.settings = settings
    errors.install(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(ingest_router)
    return app
