"""Screenshots of the web pages for docs/screenshots/, taken the way a person uses them.

A small generated office (3 days x 4 windows of 8-hour recordings, sessions, gaps, markers,
transcripts with flags) plus one real recording made yesterday (three H.264/AAC MPEG-TS
segments with a transcript), on PostgreSQL and the real stack; then, in headless Chromium:
the supervisor's dashboard, a window's day, search, the session while it plays, the review
and the complaint, the case; the auditor's access log; the administrator's page.

    .venv/bin/python bench/web_screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.integration.web.browser import chromium, serve
from tests.integration.web.conftest import make_line

from api.app import create_app
from api.auth.service import hash_password
from archive.access import people as access
from archive.catalog.models import Recording
from archive.devstack.ephemeral import ephemeral_stack
from archive.evidence.vocabulary import GapCause, Role, Stage
from archive.ingest import service as ingest
from archive.ingest.importer import import_files
from archive.jobs import build_jobs
from archive.services import Archive
from bench.web_pages import PG_ADMIN, generate
from tests.support import make_media
from transcribe import service as transcripts
from transcribe.flags import find_flags, load_phrasebook
from transcribe.models import Transcript, TranscriptState

PASSWORD = "screenshot-pass-1"
PEOPLE = (("sup", "张监督", Role.SUPERVISOR), ("aud", "陈审计", Role.AUDITOR),
          ("adm", "刘管理", Role.ADMIN))
LINES = ((0.4, "您好，本次接待全程录音录像"), (2.5, "我想咨询一下拖欠工资的问题"),
         (5.0, "老板三个月不给钱了"), (7.2, "这个要收费吗，要不要给个红包"),
         (9.6, "材料不全，你下次再来吧"))


def real_session(archive: Archive, window_id: str, root: Path, start: datetime) -> str:
    operator = ingest.Actor(id="operator:docs", jurisdiction_id=None)
    clips = [make_media(root / f"{n}.ts", seconds=4) for n in range(3)]
    result = import_files(archive, clips, actor=operator, window_id=window_id,
                          case_number="云援〔2026〕0123号", stage=Stage.CONSULTATION,
                          staff_id=None, started_at=start)
    lines = [make_line(at, text) for at, text in LINES]
    transcripts.ensure_transcript(archive.catalog, recording_id=result.recording_id,
                                  window_id=window_id)
    with archive.catalog.write() as db:
        recording = db.get_one(Recording, result.recording_id)
        transcripts.publish_lines(db, recording=recording, lines=lines, version=1)
        transcripts.publish_flags(db, recording=recording,
                                  hits=find_flags(lines, load_phrasebook()),
                                  include_sessions=True)
        db.get_one(Transcript, result.recording_id).state = TranscriptState.COMPLETE.value
    ingest.add_marker(archive.catalog, actor=operator, recording_id=result.recording_id,
                      at=start + timedelta(seconds=3), label="申请人出示身份证")
    end = start + timedelta(seconds=12)
    ingest.report_gap(archive.catalog, actor=operator, recording_id=result.recording_id,
                      started_at=end, ended_at=end + timedelta(minutes=6),
                      cause=GapCause.CAMERA_UNREACHABLE, detail="网线松动")
    return result.session_id


def take(page: Any, out: Path, name: str) -> None:
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    print(f"  {out / name}.png")


def login(page: Any, base: str, user: str) -> None:
    page.goto(f"{base}/login?next=/")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/")


def browse(base: str, out: Path, session_id: str, window_id: str, day: str) -> None:
    from tests.integration.web.test_browser import wait_until

    with chromium() as browser:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        login(page, base, "sup")
        take(page, out, "dashboard")
        page.goto(f"{base}/windows/{window_id}/days/{day}")
        take(page, out, "day-timeline")
        page.goto(f"{base}/search?q=收费")
        take(page, out, "search")
        page.goto(f"{base}/sessions/{session_id}")
        page.select_option("#reason-kind", "inspection")
        page.fill("#reason-ref", "纪检〔2026〕12号")
        page.click("#play")
        wait_until(page, "document.getElementById('player').currentTime > 0.5")
        page.locator("#transcript li", has_text="红包").click()
        wait_until(page, "document.getElementById('player').currentTime > 7.5")
        page.evaluate("document.getElementById('player').pause()")
        items = page.locator("#review-form tr:has(input[type=radio])")
        for index in range(items.count()):
            score = "0" if index in (3, 4) else "2"
            items.nth(index).locator(f"input[value='{score}']").check()
        page.fill("#review-comment", "告知录音录像及时；疑似索要红包并推诿，需调查。")
        page.evaluate("window.scrollTo(0, 0)")
        take(page, out, "session-playing")
        page.click("#review-form button[type=submit]")
        page.wait_for_selector("#reviews")
        page.click("#register-complaint")
        page.fill("#complainant", "王某")
        page.fill("#contact", "138 0000 0000")
        page.fill("#summary", "窗口工作人员暗示要交钱，材料不全就让我下次再来")
        take(page, out, "complaint-new")
        page.click("#complaint-form button[type=submit]")
        page.wait_for_url(lambda u: "/complaints/" in u and "/new" not in u)
        take(page, out, "complaint")
        page.goto(f"{base}/complaints")
        take(page, out, "complaints")
        page.goto(f"{base}/sessions/{session_id}")
        page.click("#case-link")
        take(page, out, "case")
        context.close()
        for user, path, name in (("aud", f"/audit?session={session_id}", "audit"),
                                 ("adm", "/admin", "admin")):
            context = browser.new_context(locale="zh-CN",
                                          viewport={"width": 1360, "height": 900})
            page = context.new_page()
            login(page, base, user)
            page.goto(f"{base}{path}")
            take(page, out, name)
            context.close()
        context = browser.new_context(locale="en-US", viewport={"width": 1360, "height": 900})
        page = context.new_page()
        login(page, base, "sup")
        take(page, out, "dashboard-en")
        context.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"aidrec_docs_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory() as tmp, \
                ephemeral_stack(Path(tmp) / "stack") as stack:
            home = Path(tmp) / "home"
            home.mkdir()
            (home / "transcribe.toml").write_text("enabled = false\n")
            settings = stack.settings(
                home=home, catalog_url=f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
            archive = Archive.from_settings(settings)
            archive.catalog.migrate()
            today = (datetime.now(UTC) + timedelta(hours=8)).date()
            shape = generate(f"postgresql://postgres@127.0.0.1:5432/{name}", today,
                             prefectures=1, counties=2, windows_per_county=2, days=3)
            with archive.catalog.write() as db:
                for user_id, person, role in PEOPLE:
                    access.create_user(db, id=user_id, name=person, role=role,
                                       jurisdiction_id="yn",
                                       password_hash=hash_password(PASSWORD))
            yesterday = today - timedelta(days=1)
            window_id = shape["windows"][0]
            start = datetime(yesterday.year, yesterday.month, yesterday.day, 8, 45,
                             tzinfo=UTC)  # 16:45 in China, after the generated recording
            session_id = real_session(archive, window_id, Path(tmp), start)
            jobs = build_jobs(settings, immediate=True, archive_factory=lambda: archive)
            with serve(create_app(settings, archive=archive, jobs=jobs)) as base:
                browse(base, args.out, session_id, window_id, yesterday.isoformat())
            archive.close()
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
