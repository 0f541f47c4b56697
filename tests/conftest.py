"""The one shared test stack: SeaweedFS, a dev PKI with an OpenSSL TSA, PostgreSQL and SQLite."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from archive.devstack.ephemeral import BUCKET, EphemeralStack, ephemeral_stack, free_port
from archive.services import Archive
from archive.settings import Settings

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
__all__ = ["BUCKET", "free_port"]


@pytest.fixture(scope="session")
def test_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EphemeralStack]:
    with ephemeral_stack(tmp_path_factory.mktemp("stack")) as stack:
        yield stack


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated PostgreSQL database that each test copies (CREATE DATABASE … TEMPLATE)."""
    from archive.catalog.db import Catalog

    name = f"aidrec_tpl_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    catalog = Catalog(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    catalog.migrate()
    catalog.dispose()
    try:
        yield name
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated catalog on each database the project supports."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalog.db'}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"aidrec_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings(test_stack: EphemeralStack, catalog_url: str, tmp_path: Path) -> Settings:
    return test_stack.settings(home=tmp_path / "home", catalog_url=catalog_url)


@pytest.fixture
def archive(settings: Settings) -> Iterator[Archive]:
    archive = Archive.from_settings(settings)
    archive.catalog.migrate()
    try:
        yield archive
    finally:
        archive.close()
