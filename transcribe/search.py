"""Full-text search over transcript lines, scoped by jurisdiction, with session filters.

One query shape on both databases; only the token match differs: FTS5 `MATCH` on SQLite,
`tsvector @@ tsquery` on PostgreSQL (see migration 0003). Every hit opens at its moment:
the recording and the offset of the first matching word.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    SQLColumnExpression,
    TextClause,
    and_,
    column,
    exists,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session as DBSession
from sqlalchemy.orm import aliased

from archive.access.scope import Scope
from archive.catalog.models import Case, Session, Window
from archive.evidence.vocabulary import Stage
from transcribe.errors import SearchQueryError
from transcribe.flags import phrase_times
from transcribe.models import TranscriptFlag, TranscriptLine
from transcribe.stitch import Line, LineWord
from transcribe.tokens import query_tokens

MAX_QUERY_CHARS = 200
MAX_TOKENS = 12
MAX_LIMIT = 200


@dataclass(frozen=True)
class SearchFilters:
    jurisdiction_id: str | None = None  # a subtree inside the person's own
    window_id: str | None = None
    staff_id: str | None = None
    case_number: str | None = None
    stage: Stage | None = None
    since: datetime | None = None  # said at or after
    until: datetime | None = None  # said before
    flag: str | None = None  # only lines in sessions (or recordings) with this flag kind


@dataclass(frozen=True)
class SearchHit:
    line_id: int
    recording_id: str
    window_id: str
    jurisdiction_id: str
    offset_ms: int  # where to open the recording: the first matching word
    at: datetime  # the same moment, wall clock
    line_offset_ms: int
    line_end_offset_ms: int
    text: str
    provisional: bool  # True while the recording is still being transcribed
    version: int
    session_id: str | None
    case_number: str | None
    stage: str | None
    staff_id: str | None
    flags: tuple[str, ...]  # flag kinds raised inside this line


@dataclass(frozen=True)
class SearchPage:
    query: str
    tokens: tuple[str, ...]
    hits: tuple[SearchHit, ...]
    next_offset: int | None


def parse_query(query: str) -> list[str]:
    """Search tokens of a query.

    Raises:
        SearchQueryError: empty, too long, or too many words.
    """
    query = query.strip()
    if not query or len(query) > MAX_QUERY_CHARS:
        raise SearchQueryError(f"a query has 1-{MAX_QUERY_CHARS} characters, got {len(query)}")
    tokens = query_tokens(query)
    if not tokens:
        raise SearchQueryError("the query has no letters or digits")
    if len(tokens) > MAX_TOKENS:
        raise SearchQueryError(f"got {len(tokens)} words, at most {MAX_TOKENS} are searched")
    return tokens


def fts5_query(tokens: Sequence[str]) -> str:
    """FTS5 query: every token, each quoted (tokens hold only letters and digits)."""
    return " AND ".join(f'"{t}"' for t in tokens)


def tsquery(tokens: Sequence[str]) -> str:
    """PostgreSQL tsquery literal: every token, verbatim (no parser, no stemming)."""
    return " & ".join("'" + t.replace("'", "''") + "'" for t in tokens)


def _fts_rowids(tokens: Sequence[str]) -> TextClause:
    return text("SELECT rowid FROM transcript_lines_fts WHERE transcript_lines_fts MATCH :fts") \
        .bindparams(fts=fts5_query(tokens))


def _dense(db: DBSession, tokens: Sequence[str], wanted: int) -> bool:
    """SQLite: do the words match so many lines that reading newest-first is cheaper?

    Sorting all matches costs one row read per match; walking the time index costs about
    wanted / density cheap index steps. They break even near sqrt(wanted * lines) matches.
    """
    total = db.scalar(text("SELECT max(rowid) FROM transcript_lines")) or 0
    threshold = max(500, math.isqrt(wanted * int(total)))
    found = db.scalar(text(f"SELECT count(*) FROM ({_fts_rowids(tokens).text} LIMIT :n)")
                      .bindparams(fts=fts5_query(tokens), n=threshold))
    return int(found or 0) >= threshold


def _line_in(session: type[Session]) -> ColumnElement[bool]:
    s = session
    return and_(s.recording_id == TranscriptLine.recording_id,
                s.started_at <= TranscriptLine.started_at,
                or_(s.ended_at.is_(None), s.ended_at > TranscriptLine.started_at))


def scope_path(db: DBSession, *, principal_path: str, jurisdiction_id: str | None) -> str:
    """The subtree searched: the person's own, or a part of it they name.

    Raises:
        NotFoundError: the jurisdiction is unknown or outside the person's subtree.
    """
    if jurisdiction_id is None:
        return principal_path
    return Scope(principal_path).require_jurisdiction(db, jurisdiction_id).path


def search_lines(db: DBSession, *, query: str, principal_path: str,
                 filters: SearchFilters = SearchFilters(), limit: int = 20,
                 offset: int = 0) -> SearchPage:
    """Lines matching every query word, newest first, within the person's subtree."""
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise SearchQueryError(f"limit must be 1-{MAX_LIMIT} and offset >= 0")
    tokens = parse_query(query)
    path = scope_path(db, principal_path=principal_path, jurisdiction_id=filters.jurisdiction_id)
    conditions: list[ColumnElement[bool]]
    line_id: SQLColumnExpression[int] = TranscriptLine.id
    window: SQLColumnExpression[str] = TranscriptLine.window_id
    if db.get_bind().dialect.name == "sqlite":
        if _dense(db, tokens, offset + limit + 1):
            # `+ 0` / `|| ''` keep SQLite off the rowid and window indexes, so it walks the
            # (started_at, window_id) index newest-first and stops at the page's end.
            line_id, window = TranscriptLine.id + 0, TranscriptLine.window_id.concat("")
        conditions = [line_id.in_(_fts_rowids(tokens).columns(column("rowid", Integer)))]
    else:
        match = text("transcript_lines.tsv @@ CAST(:tsq AS tsquery)").bindparams(
            tsq=tsquery(tokens))
        conditions = [match]  # type: ignore[list-item]
    conditions.append(Scope(path).on_window(window))
    if filters.window_id:
        conditions.append(TranscriptLine.window_id == filters.window_id)
    if filters.since:
        conditions.append(TranscriptLine.started_at >= filters.since)
    if filters.until:
        conditions.append(TranscriptLine.started_at < filters.until)
    if filters.staff_id or filters.case_number or filters.stage:
        conditions.append(_session_filter(filters))
    if filters.flag:
        conditions.append(_flag_filter(filters.flag))
    ids = list(db.scalars(select(TranscriptLine.id).where(*conditions)
                          .order_by(TranscriptLine.started_at.desc(), TranscriptLine.id.desc())
                          .limit(limit + 1).offset(offset)))
    more = len(ids) > limit
    hits = _hydrate(db, ids[:limit], tokens)
    return SearchPage(query=query, tokens=tuple(tokens), hits=tuple(hits),
                      next_offset=offset + limit if more else None)


def _session_filter(filters: SearchFilters) -> ColumnElement[bool]:
    s = aliased(Session)
    clauses = [_line_in(s)]
    if filters.staff_id:
        clauses.append(s.staff_id == filters.staff_id)
    if filters.stage:
        clauses.append(s.stage == filters.stage)
    if filters.case_number:
        clauses.append(s.case_id.in_(select(Case.id).where(Case.number == filters.case_number)))
    return exists().where(*clauses)


def _flag_filter(kind: str) -> ColumnElement[bool]:
    """The line's session carries the flag; a line outside sessions: its recording does."""
    s = aliased(Session)
    f = aliased(TranscriptFlag)
    in_session = exists().where(_line_in(s)).correlate_except(s)
    flag_in_session = and_(_line_in(s), or_(
        f.session_id == s.id,
        and_(f.session_id.is_(None), f.started_at >= s.started_at,
             or_(s.ended_at.is_(None), f.started_at < s.ended_at))))
    return exists().where(f.recording_id == TranscriptLine.recording_id, f.kind == kind,
                          or_(~in_session, exists().where(flag_in_session)
                              .correlate_except(s))).correlate_except(f)


def _hydrate(db: DBSession, ids: list[int], tokens: Sequence[str]) -> list[SearchHit]:
    """The page's lines with their sessions, cases and flags: three queries for any page."""
    if not ids:
        return []
    t = TranscriptLine
    lines = {row.id: row for row in db.execute(
        select(t.id, t.recording_id, t.window_id, t.seq, t.offset_ms, t.end_offset_ms,
               t.started_at, t.text, t.words, t.version, Window.jurisdiction_id)
        .join(Window, Window.id == t.window_id).where(t.id.in_(ids)))}
    recordings = {row.recording_id for row in lines.values()}
    sessions: dict[str, list[Any]] = {}
    for row in db.execute(
            select(Session.id, Session.recording_id, Session.started_at, Session.ended_at,
                   Session.stage, Session.staff_id, Case.number)
            .outerjoin(Case, Case.id == Session.case_id)
            .where(Session.recording_id.in_(recordings)).order_by(Session.started_at.desc())):
        sessions.setdefault(row.recording_id, []).append(row)
    flags: dict[str, list[tuple[int, str]]] = {}
    for recording_id, offset_ms, kind in db.execute(
            select(TranscriptFlag.recording_id, TranscriptFlag.offset_ms, TranscriptFlag.kind)
            .where(TranscriptFlag.recording_id.in_(recordings), TranscriptFlag.phrase != "")):
        flags.setdefault(recording_id, []).append((offset_ms, kind))
    hits = []
    for line_id in ids:
        line = lines[line_id]
        session = next((s for s in sessions.get(line.recording_id, ())
                        if s.started_at <= line.started_at
                        and (s.ended_at is None or s.ended_at > line.started_at)), None)
        moment = _moment(line, tokens)
        kinds = tuple(sorted({kind for offset, kind in flags.get(line.recording_id, ())
                              if line.offset_ms <= offset <= line.end_offset_ms}))
        hits.append(SearchHit(
            line_id=line.id, recording_id=line.recording_id, window_id=line.window_id,
            jurisdiction_id=line.jurisdiction_id, offset_ms=moment,
            at=line.started_at + timedelta(milliseconds=moment - line.offset_ms),
            line_offset_ms=line.offset_ms, line_end_offset_ms=line.end_offset_ms,
            text=line.text, provisional=line.version == 0, version=line.version,
            session_id=session.id if session else None,
            case_number=session.number if session else None,
            stage=Stage(session.stage).value if session and session.stage else None,
            staff_id=session.staff_id if session else None, flags=kinds))
    return hits


def _moment(line: Any, tokens: Sequence[str]) -> int:
    """Offset of the earliest word matching a query token; the line's start otherwise."""
    as_line = Line(offset_ms=line.offset_ms, end_offset_ms=line.end_offset_ms, text=line.text,
                   words=tuple(LineWord(int(w[0]), int(w[1]), str(w[2]), int(w[3]))
                               for w in line.words), seqs=(line.seq,))
    starts = [start for token in tokens for start, _ in phrase_times(as_line, token)]
    return min(starts, default=line.offset_ms)
