"""Demo accounts and a sample day for `aidrec up --demo` (entry point group `aidrec.demo`).

Creates one person per role in the demo county with a random password (written, readable
only by the owner, to `$AIDREC_HOME/demo/web-accounts.txt`), and — once — a sample recording
made yesterday at a second demo window: a real MPEG-TS clip with a transcript, a flag, a
marker and a gap, linked to a case, so the dashboard has a flagged session to open.
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from api.auth.service import hash_password
from archive.access import people as access
from archive.access import registry
from archive.catalog.models import Jurisdiction, Recording, Session, User, Window
from archive.evidence.errors import ArchiveError
from archive.evidence.vocabulary import GapCause, JurisdictionLevel, Role
from archive.ingest import service as ingest
from archive.ingest.importer import import_files
from archive.services import Archive
from archive.settings import Settings
from transcribe import service as transcripts
from transcribe.flags import find_flags, load_phrasebook
from transcribe.models import Transcript, TranscriptState
from transcribe.stitch import Line, LineWord
from transcribe.tokens import index_tokens

logger = logging.getLogger(__name__)

ACCOUNTS_FILE = "demo/web-accounts.txt"
TREE = (("demo", "示范省", JurisdictionLevel.PROVINCE, None),
        ("demo-p", "示范州", JurisdictionLevel.PREFECTURE, "demo"),
        ("demo-c", "示范县", JurisdictionLevel.COUNTY, "demo-p"),
        ("demo-s", "示范县法律援助工作站", JurisdictionLevel.STATION, "demo-c"))
PEOPLE = (("demo-supervisor", "周监督", Role.SUPERVISOR),
          ("demo-inspector", "吴纪检", Role.INSPECTOR), ("demo-admin", "郑管理", Role.ADMIN),
          ("demo-auditor", "冯审计", Role.AUDITOR), ("demo-staff", "何窗口", Role.WINDOW_STAFF))
SAMPLE_WINDOW = "demo-w2"
SAMPLE_CASE = "云援〔2026〕0001号"
SAMPLE_LINES = ((0.5, "您好，本次接待全程录音录像"), (3.0, "我想咨询一下拖欠工资的问题"),
                (6.0, "这个要收费吗，要不要给个红包"), (9.0, "材料不全，你下次再来吧"))
OPERATOR = ingest.Actor(id="operator:demo", jurisdiction_id=None)


def seed_demo(settings: Settings) -> None:
    """Entry point `aidrec.demo`: web = "api.compose.demo:seed_demo"."""
    archive = Archive.from_settings(settings)
    try:
        archive.catalog.migrate()
        _ensure_tree(archive)
        created = _ensure_people(archive)
        if created:
            _write_accounts(settings.home.resolve() / ACCOUNTS_FILE, created)
        try:
            _ensure_sample(archive)
        except (ArchiveError, OSError, subprocess.CalledProcessError) as exc:
            logger.warning("demo sample recording skipped: %s", exc)
    finally:
        archive.close()
    logger.info("demo web accounts in %s", settings.home.resolve() / ACCOUNTS_FILE)


def _ensure_tree(archive: Archive) -> None:
    with archive.catalog.write() as db:
        for jid, name, level, parent in TREE:
            if db.get(Jurisdiction, jid) is None:
                registry.create_jurisdiction(db, id=jid, name=name, level=level,
                                             parent_id=parent)
        if db.get(Window, SAMPLE_WINDOW) is None:
            registry.create_window(db, id=SAMPLE_WINDOW, name="2号窗口",
                                   jurisdiction_id="demo-s")


def _ensure_people(archive: Archive) -> list[tuple[str, str, Role, str]]:
    created = []
    with archive.catalog.write() as db:
        for user_id, name, role in PEOPLE:
            if db.get(User, user_id) is None:
                password = secrets.token_urlsafe(12)
                access.create_user(db, id=user_id, name=name, role=role,
                                   jurisdiction_id="demo-c",
                                   password_hash=hash_password(password))
                created.append((user_id, name, role, password))
    return created


def _write_accounts(path: Path, created: list[tuple[str, str, Role, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{user_id}\t{password}\t{role.value}\t{name}"
             for user_id, name, role, password in created]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def _ensure_sample(archive: Archive) -> None:
    with archive.catalog.read() as db:
        if db.scalar(select(Session.id).where(Session.window_id == SAMPLE_WINDOW).limit(1)):
            return
    local_day = (datetime.now(UTC) + timedelta(hours=8)).date() - timedelta(days=1)
    start = datetime(local_day.year, local_day.month, local_day.day, 2, 30, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        clips = [_clip(Path(tmp) / f"{n}.ts", seconds=6) for n in range(2)]
        result = import_files(archive, clips, actor=OPERATOR, window_id=SAMPLE_WINDOW,
                              case_number=SAMPLE_CASE, stage=None, staff_id="demo-staff-01",
                              started_at=start)
    lines = []
    for offset, text in SAMPLE_LINES:
        words = index_tokens(text)
        begin, step = round(offset * 1000), 2000 // len(words)
        lines.append(Line(
            offset_ms=begin, end_offset_ms=begin + step * len(words), text=text,
            words=tuple(LineWord(begin + i * step, begin + (i + 1) * step, w, 900)
                        for i, w in enumerate(words)), seqs=(0,)))
    transcripts.ensure_transcript(archive.catalog, recording_id=result.recording_id,
                                  window_id=SAMPLE_WINDOW)
    with archive.catalog.write() as db:
        recording = db.get_one(Recording, result.recording_id)
        transcripts.publish_lines(db, recording=recording, lines=lines, version=1)
        transcripts.publish_flags(db, recording=recording,
                                  hits=find_flags(lines, load_phrasebook()),
                                  include_sessions=True)
        db.get_one(Transcript, result.recording_id).state = TranscriptState.COMPLETE.value
    end = start + timedelta(seconds=12)
    ingest.add_marker(archive.catalog, actor=OPERATOR, recording_id=result.recording_id,
                      at=start + timedelta(seconds=2), label="申请人出示身份证")
    ingest.report_gap(archive.catalog, actor=OPERATOR, recording_id=result.recording_id,
                      started_at=end, ended_at=end + timedelta(minutes=4),
                      cause=GapCause.RECORDER_RESTARTED, detail="升级录制程序")
    logger.info("demo sample session %s", result.session_id)


def _clip(path: Path, *, seconds: int) -> Path:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size=640x360:rate=25:duration={seconds}", "-f", "lavfi", "-i",
                    f"sine=frequency=440:duration={seconds}", "-c:v", "libx264", "-preset",
                    "ultrafast", "-g", "25", "-c:a", "aac", "-f", "mpegts", str(path)],
                   check=True, timeout=120)
    return path
