"""Complaint deadlines: working days with weekends, holidays and make-up days."""

from __future__ import annotations

from datetime import date

import pytest

from api.complaints.deadlines import Calendar, due_dates, urgency

PLAIN = Calendar()
# National Day 2026: 1-7 Oct off, Sat 10 Oct a make-up working day (illustrative).
GOLDEN_WEEK = Calendar(holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
                       workdays=frozenset({date(2026, 10, 10)}))


@pytest.mark.parametrize(("received", "calendar", "accept_by"), [
    (date(2026, 11, 2), PLAIN, date(2026, 11, 9)),  # Monday -> next Monday
    (date(2026, 11, 6), PLAIN, date(2026, 11, 13)),  # Friday -> next Friday
    (date(2026, 11, 7), PLAIN, date(2026, 11, 13)),  # Saturday: counting starts Monday
    (date(2026, 9, 29), GOLDEN_WEEK, date(2026, 10, 12)),  # 30 Sep, 8, 9, 10 (Sat), 12 Oct
])
def test_accept_within_five_working_days(received: date, calendar: Calendar,
                                         accept_by: date) -> None:
    accept, close = due_dates(received, calendar=calendar, accept_working_days=5,
                              close_days=45)
    assert accept == accept_by
    assert (close - received).days == 45


def test_urgency() -> None:
    due = date(2026, 11, 13)  # a Friday
    assert urgency(due, date(2026, 11, 14), calendar=PLAIN) == "overdue"
    assert urgency(due, due, calendar=PLAIN) == "due_today"
    assert urgency(due, date(2026, 11, 11), calendar=PLAIN) == "due_soon"
    assert urgency(due, date(2026, 11, 6), calendar=PLAIN) == "on_time"


def test_counting_is_consistent() -> None:
    start = date(2026, 9, 28)
    for days in range(0, 30):
        end = GOLDEN_WEEK.add_working_days(start, days)
        assert GOLDEN_WEEK.working_days_between(start, end) == days
    with pytest.raises(ValueError, match="expected >= 0"):
        PLAIN.add_working_days(start, -1)
