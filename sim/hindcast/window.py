"""A window of calendar dates, both ends included: what the hindcast compares, what the record
covers (``--window``, the mapping file's ``event_dates``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sim.program.errors import UserError


@dataclass(frozen=True)
class Window:
    """A window of dates, both ends included (``START:END``, ISO dates)."""

    start: dt.date
    end: dt.date

    @classmethod
    def parse(cls, text: str, flag: str = "--window") -> Window:
        """``2017-11-19:2018-12-31`` → Window; a UserError naming `flag` otherwise."""
        parts = str(text).split(":")
        try:
            if len(parts) != 2:
                raise ValueError
            start, end = (dt.date.fromisoformat(p.strip()) for p in parts)
        except ValueError:
            raise UserError(f"{flag}: expected START:END as ISO dates (e.g. 2017-11-19:2018-12-31), "
                            f"found '{text}'") from None
        if end < start:
            raise UserError(f"{flag}: the window ends ({end}) before it starts ({start})")
        return cls(start, end)

    def months(self) -> list[str]:
        """The months the window touches, "YYYY-MM", in order."""
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    def firsts(self) -> list[dt.date]:
        """The first days of months inside the window (the dates holders are compared on)."""
        return [d for d in (dt.date.fromisoformat(f"{m}-01") for m in self.months()) if self.start <= d <= self.end]

    def within(self, last: dt.date) -> Window:
        """The window's days up to `last` (a run's last simulated day: `last_simulated_day`), the
        days the runs can be compared on (the window itself if it ends by then)."""
        return Window(self.start, min(self.end, last))

    def __str__(self) -> str:
        return f"{self.start}:{self.end}"

    def within_run(self, start: dt.date, duration_days: float, flag: str = "--window") -> str | None:
        """Check the window against a run from `start` (00:00) for `duration_days`, whose last
        simulated day is the one before it ends (3 days from the 19th end at 00:00 on the 22nd:
        the 21st). A window outside the run or starting before it (the run's months before its start
        would count as months without events) raises a UserError naming `flag`; one ending after the
        run's last day gives the note to print (its record days after the run are compared with days
        the runs did not simulate), else None."""
        last = last_simulated_day(start, duration_days)
        if self.start > last or self.end < start:
            raise UserError(f"{flag} {self}: outside the run, which covers {start} to {last} "
                            f"(time.start_date and time.duration_days)")
        if self.start < start:
            raise UserError(f"{flag} {self}: starts before the run, which covers {start} to {last} "
                            f"(time.start_date); start the window on or after {start}")
        if self.end > last:
            return (f"{flag} {self} ends after the run's last day, {last}: the record's days after it are compared "
                    f"with days no run simulated; end the window on {last}, or run to its end with "
                    f"--set time.duration_days={(self.end - start).days + 1}")
        return None


def last_simulated_day(start: dt.date, duration_days: float) -> dt.date:
    """The last day a run from `start` (00:00) for `duration_days` simulates: the day before it
    ends (3 days from the 19th end at 00:00 on the 22nd: the 21st)."""
    return (dt.datetime.combine(start, dt.time()) + dt.timedelta(days=duration_days) - dt.timedelta(seconds=1)).date()
