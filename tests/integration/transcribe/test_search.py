"""Search and the review queue on SQLite (FTS5) and PostgreSQL (tsvector + GIN).

Lines are published through the pipeline's own service functions; no speech engine here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from archive.catalog.models import Recording
from archive.evidence.errors import NotFoundError
from archive.evidence.vocabulary import RecordingOrigin, Stage
from archive.ingest import service as ingest
from archive.services import Archive
from tests.support import bootstrap_tree
from transcribe import search, service
from transcribe.errors import SearchQueryError
from transcribe.flags import find_flags, load_phrasebook
from transcribe.review import review_queue
from transcribe.search import SearchFilters, search_lines
from transcribe.stitch import Line, LineWord
from transcribe.tokens import index_tokens

A_START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
B_START = datetime(2026, 11, 5, 3, 0, tzinfo=UTC)
OPERATOR = ingest.Actor(id="operator:test", jurisdiction_id=None)


def make_line(offset_s: float, text: str, *, seconds: float = 3.0) -> Line:
    """A line whose words (jieba tokens) are spread evenly over `seconds`."""
    words = index_tokens(text) if any("\u4e00" <= c <= "\u9fff" for c in text) else \
        [f" {w}" for w in text.split()]
    start, step = round(offset_s * 1000), round(seconds * 1000 / len(words))
    return Line(offset_ms=start, end_offset_ms=start + step * len(words), text=text,
                words=tuple(LineWord(start + i * step, start + (i + 1) * step, w, 900)
                            for i, w in enumerate(words)), seqs=(0,))


def _publish(archive: Archive, recording_id: str, lines: list[Line]) -> None:
    book = load_phrasebook()
    with archive.catalog.write() as db:
        recording = db.get_one(Recording, recording_id)
        service.publish_lines(db, recording=recording, lines=lines, version=1)
        service.publish_flags(db, recording=recording, hits=find_flags(lines, book),
                              include_sessions=True)


@dataclass(frozen=True)
class Corpus:
    """Recording A (wh-w1, two sessions) and B (gd-w1, no session)."""

    archive: Archive
    a: str
    b: str
    s1: str
    s2: str

    def find(self, query: str, *, scope: str = "/", **filters: Any) -> list[str]:
        """Hits as "a@720": recording and line start in seconds."""
        with self.archive.catalog.read() as db:
            page = search_lines(db, query=query, principal_path=scope,
                                filters=SearchFilters(**filters))
        return [f"{'a' if h.recording_id == self.a else 'b'}@{h.line_offset_ms // 1000}"
                for h in page.hits]


@pytest.fixture
def corpus(archive: Archive) -> Corpus:
    tree = bootstrap_tree(archive)
    a = ingest.open_recording(archive.catalog, actor=OPERATOR, window_id=tree.window_id,
                              started_at=A_START, origin=RecordingOrigin.IMPORT,
                              retention_days=180)
    b = ingest.open_recording(archive.catalog, actor=OPERATOR, window_id=tree.other_window_id,
                              started_at=B_START, origin=RecordingOrigin.IMPORT,
                              retention_days=180)
    s1 = ingest.open_session(archive.catalog, actor=OPERATOR, recording_id=a.id,
                             started_at=A_START, ended_at=A_START + timedelta(minutes=10),
                             case_number="云援〔2026〕0001号", stage=Stage.CONSULTATION,
                             staff_id="s-1")
    s2 = ingest.open_session(archive.catalog, actor=OPERATOR, recording_id=a.id,
                             started_at=A_START + timedelta(minutes=10),
                             ended_at=A_START + timedelta(minutes=20),
                             case_number="云援〔2026〕0002号", stage=Stage.APPLICATION,
                             staff_id="s-2")
    _publish(archive, a.id, [make_line(120, "老板三个月不给钱"),
                             make_line(720, "这个要收费吗？要给一个红包"),
                             make_line(780, "The officer said legal aid is FREE")])
    _publish(archive, b.id, [make_line(60, "收费标准是什么")])
    return Corpus(archive, a.id, b.id, s1.id, s2.id)


def test_two_character_word_newest_first_and_at_its_moment(corpus: Corpus) -> None:
    assert corpus.find("收费") == ["b@60", "a@720"]
    assert corpus.find("收費") == ["b@60", "a@720"]  # traditional in the query
    with corpus.archive.catalog.read() as db:
        page = search_lines(db, query="红包", principal_path="/")
    (hit,) = page.hits
    assert hit.line_offset_ms == 720_000 and hit.offset_ms > hit.line_offset_ms  # the word
    assert hit.at == A_START + timedelta(milliseconds=hit.offset_ms)
    assert (hit.session_id, hit.case_number, hit.stage, hit.staff_id) == (
        corpus.s2, "云援〔2026〕0002号", "application", "s-2")
    assert hit.flags == ("money",)
    assert corpus.find("free") == ["a@780"] and corpus.find("LEGAL AID") == ["a@780"]
    assert corpus.find("老板 给钱") == ["a@120"]  # every word must be there
    assert corpus.find("老板 收费") == []


@pytest.mark.parametrize("dense", [False, True], ids=["sort-matches", "walk-time-index"])
def test_scope_and_filters(corpus: Corpus, dense: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # Both SQLite plans (see search._dense) must give the same answers; PostgreSQL has one.
    monkeypatch.setattr(search, "_dense", lambda *_: dense)
    assert corpus.find("收费", scope="/yn/km/wh/") == ["a@720"]
    assert corpus.find("收费", jurisdiction_id="gd") == ["b@60"]
    with pytest.raises(NotFoundError, match="jurisdiction gd does not exist"):
        corpus.find("收费", scope="/yn/km/wh/", jurisdiction_id="gd")
    assert corpus.find("收费", window_id="wh-w1") == ["a@720"]
    assert corpus.find("收费", staff_id="s-2") == ["a@720"]
    assert corpus.find("收费", staff_id="s-1") == []
    assert corpus.find("老板", case_number="云援〔2026〕0001号") == ["a@120"]
    assert corpus.find("老板", stage=Stage.APPLICATION) == []
    assert corpus.find("收费", since=B_START) == ["b@60"]
    assert corpus.find("收费", until=B_START) == ["a@720"]
    # Flags: session 2 and recording B (no sessions) carry money; session 1 does not.
    assert corpus.find("收费", flag="money") == ["b@60", "a@720"]
    assert corpus.find("老板", flag="money") == []
    assert corpus.find("收费", flag="rudeness") == []


def test_paging_and_bad_queries(corpus: Corpus) -> None:
    with corpus.archive.catalog.read() as db:
        first = search_lines(db, query="收费", principal_path="/", limit=1)
        second = search_lines(db, query="收费", principal_path="/", limit=1, offset=1)
        assert first.next_offset == 1 and second.next_offset is None
        assert [h.recording_id for h in first.hits + second.hits] == [
            corpus.b, corpus.a]
        for bad, message in (("", "a query has 1-200 characters, got 0"),
                             ("！？。", "the query has no letters or digits"),
                             ("x" * 201, "a query has 1-200 characters, got 201")):
            with pytest.raises(SearchQueryError, match=message):
                search_lines(db, query=bad, principal_path="/")


def test_republishing_keeps_the_index_in_step(corpus: Corpus) -> None:
    _publish(corpus.archive, corpus.a, [make_line(120, "老板三个月不给工资")])
    assert corpus.find("给钱") == []
    assert corpus.find("工资") == ["a@120"]
    assert corpus.find("收费") == ["b@60"]


def test_review_queue_orders_sessions_by_flags(corpus: Corpus) -> None:
    with corpus.archive.catalog.read() as db:
        items = review_queue(db, principal_path="/")
        scoped = review_queue(db, principal_path="/yn/km/wh/")
    assert [(i.recording_id, i.session_id, i.flags) for i in items] == [
        (corpus.a, corpus.s2, {"money": 2}),
        (corpus.b, None, {"money": 1})]
    assert [i.session_id for i in scoped] == [corpus.s2]
