"""Complaint deadlines: accept within N working days, close within M calendar days (pure)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Calendar:
    """Working days: Monday to Friday, minus public holidays, plus make-up days (调休)."""

    holidays: Collection[date] = ()
    workdays: Collection[date] = ()

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The day `days` working days after `start` (the day of receipt does not count)."""
        if days < 0:
            raise ValueError(f"got {days} days, expected >= 0")
        day, left = start, days
        while left:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when end < start)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for n in range(1, (end - start).days + 1)
                   if self.is_working_day(start + timedelta(days=n)))


def due_dates(received: date, *, calendar: Calendar, accept_working_days: int,
              close_days: int) -> tuple[date, date]:
    """(accept by, close by) for a complaint received on `received`."""
    return (calendar.add_working_days(received, accept_working_days),
            received + timedelta(days=close_days))


def urgency(due: date, today: date, *, calendar: Calendar) -> str:
    """overdue, due_today, due_soon (within 2 working days) or on_time."""
    if today > due:
        return "overdue"
    if today == due:
        return "due_today"
    return "due_soon" if calendar.working_days_between(today, due) <= 2 else "on_time"
