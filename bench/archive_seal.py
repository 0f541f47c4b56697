"""Seal latency per recording (sign + RFC 3161 timestamp + store + log append + tree head)."""

from __future__ import annotations

import hashlib
import io
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from archive.devstack.ephemeral import ephemeral_stack
from archive.evidence.vocabulary import RecordingOrigin
from archive.ingest import service as ingest
from bench.common import setup_archive, summary

RECORDINGS = 40
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def run(stack: object, home: Path, catalog_url: str | None) -> list[float]:
    bench = setup_archive(stack, home, catalog_url)  # type: ignore[arg-type]
    actor = ingest.Actor("operator:bench", None)
    archive = bench.archive
    start = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    ids = []
    for r in range(RECORDINGS):
        rec = ingest.open_recording(archive.catalog, actor=actor, window_id=bench.window_id,
                                    started_at=start, origin=RecordingOrigin.LIVE,
                                    retention_days=180)
        head = rec.chain_head
        for seq in range(3):
            data = f"{r}/{seq}".encode() * 1000
            digest = hashlib.sha256(data).hexdigest()
            moment = start + timedelta(seconds=60 * seq)
            meta = ingest.SegmentMeta(seq=seq, sha256=digest, prev_hash=head,
                                      started_at=moment, ended_at=moment + timedelta(seconds=60),
                                      partial=False, content_type="video/mp2t")
            head = ingest.put_segment(archive.catalog, archive.store, actor=actor,
                                      recording_id=rec.id, meta=meta, body=io.BytesIO(data),
                                      size=len(data), body_sha256=digest).chain_hash
        ids.append(rec.id)
    sealer = archive.sealer
    sealer.seal_recording(ids[0], now=datetime.now(UTC))  # warm-up: key load, connections
    times = []
    for rid in ids[1:]:
        began = time.perf_counter()
        sealer.seal_recording(rid, now=datetime.now(UTC))
        times.append(time.perf_counter() - began)
    archive.close()
    return times


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, ephemeral_stack(Path(tmp) / "stack") as stack:
        print("seal per recording, SQLite:    ", summary(run(stack, Path(tmp) / "a", None)))
        name = f"aidrec_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
            print("seal per recording, PostgreSQL:", summary(run(stack, Path(tmp) / "b", url)))
        finally:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        print("target: median < 150 ms")


if __name__ == "__main__":
    main()
