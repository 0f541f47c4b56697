"""A throwaway S3 server, dev PKI and TSA in one directory, for tests and benchmarks."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from archive.devstack.pki import DevPki, ensure_dev_pki
from archive.devstack.seaweed import SeaweedServer, find_free_s3_port
from archive.devstack.tsa_server import TsaServer
from archive.settings import Settings

BUCKET = "aidrec-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class EphemeralStack:
    root: Path
    pki: DevPki
    tsa: TsaServer
    seaweed: SeaweedServer
    access_key: str
    secret_key: str
    hold_keys: tuple[str, str]

    def settings(self, *, home: Path, catalog_url: str, tsa_url: str | None = None,
                 bucket: str = BUCKET) -> Settings:
        """Settings for an archive on this stack with its own home and catalog."""
        pki = self.pki
        return Settings(
            home=home, catalog_url=catalog_url,
            s3={"endpoint": self.seaweed.endpoint, "access_key": self.access_key,
                "secret_key": self.secret_key, "bucket": bucket,
                "hold_access_key": self.hold_keys[0], "hold_secret_key": self.hold_keys[1]},
            signing={"key": pki.signer_key, "cert": pki.signer_cert,
                     "chain": [pki.intermediate_cert, pki.root_cert],
                     "trust_roots": [pki.root_cert],
                     "crls": [pki.root_crl, pki.intermediate_crl]},
            tsa={"url": tsa_url or self.tsa.url, "trust_root": pki.root_cert, "timeout_s": 5},
        )


@contextmanager
def ephemeral_stack(root: Path) -> Iterator[EphemeralStack]:
    """Start SeaweedFS and the TSA on free loopback ports; stop them on exit."""
    pki = ensure_dev_pki(root / "pki")
    tsa = TsaServer(pki=pki, port=free_port())
    tsa.start()
    access_key, secret_key = secrets.token_hex(8), secrets.token_hex(16)
    hold_keys = (secrets.token_hex(8), secrets.token_hex(16))
    seaweed = SeaweedServer(data_dir=root / "s3", s3_port=find_free_s3_port(),
                            access_key=access_key, secret_key=secret_key, buckets=[BUCKET],
                            hold_keys=hold_keys)
    try:
        seaweed.start()
        yield EphemeralStack(root, pki, tsa, seaweed, access_key, secret_key, hold_keys)
    finally:
        seaweed.stop()
        tsa.stop()
