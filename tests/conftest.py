"""The one shared test stack: SeaweedFS, a dev PKI with an OpenSSL TSA, PostgreSQL and SQLite."""

from __future__ import annotations

import secrets
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from archive.pki import DevPki, ensure_dev_pki
from archive.seaweed import SeaweedServer, find_free_s3_port
from archive.services import Archive
from archive.settings import Settings
from archive.tsa_server import TsaServer

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
BUCKET = "aidrec-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LocalStack:
    root: Path
    pki: DevPki
    tsa: TsaServer
    seaweed: SeaweedServer
    access_key: str
    secret_key: str

    def settings(self, *, home: Path, catalog_url: str, tsa_url: str | None = None,
                 bucket: str = BUCKET) -> Settings:
        pki = self.pki
        return Settings(
            home=home, catalog_url=catalog_url,
            s3={"endpoint": self.seaweed.endpoint, "access_key": self.access_key,
                "secret_key": self.secret_key, "bucket": bucket},
            signing={"key": pki.signer_key, "cert": pki.signer_cert,
                     "chain": [pki.intermediate_cert, pki.root_cert],
                     "trust_roots": [pki.root_cert],
                     "crls": [pki.root_crl, pki.intermediate_crl]},
            tsa={"url": tsa_url or self.tsa.url, "trust_root": pki.root_cert, "timeout_s": 5},
        )


@pytest.fixture(scope="session")
def test_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    root = tmp_path_factory.mktemp("stack")
    pki = ensure_dev_pki(root / "pki")
    tsa = TsaServer(pki=pki, port=free_port())
    tsa.start()
    access_key, secret_key = secrets.token_hex(8), secrets.token_hex(16)
    seaweed = SeaweedServer(data_dir=root / "s3", s3_port=find_free_s3_port(),
                            access_key=access_key, secret_key=secret_key, buckets=[BUCKET])
    seaweed.start()
    try:
        yield LocalStack(root, pki, tsa, seaweed, access_key, secret_key)
    finally:
        seaweed.stop()
        tsa.stop()


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
def settings(test_stack: LocalStack, catalog_url: str, tmp_path: Path) -> Settings:
    return test_stack.settings(home=tmp_path / "home", catalog_url=catalog_url)


@pytest.fixture
def archive(settings: Settings) -> Iterator[Archive]:
    archive = Archive.from_settings(settings)
    archive.catalog.migrate()
    try:
        yield archive
    finally:
        archive.close()
