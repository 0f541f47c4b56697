"""Flags: phrase lists that point supervisors at moments and sessions worth a look."""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from transcribe.errors import PhraseListError
from transcribe.script import to_simplified
from transcribe.stitch import Line

NOTICE_MISSING = "notice_missing"


@dataclass(frozen=True)
class PhraseRule:
    """One kind of problem and the phrases that reveal it."""

    kind: str
    label: str
    weight: int
    phrases: tuple[str, ...]
    unless: tuple[str, ...] = ()
    required: bool = False  # a notice that must be said: its absence raises the flag


@dataclass(frozen=True)
class PhraseBook:
    rules: tuple[PhraseRule, ...]

    def weight_of(self, kind: str) -> int:
        return next((r.weight for r in self.rules if r.kind == kind), 1)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(r.kind for r in self.rules)


@dataclass(frozen=True)
class FlagHit:
    """A raised flag with the text that raised it and when it was said."""

    kind: str
    phrase: str
    text: str
    offset_ms: int  # of the first matching word, from the start of the recording
    end_offset_ms: int
    weight: int
    session_id: str | None = None  # session-level flags (a missing notice)

    @property
    def key(self) -> tuple[str, str, int, str | None]:
        return (self.kind, self.phrase, self.offset_ms, self.session_id)


@dataclass(frozen=True)
class SessionSpan:
    session_id: str | None  # None: the whole recording, when it has no sessions
    start_ms: int
    end_ms: int | None


def load_phrasebook(path: Path | None = None) -> PhraseBook:
    """The configured phrase lists, or the built-in ones.

    Raises:
        PhraseListError: unreadable file, unknown keys, empty or duplicate rules.
    """
    try:
        if path is None:
            raw = tomllib.loads(resources.files("transcribe").joinpath("phrases.toml")
                                .read_text(encoding="utf-8"))
        else:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PhraseListError(f"phrase list {path or 'built-in'}: {exc}") from exc
    return parse_phrasebook(raw)


_RULE_KEYS = {"kind", "label", "weight", "zh", "en", "unless", "required"}


def parse_phrasebook(raw: dict[str, Any]) -> PhraseBook:
    """Validate a phrase list document ({"rule": [{kind, label, weight, zh, en, ...}]})."""
    if set(raw) - {"rule"}:
        raise PhraseListError(f"unknown keys {sorted(set(raw) - {'rule'})}, expected 'rule'")
    rules, kinds = [], set()
    for number, item in enumerate(raw.get("rule", []), start=1):
        unknown = set(item) - _RULE_KEYS
        if unknown:
            raise PhraseListError(f"rule {number}: unknown keys {sorted(unknown)}")
        kind = str(item.get("kind", "")).strip()
        if not kind or not kind.replace("_", "").isalnum() or len(kind) > 32:
            raise PhraseListError(f"rule {number}: kind must be 1-32 letters, digits or _")
        if kind in kinds:
            raise PhraseListError(f"rule {number}: kind {kind} appears twice")
        phrases = tuple(_clean_phrases([*item.get("zh", []), *item.get("en", [])]))
        if not phrases:
            raise PhraseListError(f"rule {number} ({kind}): no phrases")
        weight = item.get("weight", 1)
        if not isinstance(weight, int) or not 1 <= weight <= 100:
            raise PhraseListError(f"rule {number} ({kind}): weight must be 1-100")
        kinds.add(kind)
        rules.append(PhraseRule(kind=kind, label=str(item.get("label", kind)), weight=weight,
                                phrases=phrases,
                                unless=tuple(_clean_phrases(item.get("unless", []))),
                                required=bool(item.get("required", False))))
    if not rules:
        raise PhraseListError("the phrase list has no rules")
    return PhraseBook(tuple(rules))


def _clean_phrases(items: Iterable[Any]) -> list[str]:
    out = []
    for item in items:
        if not isinstance(item, str) or not _compact(item)[0]:
            raise PhraseListError(f"phrase {item!r} has no letters or digits")
        out.append(to_simplified(item.strip()))
    return out


def find_flags(lines: Sequence[Line], book: PhraseBook) -> list[FlagHit]:
    """Every phrase of a matching rule said in `lines`, with the time of its first word."""
    hits: list[FlagHit] = []
    for line in lines:
        index = _LineIndex(line)
        for rule in book.rules:
            if rule.required:
                continue
            blocked = [span for phrase in rule.unless for span in index.find(phrase)]
            for phrase in rule.phrases:
                for first, last in index.find(phrase):
                    if any(a <= first and last <= b for a, b in blocked):
                        continue
                    start, end = index.times(first, last)
                    hits.append(FlagHit(kind=rule.kind, phrase=phrase, text=line.text,
                                        offset_ms=start, end_offset_ms=end,
                                        weight=rule.weight))
    return _dedupe(hits)


def missing_notices(lines: Sequence[Line], spans: Sequence[SessionSpan], book: PhraseBook,
                    *, within_ms: int) -> list[FlagHit]:
    """Sessions with speech in which a required notice was not said early enough."""
    hits = []
    for rule in (r for r in book.rules if r.required):
        for span in spans:
            inside = [line for line in lines if line.offset_ms >= span.start_ms and
                      (span.end_ms is None or line.offset_ms < span.end_ms)]
            if not inside:
                continue  # no speech, nothing to announce
            deadline = span.start_ms + within_ms
            said = any(_LineIndex(line).find(phrase) for line in inside
                       if line.offset_ms <= deadline for phrase in rule.phrases)
            if not said:
                hits.append(FlagHit(kind=rule.kind, phrase="", text="",
                                    offset_ms=span.start_ms, end_offset_ms=span.start_ms,
                                    weight=rule.weight, session_id=span.session_id))
    return hits


def phrase_times(line: Line, phrase: str) -> list[tuple[int, int]]:
    """(offset_ms, end_offset_ms) of each place `phrase` is said in `line`."""
    index = _LineIndex(line)
    return [index.times(first, last) for first, last in index.find(phrase)]


def _dedupe(hits: list[FlagHit]) -> list[FlagHit]:
    """A longer phrase wins over a shorter one of the same kind said at the same moment."""
    best: dict[tuple[str, int], FlagHit] = {}
    for hit in hits:
        key = (hit.kind, hit.offset_ms)
        if key not in best or len(hit.phrase) > len(best[key].phrase):
            best[key] = hit
    return sorted(best.values(), key=lambda h: (h.offset_ms, h.kind))


def _keep(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN"


def _compact(text: str) -> tuple[str, bool]:
    """Letters and digits only, case-folded; and whether the text holds CJK characters."""
    out = "".join(c for c in text.casefold() if _keep(c))
    return out, any(_is_cjk(c) for c in out)


def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


class _LineIndex:
    """Two searchable forms of a line with a map from characters back to words."""

    def __init__(self, line: Line) -> None:
        self.line = line
        pieces = [w.text for w in line.words] if line.words else [line.text]
        compact, compact_map = [], []
        spaced, spaced_map = [" "], [-1]
        for number, piece in enumerate(pieces):
            text = piece.casefold()
            for char in text:
                if _keep(char):
                    compact.append(char)
                    compact_map.append(number)
            for token in "".join(c if _keep(c) else " " for c in text).split():
                for char in token:
                    spaced.append(char)
                    spaced_map.append(number)
                spaced.append(" ")
                spaced_map.append(-1)
        self.compact, self.compact_map = "".join(compact), compact_map
        self.spaced, self.spaced_map = "".join(spaced), spaced_map

    def find(self, phrase: str) -> list[tuple[int, int]]:
        """Word index ranges (first, last) where `phrase` is said."""
        compact, cjk = _compact(phrase)
        if cjk:
            haystack, mapping, needle = self.compact, self.compact_map, compact
        else:
            words = "".join(c if _keep(c) else " " for c in phrase.casefold()).split()
            haystack, mapping, needle = self.spaced, self.spaced_map, f" {' '.join(words)} "
        found, at = [], haystack.find(needle)
        while at >= 0:
            chars = [mapping[i] for i in range(at, at + len(needle)) if mapping[i] >= 0]
            found.append((chars[0], chars[-1]))
            at = haystack.find(needle, at + 1)
        return found

    def times(self, first: int, last: int) -> tuple[int, int]:
        if not self.line.words:
            return self.line.offset_ms, self.line.end_offset_ms
        return self.line.words[first].offset_ms, self.line.words[last].end_offset_ms
