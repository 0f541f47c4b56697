"""A SeaweedFS S3 server for the object store tests, on free ports in a temporary directory."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from archive.devstack.seaweed import SeaweedServer, find_free_s3_port
from archive.store.objects import ObjectStore

STORE_BUCKET = "aidrec-store-test"


@dataclass(frozen=True)
class SeaweedHandle:
    """A running server, the app credentials it accepts and its Object Lock bucket."""

    server: SeaweedServer
    access_key: str
    secret_key: str
    bucket: str
    hold_keys: tuple[str, str]

    def store(self, *, bucket: str | None = None, holds: bool = True) -> ObjectStore:
        """The store as the archive wires it; `holds=False`: the app's identity alone."""
        return ObjectStore(
            endpoint=self.server.endpoint,
            access_key=self.access_key,
            secret_key=self.secret_key,
            bucket=bucket or self.bucket,
            hold_keys=self.hold_keys if holds else None,
        )


@pytest.fixture(scope="session")
def seaweed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedHandle]:
    access_key, secret_key = secrets.token_hex(8), secrets.token_hex(20)
    hold_keys = (secrets.token_hex(8), secrets.token_hex(20))
    server = SeaweedServer(
        data_dir=tmp_path_factory.mktemp("seaweed"),
        s3_port=find_free_s3_port(),
        access_key=access_key,
        secret_key=secret_key,
        buckets=[STORE_BUCKET],
        hold_keys=hold_keys,
    )
    server.start()
    try:
        yield SeaweedHandle(server, access_key, secret_key, STORE_BUCKET, hold_keys)
    finally:
        server.stop()
