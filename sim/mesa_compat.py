"""Mesa's conventions for `CorridorModel`: the seed from Mesa's `rng=` argument, steps past the
end that do nothing (`running` turns False), and a Mesa `DataCollector` view of the recorded
step table, so that Mesa's loops, `mesa.batch_run` and code written for Mesa's DataCollector
work with the model.

The model records its observations into preallocated arrays (`sim.results.recorder.Recorder`), not
through a DataCollector called every step (which would cost a Python call per reporter per
step); the collector here is built from those arrays when asked for, and rebuilt only when
steps were added since.
"""

from __future__ import annotations

import numbers

import numpy as np
from mesa import DataCollector


def seed_from(seed, rng, default: int) -> int:
    """The model's integer seed from `seed=` (an int) or Mesa's `rng=` (an int, a
    `numpy.random.SeedSequence` or a `numpy.random.Generator`); `default` (the scenario's seed)
    when both are None. A SeedSequence gives its first 63-bit state word; a Generator one draw
    below 2**63 (so passing a generator advances it). Raises ValueError for both at once, and
    TypeError for another kind of value."""
    if seed is not None and rng is not None:
        raise ValueError("pass either rng= or seed= (its alias), not both")
    value = rng if rng is not None else seed
    if value is None:
        return int(default)
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, np.random.SeedSequence):
        return int(value.generate_state(1, np.uint64)[0] >> np.uint64(1))
    if isinstance(value, np.random.Generator):
        return int(value.integers(2**63))
    raise TypeError(f"rng: expected an int, a numpy SeedSequence or Generator, found {type(value).__name__}")


class MesaConventions:
    """What a Mesa user expects of the model, mixed into `CorridorModel` (before `mesa.Model`):
    past the end of the scenario (`n_steps`) a step does nothing and `running` is False, and
    `datacollector` is the step table as a Mesa `DataCollector`."""

    def _wrapped_step(self) -> None:
        """Mesa's step wrapper (it advances Mesa's clock, then calls `step`), skipped past the
        end, so `while model.running: model.step()` and `mesa.batch_run` cannot overrun."""
        if self.steps >= self.n_steps:
            self.running = False
            return
        super()._wrapped_step()

    @property
    def datacollector(self) -> DataCollector:
        """Mesa's `DataCollector` view of the step table so far (what `mesa.batch_run` reads)."""
        return step_collector(self)


def step_collector(model) -> DataCollector:
    """A `mesa.DataCollector` holding the model's step table so far: `model_vars[column]` is the
    list of that column's values, one per recorded row (row k is the state after k steps, so
    the initial state is row 0), and `get_model_vars_dataframe()` the same as a DataFrame.
    Cached on the model until it records another row."""
    cached = getattr(model, "_step_collector", None)
    rows = model.recorder.rows
    if cached is not None and cached[0] == rows:
        return cached[1]
    steps = model.recorder.steps()
    collector = DataCollector(model_reporters={c: c for c in steps.columns},
                              agent_reporters=dict.fromkeys(AGENT_COLUMNS) if model.agent_data else None)
    collector.model_vars = {c: steps[c].tolist() for c in steps.columns}
    collector._collection_steps = list(range(rows))  # what batch_run indexes rows by
    if model.agent_data:
        collector._agent_records = agent_records(model)
    model._step_collector = (rows, collector)
    return collector


#: agent-level columns of the DataCollector with `CorridorModel(..., agent_data=True)`
AGENT_COLUMNS = ("faction", "kind", "label", "fighters", "row", "col")


def agent_records(model) -> dict[int, list[tuple]]:
    """{step: [(step, unit id, faction id, kind, label, fighters, row, col), …]}: every unit
    alive in each kept map snapshot (`frame_every_hours` apart: daily by default, every step
    with `frame_every_hours=time.step_hours`), the form Mesa's `get_agent_vars_dataframe` reads.
    Taken from the snapshots the model keeps anyway, so it costs the step nothing."""
    ids = model.factions.ids
    out = {}
    for frame in model.recorder.frames:
        step = int(round(frame["hours"] / model.step_hours))
        out[step] = [(step, int(u["uid"]), ids[int(u["faction"])], str(u["kind"]), str(u["label"]),
                      float(u["strength"]), int(u["row"]), int(u["col"])) for u in frame["units"]]
    return out
