"""The model's calendar: simulated hours since the start, as dates and times.

A scenario's ``time.start_date`` (ISO date, default 2017-11-19, the day Albu Kamal was taken)
is the date of hour 0; step k starts at ``start + k × step_hours`` hours. Every output that
shows a day can show the date beside it through this one object (``model.calendar``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Calendar:
    """Dates of simulated time.

    ``start``: the date at hour 0 (00:00, local time of the corridor, no time zone);
    ``step_hours``: the length of one step (hours, > 0).
    """

    start: dt.date
    step_hours: float

    def datetime_at_hours(self, hours: float) -> dt.datetime:
        """The date and time ``hours`` simulated hours after the start (naive datetime)."""
        return dt.datetime.combine(self.start, dt.time()) + dt.timedelta(hours=float(hours))

    def datetime_at(self, step: int) -> dt.datetime:
        """The date and time at which step ``step`` (0-based) starts."""
        return self.datetime_at_hours(step * self.step_hours)

    def date_at_hours(self, hours: float) -> dt.date:
        """The calendar date ``hours`` simulated hours after the start."""
        return self.datetime_at_hours(hours).date()

    def hours_at(self, when: dt.date | dt.datetime) -> float:
        """Simulated hours from the start to ``when`` (a date means its 00:00); negative before."""
        if not isinstance(when, dt.datetime):
            when = dt.datetime.combine(when, dt.time())
        return (when - dt.datetime.combine(self.start, dt.time())).total_seconds() / 3600.0
