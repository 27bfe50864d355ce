"""What a mechanism reports: the protocol every mechanism's outputs follow.

Each mechanism (the influence field's land shares, the land bridge, tension, the population,
incidents, who holds each place, convoys, the economy, the insurgency, the planners, the rules)
owns one `Outputs` object, in the style of Starsim's ``define_results``/``update_results``:

- ``columns``: the step-table columns it records, each a `Column` (its name as documented,
  with ``<f>``, ``<place>``… for the entity, its unit, its meaning, its metric and entity in
  the long table);
- ``record(i, changed)``: observe the model into row ``i`` of its own preallocated arrays
  (whole-array numpy, no pandas; ``changed``: the flat indices of the cells whose controller
  changed since the row before, None at the first row or when not known);
- ``table(rows)``: its named columns for a slice of rows, in the step table's order;
- ``summary(rows)``: its figures for the run summary (``summary.json``, one row per run in
  ``runs.parquet``), over the rows recorded so far (read at the end of a run or mid-run).

The recorder (sim/results/recorder.py) calls them in its `STEP_TABLE_ORDER`; the step table and
the run summary (`Recorder.steps`, `Recorder.summary`), the long table's units
(sim/results/tidy.py) and the generated section of docs/outputs.md (`outputs_markdown`, checked
by a test) all come from them. So a
new column of a mechanism is a change to that mechanism's `Outputs` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One documented column (or family of columns, one per faction, place, pair or convoy).

    `name`: as documented, ``share_<f>`` or ``contested_share``; `unit`: e.g. ``km²``, ``share
    of land (0–1)`` or ``category: …`` for text; `meaning`: one sentence for docs/outputs.md;
    `metric`: its name in the long table; `entity`: ``faction``, ``place``, ``pair``,
    ``convoy``, or ``""`` for a whole-map value (also ``incidents_<kind>``, whose kind stays in
    the metric)."""

    name: str
    unit: str
    meaning: str
    metric: str
    entity: str = ""

    @property
    def prefix(self) -> str:
        """The fixed start of the column's name: ``share_`` for ``share_<f>``."""
        return self.name.split("<")[0]


class Outputs:
    """The protocol (with empty defaults): a mechanism that records nothing per step leaves
    `columns` empty and gives only `summary`."""

    columns: tuple[Column, ...] = ()

    def record(self, i: int, changed) -> None:
        """Observe the model now into row `i` (see the module docstring for `changed`)."""

    def table(self, rows: slice) -> dict[str, Sequence]:
        """Column name → values for `rows` of the step table."""
        return {}

    def summary(self, rows: slice) -> dict:
        """The mechanism's figures for the run summary, over `rows` recorded so far."""
        return {}
