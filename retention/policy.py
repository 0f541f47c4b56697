"""Retention decisions: which rules apply to a recording, until when, and whether it is due.

Pure: facts and rules in, a decision out; time comes in as `now`. The longest applicable rule
wins; a rule whose end is not known yet (a case not archived) keeps the recording open-ended;
a hold or an existing longer lock always wins over the rules.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from archive.evidence.vocabulary import RecordingOrigin, Stage
from retention.models import RuleCategory

FLOOR_RULE_ID = "floor"
LOCK_RULE_ID = "lock"


class Status(enum.StrEnum):
    """Where a recording stands, in the order an administrator reads it."""

    DISPOSED = "disposed"
    DISPOSING = "disposing"
    HELD = "held"
    OPEN_ENDED = "open_ended"  # a rule's end is not known yet (open case, recording running)
    KEPT = "kept"
    DUE = "due"


@dataclass(frozen=True)
class Period:
    """Calendar years plus days; "N years after" lands on the same date (29 Feb → 1 Mar)."""

    years: int = 0
    days: int = 0

    def after(self, moment: datetime) -> datetime:
        """The end of the period from `moment`, rounded up to a whole second (locks are)."""
        year = moment.year + self.years
        try:
            shifted = moment.replace(year=year)
        except ValueError:  # 29 February in a common year: never end early
            shifted = moment.replace(year=year, month=3, day=1)
        return ceil_second(shifted + timedelta(days=self.days))

    def at_least(self, days: int) -> bool:
        """Whether the period is at least `days` long from any starting day."""
        return self.years * 365 + self.days >= days

    def __str__(self) -> str:
        parts = [f"{self.years} year{'s' if self.years != 1 else ''}"] if self.years else []
        if self.days or not parts:
            parts.append(f"{self.days} day{'s' if self.days != 1 else ''}")
        return " ".join(parts)


@dataclass(frozen=True)
class Rule:
    """A retention rule as decisions see it."""

    id: str
    category: RuleCategory
    period: Period
    case_type: str | None = None  # None: any
    stage: Stage | None = None  # None: any
    label: str = ""

    def describe(self) -> str:
        what = {RuleCategory.NO_SESSION: "recordings without a session",
                RuleCategory.SESSION: "sessions without a case",
                RuleCategory.CASE: "case sessions",
                RuleCategory.FLAGGED: "flagged sessions",
                RuleCategory.IMPORT: "imported recordings"}[self.category]
        filters = [f"case type {self.case_type}" if self.case_type else "",
                   f"stage {self.stage.value}" if self.stage else ""]
        where = ", ".join(f for f in filters if f)
        anchor = "case archived" if self.category is RuleCategory.CASE else (
            "import" if self.category is RuleCategory.IMPORT else "end")
        text = f"{what}{f' ({where})' if where else ''}: {self.period} after {anchor}"
        return f"{self.label} — {text}" if self.label else text


@dataclass(frozen=True)
class CaseFacts:
    number: str
    case_type: str | None
    archived_at: datetime | None


@dataclass(frozen=True)
class SessionFacts:
    id: str
    started_at: datetime
    ended_at: datetime | None
    stage: Stage | None
    case: CaseFacts | None
    flagged: bool


@dataclass(frozen=True)
class RecordingFacts:
    """What retention needs to know about one recording."""

    id: str
    origin: RecordingOrigin
    running: bool  # still recording
    started_at: datetime
    ended_at: datetime | None
    created_at: datetime  # arrival in the archive (the import time of an import)
    lock_until: datetime  # the lock the catalog already holds: never lowered
    sessions: tuple[SessionFacts, ...] = ()
    flagged: bool = False  # a flag not tied to a session
    holds: tuple[str, ...] = ()  # ids of active legal holds
    disposed: bool = False
    disposing: bool = False

    @property
    def end(self) -> datetime:
        return self.ended_at or self.started_at


@dataclass(frozen=True)
class Term:
    """One applicable rule's outcome for one recording."""

    rule_id: str
    rule: str  # human description
    until: datetime | None  # None: open-ended
    lower_bound: datetime  # `until`, or what is certain already while open-ended
    anchor: str


@dataclass(frozen=True)
class Decision:
    recording_id: str
    policy_until: datetime  # what the rules require (a lower bound when open-ended)
    retain_until: datetime  # max(policy_until, the existing lock)
    open_ended: bool
    governing: Term
    terms: tuple[Term, ...]
    holds: tuple[str, ...] = ()
    disposed: bool = False
    disposing: bool = False
    notes: tuple[str, ...] = field(default=())

    def status(self, now: datetime) -> Status:
        if self.disposed:
            return Status.DISPOSED
        if self.disposing:
            return Status.DISPOSING
        if self.holds:
            return Status.HELD
        if self.open_ended:
            return Status.OPEN_ENDED
        return Status.DUE if now >= self.retain_until else Status.KEPT

    def due(self, now: datetime) -> bool:
        """Whether the recording may be disposed of at `now` (no hold, every rule ended)."""
        return self.status(now) is Status.DUE


def ceil_second(moment: datetime) -> datetime:
    """Round up to a whole second, as object stores keep lock dates."""
    if moment.microsecond == 0:
        return moment
    return moment.replace(microsecond=0) + timedelta(seconds=1)


def decide(facts: RecordingFacts, rules: list[Rule], *, floor: Period,
           now: datetime) -> Decision:
    """Apply every rule that fits the recording; the longest wins, holds override."""
    terms = [_floor_term(facts, floor, now)]
    for rule in rules:
        terms.extend(_terms_of(rule, facts, now))
    governing = max(terms, key=lambda t: (t.lower_bound, t.until is None))
    policy_until = governing.lower_bound
    open_ended = any(t.until is None for t in terms)
    notes: list[str] = []
    retain_until = policy_until
    if facts.lock_until > policy_until:
        retain_until = ceil_second(facts.lock_until)
        notes.append("an earlier lock is longer than the rules now require: it is kept")
        governing = Term(LOCK_RULE_ID, "existing lock (never shortened)", retain_until,
                         retain_until, "lock already set")
    return Decision(recording_id=facts.id, policy_until=policy_until,
                    retain_until=retain_until, open_ended=open_ended, governing=governing,
                    terms=tuple(terms), holds=facts.holds, disposed=facts.disposed,
                    disposing=facts.disposing, notes=tuple(notes))


def lock_target(decision: Decision, *, current: datetime, ahead: timedelta) -> datetime | None:
    """The date to raise the lock to now, or None when `current` already covers the rules.

    An open-ended recording's lock is raised `ahead` beyond its lower bound, so it is not
    extended on every run.
    """
    if current >= decision.policy_until:
        return None
    if decision.open_ended:
        return ceil_second(decision.policy_until + ahead)
    return decision.policy_until


def _floor_term(facts: RecordingFacts, floor: Period, now: datetime) -> Term:
    label = f"floor: {floor} after the recording ends"
    if facts.origin is RecordingOrigin.IMPORT:
        label = f"floor: {floor} after import"
    return _term(FLOOR_RULE_ID, label, floor, _recording_anchor(facts), now)


def _recording_anchor(facts: RecordingFacts) -> tuple[datetime | None, str]:
    if facts.origin is RecordingOrigin.IMPORT:
        moment = max(facts.created_at, facts.end)
        return moment, f"imported {moment.isoformat()}"
    if facts.running:
        return None, "recording still running"
    return facts.end, f"recording ended {facts.end.isoformat()}"


def _session_anchor(facts: RecordingFacts,
                    session: SessionFacts) -> tuple[datetime | None, str]:
    if session.ended_at is not None:
        return session.ended_at, f"session {session.id} ended {session.ended_at.isoformat()}"
    if facts.running:
        return None, f"session {session.id} still running"
    return facts.end, f"session {session.id} ended with the recording {facts.end.isoformat()}"


def _terms_of(rule: Rule, facts: RecordingFacts, now: datetime) -> list[Term]:
    text = rule.describe()
    category = rule.category
    if category is RuleCategory.NO_SESSION:
        return [] if facts.sessions else [_term(rule.id, text, rule.period,
                                                _recording_anchor(facts), now)]
    if category is RuleCategory.IMPORT:
        if facts.origin is not RecordingOrigin.IMPORT:
            return []
        return [_term(rule.id, text, rule.period, _recording_anchor(facts), now)]
    if category is RuleCategory.FLAGGED:
        terms = [_term(rule.id, text, rule.period, _session_anchor(facts, s), now)
                 for s in facts.sessions if s.flagged]
        if facts.flagged:
            terms.append(_term(rule.id, text, rule.period, _recording_anchor(facts), now))
        return terms
    terms = []
    for session in facts.sessions:
        if rule.stage is not None and session.stage is not rule.stage:
            continue
        if category is RuleCategory.SESSION and session.case is None:
            terms.append(_term(rule.id, text, rule.period, _session_anchor(facts, session),
                               now))
        elif category is RuleCategory.CASE and session.case is not None:
            case = session.case
            if rule.case_type is not None and case.case_type != rule.case_type:
                continue
            anchor = (case.archived_at, f"case {case.number} archived "
                      f"{case.archived_at.isoformat()}") if case.archived_at else (
                None, f"case {case.number} not archived yet")
            terms.append(_term(rule.id, text, rule.period, anchor, now))
    return terms


def _term(rule_id: str, text: str, period: Period, anchor: tuple[datetime | None, str],
          now: datetime) -> Term:
    moment, described = anchor
    if moment is None:
        # Whatever the end turns out to be, it is at least the period from now.
        return Term(rule_id, text, None, period.after(now), described)
    until = period.after(moment)
    return Term(rule_id, text, until, until, described)
