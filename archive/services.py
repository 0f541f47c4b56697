"""Wiring of the archive's parts from settings, done once per process."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

from archive.catalog.db import Catalog
from archive.evidence.errors import ConfigurationError
from archive.seal.sealer import Sealer, SealMaterial
from archive.seal.translog import TransparencyLog
from archive.settings import Settings
from archive.store.objects import ObjectStore
from archive.verify.recording import RecordingVerifier


@dataclass
class Archive:
    """The catalog, the object store, the log and the signer of one deployment."""

    settings: Settings
    catalog: Catalog
    store: ObjectStore
    log: TransparencyLog = field(default_factory=TransparencyLog)

    @classmethod
    def from_settings(cls, settings: Settings) -> Archive:
        s3 = settings.s3
        hold = (s3.hold_access_key, s3.hold_secret_key.get_secret_value())
        store = ObjectStore(endpoint=s3.endpoint, access_key=s3.access_key,
                            secret_key=s3.secret_key.get_secret_value(), bucket=s3.bucket,
                            secure=s3.secure, region=s3.region, ca_file=s3.ca_file,
                            hold_keys=hold if all(hold) else None)
        return cls(settings=settings, catalog=Catalog(settings.resolved_catalog_url),
                   store=store)

    @property
    def trust_roots(self) -> list[Path]:
        roots = list(self.settings.signing.trust_roots)
        if self.settings.tsa.trust_root and self.settings.tsa.trust_root not in roots:
            roots.append(self.settings.tsa.trust_root)
        return roots

    @cached_property
    def sealer(self) -> Sealer:
        from archive.signatures.cms import CmsSigner, verify_detached

        signing = self.settings.signing
        if signing.key is None or signing.cert is None or not self.settings.tsa.url:
            raise ConfigurationError(
                "signing.key, signing.cert and tsa.url must be configured to seal",
                reason="no_signer")
        signer = CmsSigner(key_path=signing.key, cert_path=signing.cert,
                           chain_paths=signing.chain, tsa_url=self.settings.tsa.url,
                           timeout_s=self.settings.tsa.timeout_s)
        roots = self.trust_roots
        crls = list(signing.crls)

        def check(data: bytes, cms_der: bytes) -> datetime:
            return verify_detached(data, cms_der, trust_roots=roots, crls=crls).timestamp_time

        chain_pem = b"".join(p.read_bytes() for p in [signing.cert, *signing.chain])
        material = SealMaterial(chain_pem=chain_pem,
                                crls={p.name: p.read_bytes() for p in crls})
        return Sealer(catalog=self.catalog, store=self.store, signer=signer, check=check,
                      material=material, log=self.log,
                      retention_days=self.settings.archive.default_retention_days)

    def verifier(self, *, workers: int = 4) -> RecordingVerifier:
        return RecordingVerifier(catalog=self.catalog, store=self.store, log=self.log,
                                 trust_roots=self.trust_roots, crls=self.settings.signing.crls,
                                 workers=workers)

    def close(self) -> None:
        self.catalog.dispose()
