"""Which outcomes a run keeps: names and glob patterns over the run's summary and per-step table.

Kept apart (and light) because every worker imports it: a worker needs these few names, not the
sweep-file reader and its statistics libraries.
"""

from __future__ import annotations

import fnmatch

# summary entries that are not outcomes: the scenario name and the seed are columns of their
# own, and the simulated days are the same in every run of a sweep
NOT_OUTCOMES = ("scenario", "seed", "days")
SERIES_INDEX = ("step", "hours", "day", "date")  # always kept with a series
DEFAULT_SERIES = ("share_*", "contested_share", "ungoverned_share", "strength_*", "land_bridge_*",
                  "convoy_*")


def select(names: list[str], patterns: tuple[str, ...] | list[str]) -> list[str]:
    """Names matching the names or glob patterns, in the patterns' order (as the user listed
    them), each once."""
    return list(dict.fromkeys(n for p in patterns for n in names if fnmatch.fnmatchcase(n, p)))
