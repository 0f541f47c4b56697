"""Web pages under a full catalog: 1,000 recordings, 100,000 sessions, on PostgreSQL.

Generated catalog (COPY into a migrated database): 100 windows in 4 prefectures x 5 counties
x 5 windows; per window 10 days of 8-hour recordings (the last day still recording) of
60-second segments (480,000 segments), 100 sessions each with cases and staff, 2 gaps and 5
markers, 200 transcript lines (200,000, with flag phrases at 1 %) and their flags; 200
complaints. The API runs as its own process (uvicorn) against the real stack; a province-level
supervisor (who sees every window: the heaviest dashboard) logs in and the pages are fetched
over loopback with keep-alive: dashboard, a window's day timeline, a transcript search and a
session search (listing). Then time to first video frame: in headless Chromium, from the click
on play (reason given) to the first frame presented (requestVideoFrameCallback), for a real
recording of 3 x 4 s MPEG-TS segments, page reloaded between tries.

    .venv/bin/python bench/web_pages.py [--requests 100] [--plays 15]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.integration.web.browser import chromium

from api.auth.service import hash_password
from archive.devstack.ephemeral import ephemeral_stack
from archive.evidence.vocabulary import Role, Stage
from archive.ingest import service as ingest
from archive.ingest.importer import import_files
from archive.services import Archive
from bench.common import api_process, percentile
from tests.support import make_media
from transcribe.flags import find_flags, load_phrasebook
from transcribe.stitch import Line, LineWord
from transcribe.tokens import index_text, index_tokens

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
PREFECTURES, COUNTIES, WINDOWS = 4, 5, 5
DAYS, SESSIONS_PER_DAY, LINES_PER_DAY, SEGMENT_S = 10, 100, 200, 60
DAY_START_UTC_H = 0  # 08:00 in China
PASSWORD = "bench-password-1"
SENTENCES = ["您好，请问有什么可以帮您", "我想咨询一下拖欠工资的问题", "老板三个月不给钱",
             "请出示您的身份证和劳动合同", "这个情况可以申请法律援助", "我们会在五个工作日内答复",
             "申请材料需要准备以下几项", "请在这里签字确认", "本次接待全程录音录像",
             "您的案子已经指派律师办理"]
FLAGGED = ["这个要收费吗", "你下次再来吧", "这不归我们管"]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def iso(moment: datetime) -> str:
    return moment.isoformat()


def generate(dsn: str, today: date, *, prefectures: int = PREFECTURES,
             counties: int = COUNTIES, windows_per_county: int = WINDOWS,
             days: int = DAYS) -> dict[str, Any]:
    """COPY the whole catalog in; returns names the measurements use."""
    rng = random.Random(7)
    book = load_phrasebook()
    lines_cache: dict[str, tuple[str, list[list[Any]]]] = {}

    def tokens_of(text: str) -> tuple[str, list[list[Any]]]:
        if text not in lines_cache:
            words = index_tokens(text)
            lines_cache[text] = (index_text(text), [[i * 300, i * 300 + 300, w, 900]
                                                     for i, w in enumerate(words)])
        return lines_cache[text]

    now = datetime.now(UTC)
    juris: list[tuple[str, str | None, str, str, str]] = [
        ("yn", None, "province", "云南省", "/yn/")]
    windows, staff = [], []
    for p in range(prefectures):
        pid = f"p{p}"
        juris.append((pid, "yn", "prefecture", f"第{p + 1}州", f"/yn/{pid}/"))
        for c in range(counties):
            cid = f"{pid}c{c}"
            juris.append((cid, pid, "county", f"{p + 1}州{c + 1}县", f"/yn/{pid}/{cid}/"))
            sid = f"{cid}s"
            juris.append((sid, cid, "station", f"{p + 1}州{c + 1}县工作站",
                          f"/yn/{pid}/{cid}/{sid}/"))
            for w in range(windows_per_county):
                windows.append((f"{sid}w{w}", sid, f"{w + 1}号窗口", "window", None))
            staff += [(f"{sid}-staff{n}", sid, f"工作人员{n}") for n in range(4)]
    recordings, segments, gaps, sessions, markers, cases = [], [], [], [], [], []
    transcripts, lines, flags = [], [], []
    seg_id = line_id = flag_id = 0
    case_no = 0
    for window_id, sid, *_ in windows:
        for d in range(days):
            day = today - timedelta(days=days - 1 - d)
            start = datetime(day.year, day.month, day.day, DAY_START_UTC_H, 30, tzinfo=UTC)
            rid = uuid.uuid4().hex
            is_open = d == days - 1
            end = start + timedelta(hours=8)
            if is_open:
                end = min(end, now)
            count = max(1, int((end - start).total_seconds() // SEGMENT_S))
            head = sha(rid)
            recordings.append((rid, window_id, "live", "open" if is_open else "closed",
                               "sealed", iso(start), None if is_open else iso(end), count,
                               head, count * 4_000_000, iso(start), 1, 1,
                               iso(start + timedelta(days=180)), iso(start)))
            for seq in range(count):
                seg_id += 1
                s0 = start + timedelta(seconds=seq * SEGMENT_S)
                segments.append((seg_id, rid, seq, sha(f"{rid}{seq}"), 4_000_000, iso(s0),
                                 iso(s0 + timedelta(seconds=SEGMENT_S)), SEGMENT_S * 1000,
                                 False, head, head, f"recordings/{rid}/{seq:06d}.ts", "v1",
                                 "video/mp2t", iso(s0)))
            for _ in range(2):
                g0 = start + timedelta(minutes=rng.randrange(30, 470))
                gaps.append((uuid.uuid4().hex, rid, iso(g0), iso(g0 + timedelta(minutes=3)),
                             rng.choice(["camera_unreachable", "recorder_restarted",
                                         "stream_stalled"]), "", None, "device:x", iso(g0)))
            for _ in range(5):
                markers.append((uuid.uuid4().hex, rid,
                                iso(start + timedelta(minutes=rng.randrange(480))), "标记",
                                "device:x"))
            session_ids = []
            for n in range(SESSIONS_PER_DAY):
                s0 = start + timedelta(seconds=n * 288)
                case_id = None
                if n % 3 == 0:
                    case_no += 1
                    case_id = uuid.uuid4().hex
                    cases.append((case_id, f"云援〔2026〕{case_no:06d}号", sid, None, "{}",
                                  iso(s0)))
                sess = uuid.uuid4().hex
                session_ids.append((sess, s0))
                sessions.append((sess, rid, window_id, iso(s0), iso(s0 + timedelta(seconds=280)),
                                 case_id, rng.choice(list(Stage)).value,
                                 f"{sid}-staff{rng.randrange(4)}", "{}", "device:x", iso(s0)))
            transcripts.append((rid, window_id, "zh", "detected", "complete", 1, iso(start),
                                iso(start)))
            for n in range(LINES_PER_DAY):
                offset = n * 144_000 + 1000
                text = rng.choice(FLAGGED) if rng.random() < 0.01 else rng.choice(SENTENCES)
                tokens, words = tokens_of(text)
                words = [[offset + a, offset + b, w, p] for a, b, w, p in words]
                line_id += 1
                at = start + timedelta(milliseconds=offset)
                lines.append((line_id, rid, window_id, 1, n, offset, words[-1][1], iso(at),
                              iso(start + timedelta(milliseconds=words[-1][1])), text, tokens,
                              json.dumps(words, ensure_ascii=False)))
                line = Line(offset_ms=offset, end_offset_ms=words[-1][1], text=text,
                            words=tuple(LineWord(*w) for w in words), seqs=(n,))
                for hit in find_flags([line], book):
                    flag_id += 1
                    flags.append((flag_id, rid, window_id, None, hit.kind, hit.phrase, text,
                                  hit.offset_ms, hit.end_offset_ms,
                                  iso(start + timedelta(milliseconds=hit.offset_ms)),
                                  hit.weight, iso(now)))
    tables: dict[str, tuple[str, list[Any]]] = {
        "jurisdictions": ("id, parent_id, level, name, path", juris),
        "windows": ("id, jurisdiction_id, name, kind, language", windows),
        "staff": ("id, jurisdiction_id, name", staff),
        "cases": ("id, number, jurisdiction_id, case_type, attributes, created_at", cases),
        "recordings": ("id, window_id, origin, state, seal_state, started_at, ended_at, "
                       "segment_count, chain_head, total_bytes, last_sealed_at, revision, "
                       "sealed_revision, retain_until, created_at", recordings),
        "segments": ("id, recording_id, seq, sha256, size, started_at, ended_at, duration_ms, "
                     "partial, prev_hash, chain_hash, object_key, version_id, content_type, "
                     "received_at", segments),
        "gaps": ("id, recording_id, started_at, ended_at, cause, detail, person, reported_by, "
                 "created_at", gaps),
        "sessions": ("id, recording_id, window_id, started_at, ended_at, case_id, stage, "
                     "staff_id, attributes, created_by, created_at", sessions),
        "markers": ("id, recording_id, at, label, created_by", markers),
        "transcripts": ("recording_id, window_id, language, language_source, state, "
                        "current_version, created_at, updated_at", transcripts),
        "transcript_lines": ("id, recording_id, window_id, version, seq, offset_ms, "
                             "end_offset_ms, started_at, ended_at, text, tokens, words", lines),
        "transcript_flags": ("id, recording_id, window_id, session_id, kind, phrase, text, "
                             "offset_ms, end_offset_ms, started_at, weight, created_at", flags),
    }
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET timezone = 'UTC'")
        for table, (columns, rows) in tables.items():
            with conn.cursor() as cur, cur.copy(
                    f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        for table, column in (("segments", "id"), ("transcript_lines", "id"),
                              ("transcript_flags", "id")):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                         f"(SELECT max({column}) FROM {table}))")
        conn.execute("ANALYZE")
    return {"windows": [w[0] for w in windows], "recordings": len(recordings),
            "sessions": len(sessions), "segments": len(segments), "lines": len(lines),
            "flags": len(flags), "cases": len(cases)}


def add_people_and_complaints(archive: Archive, today: date) -> None:
    from api.complaints import service as complaints
    from api.settings import WebSettings
    from archive.access import people as access
    from archive.access.people import principal_of
    from archive.catalog.models import User

    with archive.catalog.write() as db:
        access.create_user(db, id="sup-yn", name="省监督", role=Role.SUPERVISOR,
                           jurisdiction_id="yn", password_hash=hash_password(PASSWORD))
    with archive.catalog.read() as db:
        principal = principal_of(db, db.get_one(User, "sup-yn"))
    web = WebSettings()
    for n in range(200):
        complaints.register(archive.catalog, principal, new=complaints.NewComplaint(
            complainant=f"投诉人{n}", summary="态度问题", received_on=today - timedelta(
                days=n % 40), jurisdiction_id=f"p{n % PREFECTURES}c{n % COUNTIES}"),
            web=web, now=datetime.now(UTC))


def timed_gets(client: httpx.Client, urls: list[str], repeat: int) -> list[float]:
    for url in urls[:5]:  # warm up
        client.get(url).raise_for_status()
    times = []
    for i in range(repeat):
        url = urls[i % len(urls)]
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        response.raise_for_status()
    return times


def first_frame_ms(base: str, session_id: str, plays: int) -> list[float]:
    results = []
    with chromium() as browser:
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        page.goto(f"{base}/login?next=/")
        page.fill("#username", "sup-yn")
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(f"{base}/")
        for _ in range(plays):
            page.goto(f"{base}/sessions/{session_id}")
            page.evaluate("""() => {
                const v = document.getElementById('player');
                window.__frame = null;
                v.requestVideoFrameCallback(() => { window.__frame = performance.now(); });
                window.__click = performance.now();
                document.getElementById('play').click();
            }""")
            deadline = time.monotonic() + 20
            while page.evaluate("window.__frame") is None:
                if time.monotonic() > deadline:
                    raise RuntimeError("no frame within 20 s")
                time.sleep(0.01)
            results.append(float(page.evaluate("window.__frame - window.__click")))
        context.close()
    return results


def real_session(archive: Archive, window_id: str, root: Path) -> str:
    clips = [make_media(root / f"{n}.ts", seconds=4) for n in range(3)]
    result = import_files(archive, clips, actor=ingest.Actor(id="operator:bench",
                                                             jurisdiction_id=None),
                          window_id=window_id, case_number="云援〔2026〕9999999号",
                          stage=Stage.CONSULTATION, staff_id=None,
                          started_at=datetime.now(UTC) - timedelta(days=1, hours=1))
    return result.session_id


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--plays", type=int, default=15)
    parser.add_argument("--keep", action="store_true",
                        help="keep the generated database (its name is printed)")
    args = parser.parse_args(argv)
    name = f"aidrec_bench_web_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        run(name, args.requests, args.plays)
    finally:
        if args.keep:
            print(f"kept database {name}")
        else:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(name: str, requests: int, plays: int) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with tempfile.TemporaryDirectory() as tmp, ephemeral_stack(Path(tmp) / "stack") as stack:
        home = Path(tmp) / "home"
        home.mkdir()
        (home / "transcribe.toml").write_text("enabled = false\n")
        settings = stack.settings(home=home, catalog_url=url)
        archive = Archive.from_settings(settings)
        archive.catalog.migrate()
        today = (datetime.now(UTC) + timedelta(hours=8)).date()
        started = time.perf_counter()
        shape = generate(f"postgresql://postgres@127.0.0.1:5432/{name}", today)
        add_people_and_complaints(archive, today)
        session_id = real_session(archive, shape["windows"][0], Path(tmp))
        print(f"catalog: {json.dumps({k: v for k, v in shape.items() if k != 'windows'})}, "
              f"generated in {time.perf_counter() - started:.0f} s", flush=True)
        rng = random.Random(3)
        with api_process(settings) as base, httpx.Client(base_url=base, timeout=30) as client:
            client.post("/api/v1/auth/login", json={"username": "sup-yn",
                                                    "password": PASSWORD}).raise_for_status()
            days = [today - timedelta(days=d) for d in range(1, DAYS)]
            pages = {
                "dashboard": ["/"],
                "day timeline": [f"/windows/{rng.choice(shape['windows'])}/days/"
                                 f"{rng.choice(days)}" for _ in range(50)],
                "search page (transcripts)": [f"/search?q={q}" for q in
                                              ("收费", "工资", "法律援助", "身份证 合同",
                                               "下次再来")],
                "search page (sessions of a window's day)": [
                    f"/search?window={rng.choice(shape['windows'])}&day={rng.choice(days)}"
                    for _ in range(50)],
            }
            for label, urls in pages.items():
                times = timed_gets(client, urls, requests)
                print(f"{label:45s} median {statistics.median(times) * 1000:6.1f} ms  "
                      f"p95 {percentile(times, 0.95) * 1000:6.1f} ms  n={len(times)}",
                      flush=True)
            frames = first_frame_ms(base, session_id, plays)
            print(f"{'time to first frame after play':45s} median {statistics.median(frames):6.1f}"
                  f" ms  p95 {percentile(frames, 0.95):6.1f} ms  n={len(frames)}", flush=True)
        archive.close()


if __name__ == "__main__":
    main()
