"""Shared by the retention tests: people with roles, recordings that fall due in seconds.

COMPLIANCE locks are real and the store refuses a retain-until date in the past, so a
recording that is "due" is made to fall due a few seconds after it is stored: it starts 180
days (the floor) minus a few seconds ago. Decisions use a frozen clock (`now=`); the store uses
its own, so tests wait for real time to pass a lock before expecting a deletion to succeed.
"""

from __future__ import annotations

import hashlib
import io
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from archive.access import people as access
from archive.access.people import Principal
from archive.catalog.models import User
from archive.evidence.vocabulary import RecordingOrigin, Role, Stage
from archive.ingest import service as ingest
from archive.ingest.service import Actor
from archive.services import Archive
from retention.settings import RetentionSettings
from tests.support import bootstrap_tree

FLOOR = timedelta(days=180)
SETTLED = timedelta(days=30)  # the people have held their roles longer than approver_min_days
OPERATOR = Actor(id="operator:test", jurisdiction_id=None)


@dataclass(frozen=True)
class People:
    admin: Principal  # province administrator
    admin2: Principal  # a second province administrator (two-person rule)
    county_admin: Principal  # administrator of county wh only
    inspector: Principal  # prefecture km
    supervisor: Principal  # county wh
    staff: Principal  # window staff of county wh
    auditor: Principal


@pytest.fixture
def people(archive: Archive) -> People:
    bootstrap_tree(archive)
    rows = {"admin1": (Role.ADMIN, "yn"), "admin2": (Role.ADMIN, "yn"),
            "wh-admin": (Role.ADMIN, "wh"), "insp1": (Role.INSPECTOR, "km"),
            "sup1": (Role.SUPERVISOR, "wh"), "staff1": (Role.WINDOW_STAFF, "wh"),
            "aud1": (Role.AUDITOR, "yn")}
    with archive.catalog.write() as db:
        for user_id, (role, node) in rows.items():
            user = access.create_user(db, id=user_id, name=user_id, role=role,
                                      jurisdiction_id=node)
            user.role_since = datetime.now(UTC) - SETTLED
        found = {u: access.principal_of(db, db.get_one(User, u)) for u in rows}
    return People(admin=found["admin1"], admin2=found["admin2"],
                  county_admin=found["wh-admin"], inspector=found["insp1"],
                  supervisor=found["sup1"], staff=found["staff1"], auditor=found["aud1"])


@pytest.fixture
def config() -> RetentionSettings:
    return RetentionSettings(two_person_rule=False, auto_propose=False, lease_s=60)


def make_recording(archive: Archive, *, due_in: float | None = None,
                   ended_at: datetime | None = None, segments: int = 2, window: str = "wh-w1",
                   session: bool = True, case: str | None = None,
                   stage: Stage | None = Stage.CONSULTATION, seal: bool = True) -> str:
    """A closed, sealed recording of one second through the ingest service.

    `due_in`: the floor makes it due that many seconds from now (at least 4: its segments are
    first locked until one second before that, and the store refuses a date in the past);
    else it ends at `ended_at` (default now).
    """
    step = timedelta(seconds=1) / segments
    if due_in is not None:
        ended_at = datetime.now(UTC) - FLOOR + timedelta(seconds=due_in)
    ended_at = ended_at or datetime.now(UTC)
    started = ended_at - step * segments
    recording = ingest.open_recording(archive.catalog, actor=OPERATOR, window_id=window,
                                      started_at=started, origin=RecordingOrigin.LIVE,
                                      retention_days=180)
    prev, moment = recording.chain_head, started
    for seq in range(segments):
        data = f"{recording.id}:{seq}:".encode() * 200
        sha = hashlib.sha256(data).hexdigest()
        meta = ingest.SegmentMeta(seq=seq, sha256=sha, prev_hash=prev, started_at=moment,
                                  ended_at=moment + step, partial=False,
                                  content_type="video/mp2t")
        result = ingest.put_segment(archive.catalog, archive.store, actor=OPERATOR,
                                    recording_id=recording.id, meta=meta,
                                    body=io.BytesIO(data), size=len(data), body_sha256=sha)
        prev, moment = result.chain_hash, moment + step
    if session:
        ingest.open_session(archive.catalog, actor=OPERATOR, recording_id=recording.id,
                            started_at=started, ended_at=ended_at, case_number=case,
                            stage=stage)
    ingest.close_recording(archive.catalog, actor=OPERATOR, recording_id=recording.id,
                           ended_at=ended_at)
    if seal:
        archive.sealer.seal_recording(recording.id, now=datetime.now(UTC))
    return recording.id


def wait_until(moment: datetime) -> None:
    """Real time, for the store's own clock: a little past `moment`."""
    while (left := (moment - datetime.now(UTC)).total_seconds() + 0.3) > 0:
        time.sleep(min(left, 0.5))


def segment_versions(archive: Archive, recording_id: str) -> list[tuple[str, str]]:
    return [(v.key, v.version_id)
            for v in archive.store.list_versions(f"recordings/{recording_id}/segments/")
            if not v.is_delete_marker]
