"""A small office for the web tests: two counties, a person of every role, real recordings.

Each county (wh inside the people's jurisdiction, gd outside it) gets a sealed recording of
two real MPEG-TS segments made by ffmpeg, one session linked to a case, transcript lines
with a flag, a marker and a gap, and a registered complaint.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import service as auth_service
from api.complaints import service as complaints_service
from api.settings import WebSettings
from archive.access import people as access
from archive.access.people import principal_of
from archive.catalog.models import Recording, Session, User
from archive.evidence.vocabulary import GapCause, Role, Stage
from archive.ingest import service as ingest
from archive.ingest.importer import import_files
from archive.jobs import build_jobs
from archive.services import Archive
from archive.settings import Settings, load_section
from tests.support import Tree, bootstrap_tree, make_media
from transcribe import service as transcripts
from transcribe.flags import find_flags, load_phrasebook
from transcribe.models import Transcript, TranscriptState
from transcribe.stitch import Line, LineWord
from transcribe.tokens import index_tokens

PASSWORD = "correct-horse-42"
OPERATOR = ingest.Actor(id="operator:test", jurisdiction_id=None)
SEGMENT_S = 4.0
ZONE_HOURS = 8  # Asia/Shanghai


@dataclass(frozen=True)
class Person:
    id: str
    role: Role
    jurisdiction_id: str
    token: str


@dataclass(frozen=True)
class Evidence:
    """What one county holds."""

    county: str
    window_id: str
    recording_id: str
    session_id: str
    case_id: str
    case_number: str
    complaint_id: str
    complaint_number: str
    started_at: datetime


@dataclass
class World:
    archive: Archive
    settings: Settings
    web: WebSettings
    tree: Tree
    people: dict[Role, Person]
    wh: Evidence
    gd: Evidence
    extra: dict[str, str] = field(default_factory=dict)

    def app(self) -> FastAPI:
        jobs = build_jobs(self.settings, immediate=True, archive_factory=lambda: self.archive)
        return create_app(self.settings, archive=self.archive, jobs=jobs, web=self.web)

    def bearer(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.people[role].token}"}


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two real H.264/AAC MPEG-TS files, made once per test run."""
    root = tmp_path_factory.mktemp("web-media")
    return (make_media(root / "a.ts", seconds=SEGMENT_S),
            make_media(root / "b.ts", seconds=SEGMENT_S))


def make_line(offset_s: float, text: str, *, seconds: float = 1.5) -> Line:
    """A line whose words (jieba tokens) are spread evenly over `seconds`."""
    words = index_tokens(text)
    start, step = round(offset_s * 1000), round(seconds * 1000 / len(words))
    return Line(offset_ms=start, end_offset_ms=start + step * len(words), text=text,
                words=tuple(LineWord(start + i * step, start + (i + 1) * step, w, 900)
                            for i, w in enumerate(words)), seqs=(0,))


LINES = (
    (0.3, "您好，本次接待全程录音录像"),
    (2.2, "我想咨询一下工资的问题"),
    (4.6, "这个服务要收费吗"),
    (6.4, "你下次再来吧"),
)


def yesterday_ten(now: datetime) -> datetime:
    """10:00 yesterday in China (UTC+8), as UTC."""
    local = (now + timedelta(hours=ZONE_HOURS)).date() - timedelta(days=1)
    return datetime(local.year, local.month, local.day, 10 - ZONE_HOURS, tzinfo=UTC)


def add_evidence(archive: Archive, web: WebSettings, county: str, number: int,
                 clips: tuple[Path, Path], creator: str, *, start: datetime) -> Evidence:
    window_id = f"{county}-w1"
    case_number = f"云援〔2026〕{number:04d}号"
    result = import_files(archive, list(clips), actor=OPERATOR, window_id=window_id,
                          case_number=case_number, stage=Stage.CONSULTATION,
                          staff_id=f"{county}-staff1", started_at=start)
    assert result.sealed
    lines = [make_line(offset, text) for offset, text in LINES]
    book = load_phrasebook()
    transcripts.ensure_transcript(archive.catalog, recording_id=result.recording_id,
                                  window_id=window_id)
    with archive.catalog.write() as db:
        recording = db.get_one(Recording, result.recording_id)
        db.get_one(Transcript, result.recording_id).state = TranscriptState.COMPLETE.value
        transcripts.publish_lines(db, recording=recording, lines=lines, version=1)
        transcripts.publish_flags(db, recording=recording, hits=find_flags(lines, book),
                                  include_sessions=True)
    end = start + timedelta(seconds=2 * SEGMENT_S)
    ingest.add_marker(archive.catalog, actor=OPERATOR, recording_id=result.recording_id,
                      at=start + timedelta(seconds=1), label="申请人出示身份证")
    ingest.report_gap(archive.catalog, actor=OPERATOR, recording_id=result.recording_id,
                      started_at=end, ended_at=end + timedelta(minutes=3),
                      cause=GapCause.RECORDER_RESTARTED, detail="agent update")
    with archive.catalog.read() as db:
        case_id = db.get_one(Session, result.session_id).case_id
        creator_principal = principal_of(db, db.get_one(User, creator))
    complaint_id = complaints_service.register(
        archive.catalog, creator_principal, new=complaints_service.NewComplaint(
            complainant="李某", summary="窗口人员要求交钱", received_on=start.date(),
            jurisdiction_id=county), web=web, now=start + timedelta(hours=1))
    with archive.catalog.read() as db:
        complaint = complaints_service.complaint_in_scope(db, creator_principal,
                                                          complaint_id)[0]
        complaint_number = complaint.number
    assert case_id is not None
    return Evidence(county=county, window_id=window_id, recording_id=result.recording_id,
                    session_id=result.session_id, case_id=case_id, case_number=case_number,
                    complaint_id=complaint_id, complaint_number=complaint_number,
                    started_at=start)


def add_person(archive: Archive, *, id: str, role: Role, jurisdiction_id: str,
               name: str) -> Person:
    with archive.catalog.write() as db:
        access.create_user(db, id=id, name=name, role=role, jurisdiction_id=jurisdiction_id,
                           password_hash=auth_service.hash_password(PASSWORD))
        token = access.create_api_token(db, user_id=id, label="tests")
    return Person(id=id, role=role, jurisdiction_id=jurisdiction_id, token=token)


NAMES = {Role.WINDOW_STAFF: "王窗口", Role.SUPERVISOR: "张监督", Role.INSPECTOR: "赵纪检",
         Role.ADMIN: "刘管理", Role.AUDITOR: "陈审计"}


@pytest.fixture
def world(settings: Settings, archive: Archive, clips: tuple[Path, Path]) -> World:
    settings.home.mkdir(parents=True, exist_ok=True)
    (settings.home / "transcribe.toml").write_text("enabled = false\n")
    web = load_section(WebSettings, settings)
    tree = bootstrap_tree(archive)
    people = {role: add_person(archive, id=f"{role.value.replace('_', '')}-wh", role=role,
                               jurisdiction_id="wh", name=NAMES[role]) for role in Role}
    # Complaints in gd are registered by a gd supervisor (the wh one cannot see gd).
    gd_sup = add_person(archive, id="supervisor-gd", role=Role.SUPERVISOR,
                        jurisdiction_id="gd", name="孙监督")
    start = yesterday_ten(datetime.now(UTC))
    wh = add_evidence(archive, web, "wh", 1, clips, people[Role.SUPERVISOR].id, start=start)
    gd = add_evidence(archive, web, "gd", 2, clips, gd_sup.id,
                      start=start + timedelta(hours=1))
    return World(archive=archive, settings=settings, web=web, tree=tree, people=people,
                 wh=wh, gd=gd, extra={"gd_supervisor_token": gd_sup.token})


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(world.app(), base_url="http://testserver") as test_client:
        yield test_client
