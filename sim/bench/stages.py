"""CPU time per stage of a step: `python run.py bench campaign --stages`.

Wraps, on one model instance, each method that `CorridorModel.step` calls (the stages of its
docstring) and the parts of two of them (the influence's stamps and classification, the
recorder's place tenure) with a timer (`time.process_time`), so that a run reports how its CPU
time divides between the stages. The wrappers only time: the run's results are the same. The
stages overlap where one is part of another (``influence: …`` of ``influence``, ``recorder:
holding`` of ``recorder``); a timer costs about a microsecond a call, so stages of a few
microseconds read high.
"""

from __future__ import annotations

import time
from collections import defaultdict


class StageTimer:
    """Install with `StageTimer(model)` before running the model; `table(steps, total_s)` then
    gives the lines of the report, costliest first."""

    def __init__(self, model):
        self.seconds: dict[str, float] = defaultdict(float)
        self._wrap(model.timeline, "apply_due", "timeline (events)")
        self._wrap(model, "_wake_due", "wake-ups (planners, patrol legs, relocations)")
        self._wrap(model.economy, "update", "economy")
        for rule in model.rules:
            self._wrap(rule, "apply", f"rule {rule.key}")
        self._wrap(model.insurgency, "update", "insurgent stage")
        self._wrap(model.front, "update", "front contacts")
        self._wrap(model.influence, "update", "influence")
        self._wrap(model.influence, "_refresh_target", "influence: stamps and weekly resync")
        self._wrap(model.influence, "_classify", "influence: classification")
        self._wrap(model.tension, "update", "tension")
        if model.population is not None:
            self._wrap(model.population, "update", "population")
        self._wrap(model.recorder, "record", "recorder")
        self._wrap(model.recorder.holding, "update", "recorder: holding (place tenure)")
        self._wrap(model.engagements, "update", "engagements")

    def _wrap(self, owner, name: str, label: str) -> None:
        method, seconds, clock = getattr(owner, name), self.seconds, time.process_time

        def timed(*args, **kwargs):
            started = clock()
            try:
                return method(*args, **kwargs)
            finally:
                seconds[label] += clock() - started

        setattr(owner, name, timed)

    def table(self, steps: int, total_s: float) -> list[str]:
        """One line per stage: ms per step and share of `total_s` (the run's CPU seconds)."""
        return [f"  {label:<48} {s / steps * 1e3:7.3f} ms/step {s / total_s:7.1%}"
                for label, s in sorted(self.seconds.items(), key=lambda kv: -kv[1])]
