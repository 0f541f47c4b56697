"""Search latency over 1,000,000 synthetic transcript lines, on SQLite (FTS5) and PostgreSQL.

The corpus is generated here: Chinese lines sampled from jieba's own dictionary by word
frequency (so common words are common, as in speech), 5,000 recordings of 200 lines spread
over a year on 400 windows in 4 prefectures, sessions with staff, stages and cases, and flag
phrases at a realistic rate. Both databases get the schema from the real migrations and the
same rows (bulk inserts on SQLite, COPY on PostgreSQL); then `transcribe.search.search_lines`
runs a fixed mix of queries (the same function the CLI and API call, hydration included).

    .venv/bin/python bench/search_latency.py [--lines 1000000] [--queries 400] [--db both]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from archive.catalog.db import Catalog
from archive.evidence.vocabulary import Stage
from transcribe.search import SearchFilters, search_lines
from transcribe.tokens import ensure_jieba

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
LINES_PER_RECORDING = 200
PREFECTURES, COUNTIES, WINDOWS_PER_COUNTY = 4, 10, 10  # 400 windows
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
FLAG_WORDS = ["收费", "红包", "好处费", "辛苦费", "不归我们管", "下次再来", "去别的地方"]
FLAG_RATE = 0.002  # lines carrying one of them


@dataclass
class Corpus:
    words: list[str]
    probabilities: np.ndarray  # type: ignore[type-arg]
    ranks: dict[str, int]


def load_vocabulary() -> Corpus:
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    rows: list[tuple[str, int]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        word, freq = line.split(" ")[:2]
        if all("\u4e00" <= c <= "\u9fff" for c in word):
            rows.append((word, int(freq)))
    rows.sort(key=lambda r: -r[1])
    words = [w for w, _ in rows]
    weights = np.array([f for _, f in rows], dtype=np.float64)
    return Corpus(words, weights / weights.sum(), {w: i for i, w in enumerate(words)})


def ms(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def generate(corpus: Corpus, lines: int, seed: int = 7) -> Iterator[tuple[object, ...]]:
    """Rows (id, recording, window, seq, offset, end, started, ended, text, tokens, words)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(6, 17, size=lines)
    picks = rng.choice(len(corpus.words), size=int(lengths.sum()), p=corpus.probabilities)
    flag_lines = rng.random(lines) < FLAG_RATE
    at = 0
    recordings = lines // LINES_PER_RECORDING
    windows = recording_windows(recordings)
    starts = recording_starts(recordings)
    for n in range(lines):
        rec = n // LINES_PER_RECORDING
        words = [corpus.words[i] for i in picks[at:at + lengths[n]]]
        at += lengths[n]
        if flag_lines[n]:
            words.insert(int(rng.integers(0, len(words))), FLAG_WORDS[n % len(FLAG_WORDS)])
        offset = (n % LINES_PER_RECORDING) * 15_000
        step = 12_000 // len(words)
        word_json = json.dumps([[offset + i * step, offset + (i + 1) * step, w, 900]
                                for i, w in enumerate(words)], ensure_ascii=False)
        started = starts[rec] + timedelta(milliseconds=offset)
        yield (n + 1, f"r{rec:07d}", windows[rec], 0, offset, offset + 12_000, ms(started),
               ms(started + timedelta(seconds=12)), "".join(words), " ".join(words), word_json)


def recording_windows(recordings: int) -> list[str]:
    rng = random.Random(11)
    all_windows = [f"w{p}{c:02d}{w:02d}" for p in range(PREFECTURES) for c in range(COUNTIES)
                   for w in range(WINDOWS_PER_COUNTY)]
    return [rng.choice(all_windows) for _ in range(recordings)]


def recording_starts(recordings: int) -> list[datetime]:
    rng = random.Random(13)
    return [YEAR_START + timedelta(seconds=rng.randrange(0, 364 * 86400)) for _ in
            range(recordings)]


def reference_rows(recordings: int) -> dict[str, list[tuple[object, ...]]]:
    """Jurisdictions, windows, recordings and sessions the lines hang from."""
    jur: list[tuple[object, ...]] = [("yn", None, "province", "省", "/yn/")]
    win: list[tuple[object, ...]] = []
    for p in range(PREFECTURES):
        jur.append((f"p{p}", "yn", "prefecture", f"州{p}", f"/yn/p{p}/"))
        for c in range(COUNTIES):
            cid = f"c{p}{c:02d}"
            jur.append((cid, f"p{p}", "county", f"县{cid}", f"/yn/p{p}/{cid}/"))
            jur.append((f"s{p}{c:02d}", cid, "station", "站", f"/yn/p{p}/{cid}/s{p}{c:02d}/"))
            for w in range(WINDOWS_PER_COUNTY):
                win.append((f"w{p}{c:02d}{w:02d}", f"s{p}{c:02d}", "窗口", "window", None))
    windows, starts = recording_windows(recordings), recording_starts(recordings)
    recs: list[tuple[object, ...]] = []
    sessions: list[tuple[object, ...]] = []
    cases: list[tuple[object, ...]] = []
    stages = [s.value for s in Stage]
    for r in range(recordings):
        start = starts[r]
        recs.append((f"r{r:07d}", windows[r], "import", "closed", "sealed", ms(start),
                     ms(start + timedelta(hours=1)), 1, "0" * 64, 0, 0, 0,
                     ms(start + timedelta(days=180)), ms(start)))
        for k in range(4):  # four 15-minute sessions per recording
            case_id = f"k{r:07d}{k}"
            cases.append((case_id, f"云援〔2026〕{r * 4 + k:07d}号", ms(start)))
            s_start = start + timedelta(minutes=15 * k)
            sessions.append((f"s{r:07d}{k}", f"r{r:07d}", windows[r], ms(s_start),
                             ms(s_start + timedelta(minutes=15)), case_id, stages[k % 9],
                             f"staff{(r + k) % 300:03d}", "{}", "bench", ms(start)))
    staff: list[tuple[object, ...]] = [(f"staff{n:03d}", "yn", f"工作人员{n}")
                                       for n in range(300)]
    return {"jurisdictions": jur, "windows": win, "recordings": recs, "cases": cases,
            "staff": staff, "sessions": sessions}


REF_SQL = {
    "jurisdictions": "INSERT INTO jurisdictions (id, parent_id, level, name, path) "
                     "VALUES (%s)",
    "windows": "INSERT INTO windows (id, jurisdiction_id, name, kind, language) VALUES (%s)",
    "recordings": "INSERT INTO recordings (id, window_id, origin, state, seal_state, "
                  "started_at, ended_at, segment_count, chain_head, total_bytes, revision, "
                  "sealed_revision, retain_until, created_at) VALUES (%s)",
    "staff": "INSERT INTO staff (id, jurisdiction_id, name) VALUES (%s)",
    "cases": "INSERT INTO cases (id, number, created_at, attributes) VALUES (%s, '{}')",
    "sessions": "INSERT INTO sessions (id, recording_id, window_id, started_at, ended_at, "
                "case_id, stage, staff_id, attributes, created_by, created_at) VALUES (%s)",
}
LINE_COLUMNS = ("id, recording_id, window_id, seq, offset_ms, end_offset_ms, started_at, "
                "ended_at, text, tokens, words, version")


def load_sqlite(url: str, corpus: Corpus, lines: int) -> None:
    path = url.split("///", 1)[1]
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    refs = reference_rows(lines // LINES_PER_RECORDING)
    with conn:
        for table, rows in refs.items():
            marks = ",".join("?" * len(rows[0]))
            conn.executemany(REF_SQL[table] % marks, rows)
        batch: list[tuple[object, ...]] = []
        for row in generate(corpus, lines):
            batch.append((*row, 1))
            if len(batch) == 20_000:
                conn.executemany(f"INSERT INTO transcript_lines ({LINE_COLUMNS}) VALUES "
                                 f"({','.join('?' * 12)})", batch)
                batch.clear()
        if batch:
            conn.executemany(f"INSERT INTO transcript_lines ({LINE_COLUMNS}) VALUES "
                             f"({','.join('?' * 12)})", batch)
    conn.execute("INSERT INTO transcript_lines_fts(transcript_lines_fts) VALUES ('optimize')")
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()


def load_postgres(dsn: str, corpus: Corpus, lines: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET timezone = 'UTC'")  # the generated times are UTC
        refs = reference_rows(lines // LINES_PER_RECORDING)
        for table, rows in refs.items():
            marks = ",".join(["%s"] * len(rows[0]))
            with conn.cursor() as cur:
                cur.executemany(REF_SQL[table] % marks, rows)
        # Same end state as inserting row by row, built faster: COPY, then the GIN index.
        conn.execute("DROP INDEX ix_transcript_lines_tsv")
        with conn.cursor() as cur, cur.copy(
                f"COPY transcript_lines ({LINE_COLUMNS}) FROM STDIN") as copy:
            for row in generate(corpus, lines):
                copy.write_row((*row, 1))
        conn.execute("CREATE INDEX ix_transcript_lines_tsv ON transcript_lines USING gin (tsv)")
        conn.execute("SELECT setval(pg_get_serial_sequence('transcript_lines', 'id'), "
                     f"{lines})")
        conn.execute("ANALYZE")


@dataclass(frozen=True)
class Query:
    kind: str
    text: str
    filters: SearchFilters
    scope: str = "/"


def query_mix(corpus: Corpus, count: int) -> list[Query]:
    """Flag words, words of four frequency bands, two-word queries, and filtered ones."""
    rng = random.Random(5)

    def band(lo: int, hi: int) -> str:
        return corpus.words[rng.randrange(lo, hi)]

    def some_window() -> str:
        return f"w{rng.randrange(PREFECTURES)}{rng.randrange(COUNTIES):02d}{rng.randrange(10):02d}"

    makers: list[Callable[[], Query]] = [
        lambda: Query("flag word", rng.choice(FLAG_WORDS), SearchFilters()),
        lambda: Query("rare word (rank 20k-100k)", band(20_000, 100_000), SearchFilters()),
        lambda: Query("medium word (rank 2k-20k)", band(2_000, 20_000), SearchFilters()),
        lambda: Query("common word (rank 200-2k)", band(200, 2_000), SearchFilters()),
        lambda: Query("most common words (rank 0-200)", band(0, 200), SearchFilters()),
        lambda: Query("two words", f"{band(200, 5_000)} {band(200, 5_000)}", SearchFilters()),
        lambda: Query("common word, one prefecture", band(200, 2_000), SearchFilters(),
                      scope=f"/yn/p{rng.randrange(PREFECTURES)}/"),
        lambda: Query("medium word, one window", band(2_000, 20_000),
                      SearchFilters(window_id=some_window())),
        lambda: Query("common word, one month", band(200, 2_000), SearchFilters(
            since=YEAR_START + timedelta(days=30 * (m := rng.randrange(11))),
            until=YEAR_START + timedelta(days=30 * (m + 1)))),
        lambda: Query("flag word, staff + stage", rng.choice(FLAG_WORDS), SearchFilters(
            staff_id=f"staff{rng.randrange(300):03d}", stage=Stage.CONSULTATION)),
        lambda: Query("medium word, case number", band(2_000, 20_000), SearchFilters(
            case_number=f"云援〔2026〕{rng.randrange(20_000):07d}号")),
    ]
    return [makers[i % len(makers)]() for i in range(count)]


def run_queries(catalog: Catalog, queries: list[Query]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    for q in queries[:20]:  # warm caches and the query planner
        with catalog.read() as db:
            search_lines(db, query=q.text, principal_path=q.scope, filters=q.filters)
    for q in queries:
        started = time.perf_counter()
        with catalog.read() as db:
            search_lines(db, query=q.text, principal_path=q.scope, filters=q.filters)
        times.setdefault(q.kind, []).append(time.perf_counter() - started)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def report(name: str, times: dict[str, list[float]], load_s: float, size: str) -> None:
    every = [t for ts in times.values() for t in ts]
    print(f"\n### {name}: {len(every)} queries, load {load_s:.0f} s, {size}")
    print("| query | p50 ms | p95 ms | n |\n|---|---|---|---|")
    for kind, ts in times.items():
        print(f"| {kind} | {pct(ts, 0.5):.1f} | {pct(ts, 0.95):.1f} | {len(ts)} |")
    print(f"| **all** | **{statistics.median(every) * 1000:.1f}** | **{pct(every, 0.95):.1f}** "
          f"| {len(every)} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    ensure_jieba()
    corpus = load_vocabulary()
    queries = query_mix(corpus, args.queries)
    print(f"{args.lines} lines, {args.queries} queries, vocabulary {len(corpus.words)} words")
    if args.db in {"sqlite", "both"}:
        with tempfile.TemporaryDirectory(prefix="aidrec-search-") as tmp:
            url = f"sqlite:///{tmp}/catalog.db"
            catalog = Catalog(url)
            catalog.migrate()
            started = time.monotonic()
            load_sqlite(url, corpus, args.lines)
            load_s = time.monotonic() - started
            size = f"{os.path.getsize(f'{tmp}/catalog.db') / 1e6:.0f} MB"
            report("SQLite FTS5", run_queries(catalog, queries), load_s, size)
            catalog.dispose()
    if args.db in {"postgresql", "both"}:
        name = f"aidrec_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            catalog = Catalog(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
            catalog.migrate()
            started = time.monotonic()
            load_postgres(f"postgresql://postgres@127.0.0.1:5432/{name}", corpus, args.lines)
            load_s = time.monotonic() - started
            with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}") as conn:
                row = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))"
                                   ).fetchone()
            report("PostgreSQL tsvector + GIN", run_queries(catalog, queries), load_s,
                   str(row[0] if row else "?"))
            catalog.dispose()
        finally:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
