"""Transcript documents: the canonical JSON that is sealed, the WebVTT beside it, and diffs."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archive.evidence.canonical import iso
from transcribe.errors import CorrectionError
from transcribe.stitch import Line, LineWord

TRANSCRIPT_FORMAT = "aidrec-transcript/1"


@dataclass(frozen=True)
class SourceSegment:
    seq: int
    sha256: str
    started_at: datetime
    ended_at: datetime
    language: str | None


@dataclass(frozen=True)
class VersionInfo:
    number: int
    kind: str  # "machine" or "correction"
    created_at: datetime
    author: str
    reason: str
    parent_sha256: str | None  # the document this version supersedes


def line_entry(line: Line, recording_started_at: datetime) -> dict[str, Any]:
    """One line in the document: offsets in the recording and wall-clock times."""
    return {
        "offset_ms": line.offset_ms, "end_offset_ms": line.end_offset_ms,
        "started_at": iso(line.started_at(recording_started_at)),
        "ended_at": iso(line.ended_at(recording_started_at)),
        "text": line.text, "segments": list(line.seqs), "loop_cut": line.loop_cut,
        "words": [[w.offset_ms, w.end_offset_ms, w.text, w.p] for w in line.words],
    }


def build_document(
    *, recording_id: str, window_id: str, recording_started_at: datetime,
    language: str | None, language_source: str, version: VersionInfo,
    sources: Sequence[SourceSegment], producer: Mapping[str, Any], lines: Sequence[Line],
    vtt_sha256: str, vtt_size: int, diff: Sequence[str] = (),
) -> dict[str, Any]:
    """Everything a verifier needs: what was heard, from which bytes, by which model."""
    return {
        "format": TRANSCRIPT_FORMAT,
        "recording": {"id": recording_id, "window_id": window_id,
                      "started_at": iso(recording_started_at)},
        "version": {"number": version.number, "kind": version.kind,
                    "created_at": iso(version.created_at), "author": version.author,
                    "reason": version.reason, "parent_sha256": version.parent_sha256},
        "source": {"segments": [{"seq": s.seq, "sha256": s.sha256,
                                 "started_at": iso(s.started_at), "ended_at": iso(s.ended_at),
                                 "language": s.language} for s in sources]},
        "producer": dict(producer),
        "language": {"code": language, "source": language_source},
        "files": {"transcript.vtt": {"sha256": vtt_sha256, "size": vtt_size,
                                     "content_type": "text/vtt"}},
        "diff": list(diff),
        "lines": [line_entry(line, recording_started_at) for line in lines],
    }


def lines_from_document(document: Mapping[str, Any]) -> list[Line]:
    """The lines of a stored document, as the stitcher makes them."""
    out = []
    for item in document["lines"]:
        words = tuple(LineWord(int(w[0]), int(w[1]), str(w[2]), int(w[3]))
                      for w in item["words"])
        out.append(Line(offset_ms=int(item["offset_ms"]),
                        end_offset_ms=int(item["end_offset_ms"]), text=str(item["text"]),
                        words=words, seqs=tuple(int(s) for s in item["segments"]),
                        loop_cut=bool(item.get("loop_cut", False))))
    return out


def _vtt_time(ms: int) -> str:
    hours, rest = divmod(max(ms, 0), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def render_vtt(lines: Sequence[Line], *, recording_id: str,
               recording_started_at: datetime) -> str:
    """WebVTT cues on the recording's timeline; the cue id carries the wall-clock start."""
    out = ["WEBVTT", "", f"NOTE recording {recording_id} started {iso(recording_started_at)}",
           ""]
    for number, line in enumerate(lines, start=1):
        out.append(f"{number} {iso(line.started_at(recording_started_at))}")
        out.append(f"{_vtt_time(line.offset_ms)} --> "
                   f"{_vtt_time(max(line.end_offset_ms, line.offset_ms + 1))}")
        out.append(line.text.replace("-->", "->"))
        out.append("")
    return "\n".join(out)


_CUE_TIME = re.compile(r"^(\d{2,}):(\d{2}):(\d{2})\.(\d{3}) --> (\d{2,}):(\d{2}):(\d{2})\.(\d{3})")


def parse_vtt_texts(vtt: str) -> list[tuple[int, str]]:
    """(offset_ms, text) of each cue of a WebVTT file, as edited by a person."""
    cues: list[tuple[int, str]] = []
    blocks = re.split(r"\n\s*\n", vtt.replace("\r\n", "\n").strip())
    for block in blocks:
        rows = block.split("\n")
        for at, row in enumerate(rows):
            match = _CUE_TIME.match(row.strip())
            if match:
                h, m, s, ms = (int(g) for g in match.groups()[:4])
                text = " ".join(r.strip() for r in rows[at + 1:] if r.strip())
                cues.append((((h * 60 + m) * 60 + s) * 1000 + ms, text))
                break
    return cues


def apply_edits(lines: Sequence[Line], edits: Mapping[int, str]) -> list[Line]:
    """Lines with the texts of `edits` (1-based line number -> new text) replaced.

    An edited line keeps its times; its words are re-timed evenly across the line, with
    probability -1 to mark them as a person's, not the engine's.

    Raises:
        CorrectionError: a line number out of range, or nothing actually changes.
    """
    out = list(lines)
    changed = False
    for number, text in edits.items():
        if not 1 <= number <= len(out):
            raise CorrectionError(f"got line {number}, expected 1-{len(out)}")
        text = text.strip()
        line = out[number - 1]
        if text == line.text:
            continue
        changed = True
        out[number - 1] = Line(offset_ms=line.offset_ms, end_offset_ms=line.end_offset_ms,
                               text=text, words=_even_words(line, text), seqs=line.seqs)
    if not changed:
        raise CorrectionError("the correction changes no line", reason="no_change")
    return [line for line in out if line.text]


def edits_from_vtt(lines: Sequence[Line], vtt: str) -> dict[int, str]:
    """Edits from a corrected copy of the transcript's WebVTT (same cues, new texts).

    Raises:
        CorrectionError: the cues don't match the transcript's lines one for one.
    """
    cues = parse_vtt_texts(vtt)
    if len(cues) != len(lines):
        raise CorrectionError(f"got {len(cues)} cues, expected {len(lines)} (one per line; "
                              f"edit texts, not cue times)")
    edits = {}
    for number, ((offset, text), line) in enumerate(zip(cues, lines, strict=True), start=1):
        if offset != line.offset_ms:
            raise CorrectionError(f"cue {number} starts at {offset} ms, expected "
                                  f"{line.offset_ms} ms (cue times may not change)")
        if text != line.text:
            edits[number] = text
    return edits


def _even_words(line: Line, text: str) -> tuple[LineWord, ...]:
    if any("\u3400" <= c <= "\u9fff" for c in text):
        import jieba

        from transcribe.tokens import ensure_jieba

        ensure_jieba()
        pieces = [p for p in jieba.cut(text, HMM=False) if p.strip()]
    else:
        pieces = [f" {p}" for p in text.split()]
    if not pieces:
        return ()
    span = max(line.end_offset_ms - line.offset_ms, len(pieces))
    step = span / len(pieces)
    return tuple(LineWord(line.offset_ms + round(i * step), line.offset_ms + round((i + 1) * step),
                          piece, -1) for i, piece in enumerate(pieces))


def text_diff(old: Sequence[Line], new: Sequence[Line], *, old_label: str,
              new_label: str) -> list[str]:
    """A unified diff of the two versions' lines, each prefixed with its start offset."""
    def rows(lines: Sequence[Line]) -> list[str]:
        return [f"[{_vtt_time(line.offset_ms)}] {line.text}" for line in lines]

    return [row.rstrip("\n") for row in difflib.unified_diff(
        rows(old), rows(new), fromfile=old_label, tofile=new_label, lineterm="", n=1)]

