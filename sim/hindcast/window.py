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

    def __str__(self) -> str:
        return f"{self.start}:{self.end}"
