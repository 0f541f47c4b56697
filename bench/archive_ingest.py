"""Ingest of 200 x 5 MB segments through the API against plain put_object of the same bytes."""

from __future__ import annotations

import hashlib
import io
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from minio import Minio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from archive.digest import chain_hash  # noqa: E402
from archive.ephemeral import ephemeral_stack  # noqa: E402
from bench.common import api_process, setup_archive  # noqa: E402

SEGMENTS = int(os.environ.get("BENCH_SEGMENTS", "200"))
SIZE = 5 * 1024 * 1024
ROUNDS = 4  # alternate baseline and API so drift on a busy box hits both alike


def payload(base: bytes, i: int) -> bytes:
    return i.to_bytes(8, "big") + base[8:]


def main() -> None:
    base = os.urandom(SIZE)
    with tempfile.TemporaryDirectory() as tmp, ephemeral_stack(Path(tmp) / "stack") as stack:
        bench = setup_archive(stack, Path(tmp) / "home")
        s3 = bench.settings.s3
        plain = Minio(s3.endpoint, access_key=s3.access_key,
                      secret_key=s3.secret_key.get_secret_value(), secure=False)
        with api_process(bench.settings) as url, httpx.Client(
                base_url=url, timeout=60,
                headers={"Authorization": f"Bearer {bench.device_token}"}) as client:
            start = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
            rec = client.post("/api/v1/ingest/recordings",
                              json={"window_id": bench.window_id,
                                    "started_at": start.isoformat()}).json()
            head, seq = rec["chain_head"], 0
            t_plain = t_api = 0.0
            per_round = SEGMENTS // ROUNDS
            for _ in range(ROUNDS):
                began = time.perf_counter()
                for i in range(per_round):
                    data = payload(base, seq + i)
                    plain.put_object(s3.bucket, f"bench/plain/{seq + i:06d}", io.BytesIO(data),
                                     len(data), content_type="video/mp2t")
                t_plain += time.perf_counter() - began
                began = time.perf_counter()
                for _ in range(per_round):
                    data = payload(base, seq)
                    digest = hashlib.sha256(data).hexdigest()
                    moment = start + timedelta(seconds=60 * seq)
                    r = client.put(f"/api/v1/ingest/recordings/{rec['id']}/segments/{seq}",
                                   params={"sha256": digest, "prev_hash": head,
                                           "started_at": moment.isoformat(),
                                           "ended_at": (moment + timedelta(seconds=60))
                                           .isoformat()},
                                   content=data, headers={"Content-Type": "video/mp2t"})
                    r.raise_for_status()
                    head, seq = chain_hash(head, digest), seq + 1
                t_api += time.perf_counter() - began
        total_mb = SIZE * SEGMENTS / 1e6
        print(f"segments: {SEGMENTS} x {SIZE // (1024 * 1024)} MiB")
        print(f"plain put_object: {total_mb / t_plain:.1f} MB/s ({t_plain:.1f} s)")
        print(f"ingest API:       {total_mb / t_api:.1f} MB/s ({t_api:.1f} s)")
        print(f"ratio API/plain:  {t_plain / t_api:.2f} (target >= 0.80)")


if __name__ == "__main__":
    main()
