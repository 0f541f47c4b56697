"""Abuse limits against the real app under uvicorn, with real parallel requests: login
attempts checked and counted in one transaction, a growing wait instead of a lockout, one
access-log entry per burst of failures, and body limits before any parsing."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.app import create_app
from api.auth import throttle
from api.auth.models import LoginThrottle
from api.reviews.models import SessionNote
from archive.audit import log as audit
from archive.catalog.models import Segment
from archive.evidence.vocabulary import Role
from archive.jobs import build_jobs
from tests.integration.api.browser import serve
from tests.integration.api.conftest import PASSWORD, World

LOGIN = "/api/v1/auth/login"
WRONG = "not-the-password"


@contextmanager
def _serve(world: World, **web: Any) -> Iterator[str]:
    settings = world.settings
    if "max_segment_bytes" in web:
        settings = settings.model_copy(update={"archive": settings.archive.model_copy(
            update={"max_segment_bytes": web.pop("max_segment_bytes")})})
    jobs = build_jobs(settings, immediate=True, archive_factory=lambda: world.archive)
    app = create_app(settings, archive=world.archive, jobs=jobs,
                     web=world.web.model_copy(update=web))
    with serve(app) as url:
        yield url


def _parallel(n: int, call: Callable[[httpx.Client, int], httpx.Response]) -> list[httpx.Response]:
    """`n` requests released together, each on its own connection."""
    barrier = threading.Barrier(n)

    def one(i: int) -> httpx.Response:
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            return call(client, i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def _entries(world: World, action: str) -> list[audit.AccessEntry]:
    with world.archive.catalog.read() as db:
        return audit.list_entries(db, where=audit.EntryFilter(scope_path="/", action=action))


def _throttles(world: World) -> int:
    with world.archive.catalog.read() as db:
        return int(db.scalar(select(func.count()).select_from(LoginThrottle)) or 0)


@pytest.mark.parametrize("catalog_url", ["sqlite", "postgresql"], indirect=True)
def test_parallel_wrong_logins_pass_only_the_allowed_tries_and_the_owner_gets_in(
        world: World) -> None:
    inspector = world.people[Role.INSPECTOR].id
    delay = 20.0  # long enough that no wait ends during the burst on a loaded machine
    with _serve(world, login_max_failures=3, login_delay_initial_s=delay) as url:
        started = time.monotonic()
        answers = _parallel(50, lambda c, _: c.post(f"{url}{LOGIN}", json={
            "username": inspector, "password": WRONG}))
        elapsed = time.monotonic() - started
        assert elapsed < delay, "the burst must fit in the first wait for an exact count"
        codes = Counter(r.status_code for r in answers)
        # Exactly the free tries had their password checked; the rest waited, unchecked.
        assert codes == {401: 3, 429: 47}, codes
        refused = [r for r in answers if r.status_code == 429]
        # (counted from each request's arrival, which may precede the block by the burst)
        assert all(0 < int(r.headers["retry-after"]) <= delay + elapsed + 1 for r in refused)
        assert {r.json()["error"]["reason"] for r in refused} == {"too_many_attempts"}
        # The owner too must wait (nothing is checked during the wait) ...
        early = httpx.post(f"{url}{LOGIN}", json={"username": inspector, "password": PASSWORD})
        assert early.status_code == 429
        # ... and is never locked out: after the wait the right password works.
        time.sleep(int(early.headers["retry-after"]) + 0.2)
        late = httpx.post(f"{url}{LOGIN}", json={"username": inspector, "password": PASSWORD})
        assert late.status_code == 200, late.text
    # 51 failed or refused tries: one access-log entry with the counts.
    (failed,) = _entries(world, "login_failed")
    assert (failed.target_type, failed.target_id, failed.outcome) == ("user", inspector,
                                                                      "denied")
    assert failed.detail["failures"] == 3 and failed.detail["refused"] == 48
    assert failed.detail["addresses"] == ["127.0.0.1"]
    assert [e.user_id for e in _entries(world, "login")] == [inspector]


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_one_address_trying_many_names_is_limited_and_logged_per_burst(world: World) -> None:
    with _serve(world, login_max_failures_per_ip=4, login_delay_initial_s=30) as url:
        answers = _parallel(20, lambda c, i: c.post(f"{url}{LOGIN}", json={
            "username": f"guess-{i}", "password": WRONG}))
        codes = Counter(r.status_code for r in answers)
        assert codes == {401: 4, 429: 16}, codes
        assert all("from this address" in r.json()["error"]["message"]
                   for r in answers if r.status_code == 429)
        # A person from the blocked address waits too (addresses are not people).
        auditor = world.people[Role.AUDITOR].id
        assert httpx.post(f"{url}{LOGIN}", json={"username": auditor,
                                                 "password": PASSWORD}).status_code == 429
    assert _entries(world, "login_failed") == []  # bursts are logged when they end
    later = datetime.now(UTC) + timedelta(minutes=world.web.login_window_minutes, seconds=31)
    web = world.web.model_copy(update={"login_max_failures_per_ip": 4})
    assert throttle.close_quiet_bursts(world.archive.catalog, now=later, web=web) == 5
    entries = _entries(world, "login_failed")
    by_type = Counter(e.target_type for e in entries)
    assert by_type == {"user": 4, "address": 1}
    (address,) = [e for e in entries if e.target_type == "address"]
    assert address.target_id == "127.0.0.1" and address.detail["refused"] == 17
    assert address.detail["more"] is True and len(address.detail["names"]) == 10
    assert _throttles(world) == 0
    # Closing again finds nothing and writes nothing.
    assert throttle.close_quiet_bursts(world.archive.catalog, now=later, web=web) == 0
    assert len(_entries(world, "login_failed")) == 5


def _body_of(size: int) -> bytes:
    return b'{"username": "x", "password": "' + b"a" * size + b'"}'


def _chunks(data: bytes, size: int = 8192) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_oversized_json_is_refused_before_parsing_or_authentication(world: World) -> None:
    staff = world.bearer(Role.SUPERVISOR)
    notes = f"/api/v1/sessions/{world.wh.session_id}/notes"
    with _serve(world, max_json_body_bytes=4096) as url:
        json_type = {"Content-Type": "application/json"}
        declared = httpx.post(f"{url}{LOGIN}", content=_body_of(10_000), headers=json_type)
        assert declared.status_code == 413
        assert declared.json()["error"] == {
            "reason": "too_large", "message": "the request body is larger than 4096 bytes"}
        chunked = httpx.post(f"{url}{LOGIN}", content=_chunks(_body_of(10_000)),
                             headers=json_type)
        assert chunked.status_code == 413 and chunked.json()["error"]["reason"] == "too_large"
        # A body under the limit is read as usual.
        assert httpx.post(f"{url}{LOGIN}", content=_body_of(100),
                          headers=json_type).status_code == 401
        # An authenticated change with an oversized body changes nothing.
        big_note = b'{"offset_ms": 1, "text": "' + "看".encode() * 3000 + b'"}'
        for content in (big_note, _chunks(big_note, 1000)):
            refused = httpx.post(f"{url}{notes}", content=content,
                                 headers={**staff, **json_type})
            assert refused.status_code == 413
        # A page's form post is held to the same limit.
        form = httpx.post(f"{url}/login", content=b"a=" + b"b" * 10_000,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert form.status_code == 413
    # The handler never ran: no attempt was counted, no note stored, nothing logged.
    assert _throttles(world) == 2  # only the small login that was read: its name, address
    with world.archive.catalog.read() as db:
        assert db.scalar(select(func.count()).select_from(SessionNote)) == 0


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_segment_uploads_are_streamed_up_to_max_segment_bytes(world: World) -> None:
    device = {"Authorization": f"Bearer {world.tree.token}"}
    limit = 1024 * 1024
    with _serve(world, max_segment_bytes=limit) as url:
        opened = httpx.post(f"{url}/api/v1/ingest/recordings", headers=device, json={
            "window_id": world.tree.window_id, "started_at": datetime.now(UTC).isoformat()})
        assert opened.status_code == 201, opened.text
        recording = opened.json()
        segment = f"{url}/api/v1/ingest/recordings/{recording['id']}/segments/0"
        params = {"sha256": "0" * 64, "prev_hash": recording["chain_head"],
                  "started_at": datetime.now(UTC).isoformat(),
                  "ended_at": (datetime.now(UTC) + timedelta(seconds=4)).isoformat()}
        big = b"\x47" * (limit + 188)
        # Declared too large: refused before authentication, nothing read.
        declared = httpx.put(segment, params=params, content=big)
        assert declared.status_code == 413
        assert declared.json()["error"]["reason"] == "too_large"
        # Streamed without a length: counted, and refused where it crosses the limit.
        streamed = httpx.put(segment, params=params, headers=device, content=_chunks(big))
        assert streamed.status_code == 413, streamed.text
        # The JSON limit does not apply to segments: a body above it is read (and checked).
        small = httpx.put(segment, params=params, headers=device, content=b"\x47" * 100_000)
        assert small.status_code == 400 and small.json()["error"]["reason"] != "too_large"
    with world.archive.catalog.read() as db:
        assert db.scalar(select(func.count()).select_from(Segment).where(
            Segment.recording_id == recording["id"])) == 0
