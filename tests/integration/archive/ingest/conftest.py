"""The ingest tests' registry tree and a client of the real app over the shared stack."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from archive.jobs import build_jobs
from archive.services import Archive
from archive.settings import Settings
from tests.support import Tree, bootstrap_tree


@pytest.fixture
def tree(archive: Archive) -> Tree:
    return bootstrap_tree(archive)


@pytest.fixture
def client(settings: Settings, archive: Archive) -> Iterator[TestClient]:
    jobs = build_jobs(settings, immediate=True, archive_factory=lambda: archive)
    with TestClient(create_app(settings, archive=archive, jobs=jobs)) as client:
        yield client
