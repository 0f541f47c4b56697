"""Ingest of 200 x 5 MB segments through the API against plain put_object of the same bytes.

Two shapes, both against the same SeaweedFS in the same run: one stream (segment by segment,
alternating baseline and API so load from other processes hits both alike) and four concurrent
streams (four recorders uploading at once against four plain uploaders).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from minio import Minio

from archive.devstack.ephemeral import ephemeral_stack
from archive.evidence.digest import chain_hash
from bench.common import API_PIDS, Bench, api_process, cpu_seconds, setup_archive, summary

SEGMENTS = int(os.environ.get("BENCH_SEGMENTS", "200"))
SIZE = 5 * 1024 * 1024
STREAMS = 4
START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def payload(base: bytes, tag: int) -> bytes:
    return tag.to_bytes(8, "big") + base[8:]


class ApiStream:
    """One recorder's upload: a recording and its chain."""

    def __init__(self, client: httpx.Client, window_id: str) -> None:
        self.client = client
        rec = client.post("/api/v1/ingest/recordings",
                          json={"window_id": window_id, "started_at": START.isoformat()}).json()
        self.id, self.head, self.seq = rec["id"], rec["chain_head"], 0

    def put(self, data: bytes) -> None:
        digest = hashlib.sha256(data).hexdigest()
        moment = START + timedelta(seconds=60 * self.seq)
        r = self.client.put(f"/api/v1/ingest/recordings/{self.id}/segments/{self.seq}",
                            params={"sha256": digest, "prev_hash": self.head,
                                    "started_at": moment.isoformat(),
                                    "ended_at": (moment + timedelta(seconds=60)).isoformat()},
                            content=data, headers={"Content-Type": "video/mp2t"})
        r.raise_for_status()
        self.head, self.seq = chain_hash(self.head, digest), self.seq + 1


def single_stream(bench: Bench, plain: Minio, client: httpx.Client, base: bytes) -> None:
    stream = ApiStream(client, bench.window_id)
    plain_times, api_times = [], []
    cpu = {"bench": 0.0, "api": 0.0, "weed": 0.0}
    plain_cpu = dict(cpu)
    pids = {"bench": os.getpid(), "api": API_PIDS[-1], "weed": bench.stack.seaweed.pid or 0}
    for i in range(SEGMENTS):
        data = payload(base, i)
        before = {k: cpu_seconds(p) for k, p in pids.items()}
        began = time.perf_counter()
        plain.put_object(bench.settings.s3.bucket, f"bench/plain/{i:06d}", io.BytesIO(data),
                         len(data), content_type="video/mp2t")
        plain_times.append(time.perf_counter() - began)
        middle = {k: cpu_seconds(p) for k, p in pids.items()}
        began = time.perf_counter()
        stream.put(data)
        api_times.append(time.perf_counter() - began)
        after = {k: cpu_seconds(p) for k, p in pids.items()}
        for k in pids:
            plain_cpu[k] += middle[k] - before[k]
            cpu[k] += after[k] - middle[k]
    report("1 stream", sum(plain_times), sum(api_times))
    print("  CPU ms per segment, plain: " + ", ".join(
        f"{k} {v / SEGMENTS * 1000:.1f}" for k, v in plain_cpu.items()))
    print("  CPU ms per segment, API:   " + ", ".join(
        f"{k} {v / SEGMENTS * 1000:.1f}" for k, v in cpu.items()))
    print(f"  per segment: plain {summary(plain_times)}; API {summary(api_times)}")


def concurrent_streams(bench: Bench, plain: Minio, url: str, base: bytes) -> None:
    per = SEGMENTS // STREAMS
    headers = {"Authorization": f"Bearer {bench.device_token}"}
    clients = [httpx.Client(base_url=url, timeout=120, headers=headers) for _ in range(STREAMS)]
    streams = [ApiStream(c, bench.window_id) for c in clients]

    def plain_worker(w: int) -> None:
        for i in range(per):
            data = payload(base, 10_000 + w * per + i)
            plain.put_object(bench.settings.s3.bucket, f"bench/conc/{w}/{i:06d}",
                             io.BytesIO(data), len(data), content_type="video/mp2t")

    def api_worker(w: int) -> None:
        for i in range(per):
            streams[w].put(payload(base, 20_000 + w * per + i))

    with ThreadPoolExecutor(STREAMS) as pool:
        began = time.perf_counter()
        list(pool.map(plain_worker, range(STREAMS)))
        t_plain = time.perf_counter() - began
        began = time.perf_counter()
        list(pool.map(api_worker, range(STREAMS)))
        t_api = time.perf_counter() - began
    for c in clients:
        c.close()
    report(f"{STREAMS} streams", t_plain, t_api)


def report(shape: str, t_plain: float, t_api: float) -> None:
    total_mb = SIZE * SEGMENTS / 1e6
    print(f"{shape}: plain put_object {total_mb / t_plain:.1f} MB/s, ingest API "
          f"{total_mb / t_api:.1f} MB/s, ratio {t_plain / t_api:.2f} (target >= 0.80)")


def main() -> None:
    base = os.urandom(SIZE)
    with tempfile.TemporaryDirectory() as tmp, ephemeral_stack(Path(tmp) / "stack") as stack:
        bench = setup_archive(stack, Path(tmp) / "home")
        s3 = bench.settings.s3
        plain = Minio(s3.endpoint, access_key=s3.access_key,
                      secret_key=s3.secret_key.get_secret_value(), secure=False)
        print(f"segments: {SEGMENTS} x {SIZE // 2**20} MiB per shape")
        with api_process(bench.settings) as url, httpx.Client(
                base_url=url, timeout=120,
                headers={"Authorization": f"Bearer {bench.device_token}"}) as client:
            single_stream(bench, plain, client, base)
            concurrent_streams(bench, plain, url, base)


if __name__ == "__main__":
    main()
