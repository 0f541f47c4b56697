"""Retention decisions as tables: which rule applies, until when, and when it is due."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from archive.evidence.vocabulary import RecordingOrigin, Stage
from retention.models import RuleCategory
from retention.policy import (
    FLOOR_RULE_ID,
    LOCK_RULE_ID,
    CaseFacts,
    Period,
    RecordingFacts,
    Rule,
    SessionFacts,
    Status,
    ceil_second,
    decide,
    lock_target,
)

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)  # the frozen clock
END = datetime(2026, 11, 2, 9, 30, 15, 250000, tzinfo=UTC)
FLOOR = Period(days=180)
DAY = timedelta(days=1)

NO_SESSION = Rule("r-nosession", RuleCategory.NO_SESSION, Period(days=200))
WALK_IN = Rule("r-walkin", RuleCategory.SESSION, Period(years=1), stage=Stage.CONSULTATION)
CASES = Rule("r-cases", RuleCategory.CASE, Period(years=3))
LABOUR = Rule("r-labour", RuleCategory.CASE, Period(years=10), case_type="labour")
FLAGGED = Rule("r-flagged", RuleCategory.FLAGGED, Period(years=2))
IMPORTED = Rule("r-import", RuleCategory.IMPORT, Period(days=400))
ALL = [NO_SESSION, WALK_IN, CASES, LABOUR, FLAGGED, IMPORTED]


def recording(**changes: object) -> RecordingFacts:
    base = RecordingFacts(id="r1", origin=RecordingOrigin.LIVE, running=False,
                          started_at=END - timedelta(hours=8), ended_at=END,
                          created_at=END - timedelta(hours=8),
                          lock_until=END - timedelta(hours=8) + 180 * DAY)
    return replace(base, **changes)  # type: ignore[arg-type]


def session(*, stage: Stage | None = Stage.CONSULTATION, case: CaseFacts | None = None,
            flagged: bool = False) -> SessionFacts:
    return SessionFacts(id="s1", started_at=END - timedelta(hours=1), ended_at=END, stage=stage,
                        case=case, flagged=flagged)


ARCHIVED = datetime(2027, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(("facts", "rules", "rule_id", "until"), [
    # The floor: six months after the recording ends, rounded up to a whole second.
    (recording(), [], FLOOR_RULE_ID, ceil_second(END + 180 * DAY)),
    # No session: the no-session rule if longer than the floor.
    (recording(), ALL, "r-nosession", ceil_second(END + 200 * DAY)),
    # A walk-in consultation without a case: the session rule for its stage.
    (recording(sessions=(session(),)), ALL, "r-walkin", ceil_second(END.replace(year=2027))),
    # A session of another stage: no session rule matches; the floor remains.
    (recording(sessions=(session(stage=Stage.HANDLING),)), ALL, FLOOR_RULE_ID,
     ceil_second(END + 180 * DAY)),
    # A case session: years after the case is archived; the most specific is not special,
    # the longest wins (labour 10 y over any case 3 y).
    (recording(sessions=(session(case=CaseFacts("云援〔2026〕0123号", "labour", ARCHIVED)),)),
     ALL, "r-labour", ARCHIVED.replace(year=2037)),
    (recording(sessions=(session(case=CaseFacts("c2", "criminal", ARCHIVED)),)),
     ALL, "r-cases", ARCHIVED.replace(year=2030)),
    # Flagged: two years after the flagged session ends, beating the walk-in rule.
    (recording(sessions=(session(flagged=True),)), ALL, "r-flagged",
     ceil_second(END.replace(year=2028))),
    # A flag outside any session flags the recording.
    (recording(flagged=True), ALL, "r-flagged", ceil_second(END.replace(year=2028))),
    # Imports count from the import, not from when the file was recorded.
    (recording(origin=RecordingOrigin.IMPORT, started_at=END - 900 * DAY,
               ended_at=END - 899 * DAY, created_at=END),
     [IMPORTED], "r-import", ceil_second(END + 400 * DAY)),
    (recording(origin=RecordingOrigin.IMPORT, started_at=END - 900 * DAY,
               ended_at=END - 899 * DAY, created_at=END), [], FLOOR_RULE_ID,
     ceil_second(END + 180 * DAY)),
])
def test_longest_applicable_rule_wins(facts: RecordingFacts, rules: list[Rule], rule_id: str,
                                      until: datetime) -> None:
    decision = decide(facts, rules, floor=FLOOR, now=NOW)
    assert decision.governing.rule_id == rule_id
    assert decision.retain_until == until
    assert not decision.open_ended


def test_open_case_is_open_ended_and_never_due() -> None:
    facts = recording(sessions=(session(case=CaseFacts("c1", "labour", None)),))
    decision = decide(facts, ALL, floor=FLOOR, now=NOW)
    assert decision.open_ended
    assert decision.retain_until == NOW.replace(year=2037)  # at least 10 y from today
    assert decision.status(NOW + 100 * 365 * DAY) is Status.OPEN_ENDED
    assert "not archived" in decision.governing.anchor


def test_running_recording_is_open_ended() -> None:
    decision = decide(recording(running=True, ended_at=None), [], floor=FLOOR, now=NOW)
    assert decision.open_ended
    assert decision.retain_until == NOW + 180 * DAY


@pytest.mark.parametrize(("offset", "status"), [
    (timedelta(seconds=-1), Status.KEPT),
    (timedelta(0), Status.DUE),  # exactly when due, not before
    (timedelta(days=3000), Status.DUE),
])
def test_due_exactly_at_the_retention_date(offset: timedelta, status: Status) -> None:
    decision = decide(recording(), [], floor=FLOOR, now=NOW)
    assert decision.status(decision.retain_until + offset) is status


def test_hold_overrides_everything() -> None:
    decision = decide(recording(holds=("h1",)), [], floor=FLOOR, now=NOW)
    assert decision.status(NOW + 10_000 * DAY) is Status.HELD
    assert not decision.due(NOW + 10_000 * DAY)


@pytest.mark.parametrize(("changes", "status"), [
    ({"disposed": True}, Status.DISPOSED),
    ({"disposing": True}, Status.DISPOSING),
])
def test_disposed_is_never_due_again(changes: dict[str, bool], status: Status) -> None:
    assert decide(recording(**changes), [], floor=FLOOR, now=NOW).status(NOW) is status


def test_shorter_policy_never_shortens_an_existing_lock() -> None:
    long_lock = ceil_second(END + 3 * 365 * DAY)
    decision = decide(recording(lock_until=long_lock), [NO_SESSION], floor=FLOOR, now=NOW)
    assert decision.policy_until == ceil_second(END + 200 * DAY)
    assert decision.retain_until == long_lock
    assert decision.governing.rule_id == LOCK_RULE_ID
    assert not decision.due(long_lock - timedelta(seconds=1))
    assert lock_target(decision, current=long_lock, ahead=30 * DAY) is None


@pytest.mark.parametrize(("current", "open_case", "expected"), [
    (END, False, ceil_second(END + 200 * DAY)),  # raise to the rule
    (END + 400 * DAY, False, None),  # already longer: leave it
    (END, True, NOW.replace(year=2037) + 30 * DAY),  # open-ended: lower bound + ahead
    (NOW.replace(year=2037) + DAY, True, None),  # still ahead of the lower bound
])
def test_lock_target(current: datetime, open_case: bool, expected: datetime | None) -> None:
    sessions = (session(case=CaseFacts("c1", "labour", None)),) if open_case else ()
    rules = [LABOUR] if open_case else [NO_SESSION]
    decision = decide(recording(sessions=sessions, lock_until=current), rules, floor=FLOOR,
                      now=NOW)
    assert lock_target(decision, current=current, ahead=30 * DAY) == expected


@pytest.mark.parametrize(("period", "start", "end"), [
    (Period(years=1), datetime(2024, 2, 29, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC)),
    (Period(years=4), datetime(2024, 2, 29, tzinfo=UTC), datetime(2028, 2, 29, tzinfo=UTC)),
    (Period(days=180), datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
     datetime(2026, 6, 30, 0, 0, 1, tzinfo=UTC)),
    (Period(years=2, days=1), datetime(2026, 12, 31, tzinfo=UTC),
     datetime(2029, 1, 1, tzinfo=UTC)),
])
def test_period_never_ends_early(period: Period, start: datetime, end: datetime) -> None:
    assert period.after(start) == end


@pytest.mark.parametrize(("period", "text"), [
    (Period(days=180), "180 days"), (Period(years=1), "1 year"),
    (Period(years=3, days=1), "3 years 1 day"), (Period(), "0 days"),
])
def test_period_reads_well(period: Period, text: str) -> None:
    assert str(period) == text
