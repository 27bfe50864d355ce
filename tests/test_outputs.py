"""Each mechanism owns its outputs (sim/outputs.py): the step table, the long table's
units, the run summary and docs/outputs.md all come from the mechanisms' `Outputs`."""

from __future__ import annotations

import importlib.util

import numpy as np

import sim
import sim.results.recorder as recorder
from sim.outputs import Column, Outputs
from sim.results.tidy import describe_column, tidy_steps

from conftest import ROOT

QUICK = {"time.duration_days": 2, "time.step_hours": 6, "map.cell_km": 3}


def _docs_table():
    spec = importlib.util.spec_from_file_location("outputs_table", ROOT / "docs" / "outputs_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_outputs_table_is_generated_from_the_mechanisms():
    docs = _docs_table()
    text = docs.DOC.read_text(encoding="utf-8")
    assert docs.with_table(text, recorder.outputs_markdown()) == text, (
        "docs/outputs.md's table of columns is not what the mechanisms declare: run `python docs/outputs_table.py`")


def test_every_recorded_column_has_a_unit_and_a_line_in_docs_outputs():
    """A run with a population, convoys and rival pairs (corridor_campaign): every column of
    its step table is declared by a mechanism, with a unit, and documented in docs/outputs.md."""
    one = sim.run("corridor_campaign", seed=1, overrides=QUICK)
    steps, ids = one.wide, one.result.faction_ids
    families = {"support_", "tension_", "hostile_", "convoy_", "holder_", "land_bridge_"}
    assert all(any(c.startswith(f) for c in steps.columns) for f in families), \
        "the run should record every family of columns, so that each is checked"
    text = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    declared = {c.metric: c for c in recorder.all_columns()}
    for column in steps.columns:
        if column in ("step", "hours", "day", "date"):
            continue
        _, _, metric, unit = describe_column(column, ids)  # KeyError: declared by no mechanism
        assert unit, f"{column} has no unit"
        c = declared.get(metric) or next(c for c in declared.values() if column.startswith(c.prefix))
        assert f"| `{c.name}` | {unit} |" in text, f"docs/outputs.md has no line for {column} ({c.name}, {unit})"


class _Ammunition(Outputs):
    """A mechanism added by a contributor: one per-faction column and one summary figure."""

    columns = (Column("ammunition_<f>", "rounds", "rounds each faction holds", "ammunition", "faction"),)

    def __init__(self, model):
        self.model = model
        self.rounds = np.zeros((model.n_steps + 1, len(model.factions)))

    def record(self, i: int, changed) -> None:
        self.rounds[i] = 100.0 * i + np.arange(len(self.model.factions))

    def table(self, rows: slice) -> dict:
        return {f"ammunition_{f}": self.rounds[rows, j] for j, f in enumerate(self.model.factions.ids)}

    def summary(self, rows: slice) -> dict:
        return {"ammunition.rounds_at_end": float(self.rounds[rows.stop - 1].sum())}


def test_a_new_mechanisms_outputs_reach_every_table_from_its_own_class(monkeypatch):
    """Adding `_Ammunition` to the recorder's list is the whole change: its column reaches the
    step table, the long table with its unit, the summary and the generated docs."""
    monkeypatch.setattr(recorder, "STEP_TABLE_ORDER", (*recorder.STEP_TABLE_ORDER, _Ammunition))
    one = sim.run("open_road", seed=1, overrides=QUICK)
    ids, steps = one.result.faction_ids, one.wide
    nf, n = len(ids), len(steps)
    assert list(steps[f"ammunition_{ids[1]}"]) == [100.0 * i + 1 for i in range(n)], "row i holds 100 i + f"
    assert one.summary["ammunition.rounds_at_end"] == 100.0 * (n - 1) * nf + nf * (nf - 1) / 2
    tidy = tidy_steps(steps, ids, run="r000", seed=1)
    rows = tidy.query("metric == 'ammunition'")
    assert set(rows["unit"]) == {"rounds"} and set(rows["faction"]) == set(ids), "the long table's unit and faction"
    assert "| `ammunition_<f>` | rounds | rounds each faction holds |" in recorder.outputs_markdown()
