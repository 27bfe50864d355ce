"""Where a class asks to go in a run's time: what the teacher types in "Go to" (a day, a day and
an hour, a date, or "end") read as a step of the run, and how that time is shown back.

Nothing here imports Solara.
"""

from __future__ import annotations

import datetime as dt
import re

from sim.program.errors import UserError

#: what "Go to" accepts, shown under the box and in every message
GO_TO_HELP = "a day (120), a day and hour (day 3 14:00), a date (2018-03-19) or 'end'"
_DAY = re.compile(r"^(?:day\s*)?(\d+(?:\.\d+)?)(?:\s+(\d{1,2}):(\d{2}))?$")


def step_for(text: str, model) -> int:
    """The step (steps done, 0 … `model.n_steps`) at the time `text` names: '120' or 'day 120'
    (its 00:00), 'day 3 14:00', '2018-03-19' (00:00 of that date on `model.calendar`) or
    'end'. A time between steps goes to the step that starts at or after it; past the end,
    to the end. UserError, naming what is accepted, for anything else or a time before day 0."""
    said = " ".join(str(text).strip().lower().split())
    end = model.n_steps
    if said in ("end", "the end"):
        return end
    match = _DAY.match(said)
    if match:
        day, hour, minute = float(match[1]), int(match[2] or 0), int(match[3] or 0)
        if hour > 23 or minute > 59:
            raise UserError(f"Go to: '{text}' is not a time of day; expected {GO_TO_HELP}")
        hours = day * 24.0 + hour + minute / 60.0
    else:
        try:
            when = dt.date.fromisoformat(said)
        except ValueError:
            raise UserError(f"Go to: '{text}' is not understood; expected {GO_TO_HELP}") from None
        hours = model.calendar.hours_at(when)
        if hours < 0:
            raise UserError(f"Go to: {when.isoformat()} is before the run starts "
                            f"({model.calendar.start.isoformat()})")
    steps = -int(-hours // model.step_hours)  # the first step boundary at or after that time
    return min(end, steps)


def time_label(model, step: int) -> str:
    """'day 12 06:00 (2017-12-01)': a step of the run as the class reads it (never a step number)."""
    hours = step * model.step_hours
    day, rest = divmod(hours, 24.0)
    date = model.calendar.date_at_hours(hours).isoformat()
    return f"day {int(day)} {int(rest):02d}:{int(round((rest % 1) * 60)):02d} ({date})"
