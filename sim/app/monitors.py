"""What the app's monitors read from a running model: the latest row of the step table, the
per-faction and per-pair figures in it, units per kind, each convoy's state and how long it has
been in it, and an end-of-run "what happened" summary.

The row comes from the step table's own code (`RunResult.from_recorder`) applied to the
recorder's last row only, so that a column the model gains (`tension_<a>_<b>`, `support_<f>`,
`land_bridge_<f>` …) reaches the screen without a change here: `faction_table` groups every
`<metric>_<faction id>` column by faction and `pair_table` every `<metric>_<id a>_<id b>`.
Nothing here imports Solara.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from sim.agents.convoy import ENDED_STATES
from sim.results.event_log import INCIDENT_KINDS, clock_text
from sim.submodels.influence import CONTESTED, UNGOVERNED

#: step-table metrics not shown per faction (their share or total is shown instead)
HIDDEN_METRICS = ("area_km2", "value_share", "holder", "convoy", "incidents", "step", "hours", "day")
#: how a metric is labelled on screen, in this order first; others are shown by their column name
METRIC_LABELS = {"share": "land", "strength": "fighters", "land_bridge": "bridge",
                 "support": "support", "tension": "tension"}
#: on-screen names of the kinds of unit
KIND_LABELS = {"militia": "militia units", "local_militia": "local militias", "garrison": "garrisons",
               "convoy": "convoys", "insurgent": "insurgent cells"}
#: the map's marker shape of each kind of unit (`sim.figures.style.UNIT_MARKERS`) as a character,
#: so that counts read "26● 8◆" like the map
KIND_GLYPHS = {"militia": "●", "local_militia": "◆", "garrison": "■", "convoy": "▶", "insurgent": "✖"}


def latest_row(model) -> dict[str, object]:
    """The step table's row for the model now (column -> value), as `python run.py run` writes it."""
    rows = model.recorder.rows
    return model.recorder.steps(slice(rows - 1, rows)).iloc[0].to_dict()


def _split(column: str, ids: list[str]) -> tuple[str, str] | None:
    """'strength_iran_militia' -> ('strength', 'iran_militia') when the suffix is a faction id."""
    for fid in sorted(ids, key=len, reverse=True):
        if column.endswith("_" + fid) and len(column) > len(fid) + 1:
            return column[: -len(fid) - 1], fid
    return None


def _ordered(metrics) -> list[str]:
    known = [m for m in METRIC_LABELS if m in metrics]
    return known + sorted(m for m in metrics if m not in METRIC_LABELS)


def faction_table(row: dict, ids: list[str]) -> tuple[list[str], dict[str, dict[str, object]]]:
    """(metrics in display order, faction id -> metric -> value) for every column
    `<metric>_<faction id>` of the row whose metric is not itself per pair or hidden."""
    table: dict[str, dict[str, object]] = {fid: {} for fid in ids}
    for column, value in row.items():
        split = _split(column, ids)
        if split is None:
            continue
        metric, fid = split
        if metric.startswith(HIDDEN_METRICS) or _split(metric, ids) is not None:
            continue
        table[fid][metric] = value
    metrics = _ordered({m for values in table.values() for m in values})
    return metrics, table


def pair_table(row: dict, ids: list[str]) -> list[tuple[str, str, str, object]]:
    """(metric, faction a, faction b, value) for every column `<metric>_<id a>_<id b>`."""
    out = []
    for column, value in row.items():
        split = _split(column, ids)
        if split is None:
            continue
        inner = _split(split[0], ids)
        if inner is not None and not inner[0].startswith(HIDDEN_METRICS):
            out.append((inner[0], inner[1], split[1], value))
    return out


def format_value(metric: str, value) -> str:
    """A monitor's value as shown: shares in %, fighters whole, flags open/closed."""
    if isinstance(value, (bool, np.bool_)):
        return "open" if value else "closed"
    if not isinstance(value, (int, float, np.integer, np.floating)):
        return str(value)
    value = float(value)
    if metric.endswith("share"):
        return f"{value * 100:.2f} %"
    if metric == "strength" or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def metric_label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric.replace("_", " "))


def units_by_kind(model) -> dict[tuple[int, str], tuple[int, float]]:
    """(faction index, unit kind) -> (units alive, their fighters)."""
    counts: Counter = Counter()
    fighters: Counter = Counter()
    for unit in model.agents:
        if unit.alive:
            counts[(unit.faction, unit.kind)] += 1
            fighters[(unit.faction, unit.kind)] += unit.strength
    return {key: (counts[key], fighters[key]) for key in sorted(counts)}


@dataclass(frozen=True)
class ConvoyStatus:
    label: str
    faction: int
    state: str
    since_hours: float  # when it entered its state (simulated hours)
    hours_in_state: float
    strength: float  # fighters (0 once it has become a post or is gone)
    destination: str
    home: str

    @property
    def current(self) -> bool:
        """Still on the road (waiting, moving, in a standoff or withdrawing)?"""
        return self.state not in ENDED_STATES

    def words(self) -> str:
        """What became of it, in plain words: 'now a post at Albu Kamal crossing', 'turned
        back (home at Al-Mayadeen)', 'destroyed', or its state on the road with its fighters."""
        if self.state == "arrived":
            return f"now a post at {self.destination}"
        if self.state == "withdrawn":
            return f"turned back (home at {self.home})"
        if self.state == "destroyed":
            return "destroyed"
        return f"{self.state} toward {self.destination}" if self.state == "moving" else self.state


def convoy_status(model) -> list[ConvoyStatus]:
    """Each convoy's state now, since when, and for how long (from the recorded states)."""
    rec = model.recorder
    out = []
    for c, convoy in enumerate(model.convoys):
        state = convoy.state.value
        i = rec.rows - 1
        while i > 0 and c < len(rec.convoy_states[i - 1]) and rec.convoy_states[i - 1][c] == state:
            i -= 1
        # the state began during the step that ended at row i (rows are stamped at step ends)
        since = float(rec.hours[i]) - (model.step_hours if i > 0 else 0.0)
        out.append(ConvoyStatus(convoy.label, convoy.faction, state, since, model.hours - since,
                                float(convoy.strength), convoy.route[-1], convoy.withdraw_to))
    return out


def duration_text(hours: float) -> str:
    """'2 h', '1 day 6 h', '12 days'."""
    if hours < 24:
        return f"{hours:g} h"
    days, rest = divmod(hours, 24.0)
    day_word = "day" if days == 1 else "days"
    return f"{days:.0f} {day_word}" + (f" {rest:g} h" if rest and days < 5 else "")


def holder_label(model, code: int) -> str:
    if code == CONTESTED:
        return "contested"
    if code == UNGOVERNED:
        return "no one (ungoverned)"
    return model.factions.labels[code]


def what_happened(model, interventions=()) -> list[str]:
    """The run so far in a few sentences: ground and fighters per faction from the start to
    now, who holds the key places, what became of each convoy, the incidents by kind, and the
    teacher's interventions."""
    rec = model.recorder
    last = rec.rows - 1
    land_km2 = float(model.map.land.sum()) * model.map.km2_per_cell
    lines = [f"From {clock_text(0.0, model.calendar)} to {model.clock()} (seed {model.seed_value}):"]
    for j, label in enumerate(model.factions.labels):
        a0, a1 = rec.area_km2[0, j] / land_km2 * 100, rec.area_km2[last, j] / land_km2 * 100
        s0, s1 = rec.strength[0, j], rec.strength[last, j]
        lines.append(f"{label}: land held {a0:.2f} % → {a1:.2f} %, fighters {s0:,.0f} → {s1:,.0f}.")
    for place in rec.bridge_places:
        k = rec.places.index(place)
        first, now = holder_label(model, int(rec.holder[0, k])), holder_label(model, int(rec.holder[last, k]))
        lines.append(f"{place.name}: held by {first} at the start, by {now} now.")
    for status in convoy_status(model):
        lines.append(f"Convoy {status.label}: {status.words()} since {clock_text(status.since_hours, model.calendar)}.")
    totals = rec.incidents[: last + 1].sum(axis=0)
    counted = [f"{int(n)} {kind}" for kind, n in zip(INCIDENT_KINDS, totals, strict=True) if n and kind != "event"]
    lines.append("Incidents: " + (", ".join(counted) if counted else "none") + ".")
    for iv in interventions:
        lines.append(f"Intervention at {clock_text(iv.step * model.step_hours, model.calendar)}: {iv.describe()}.")
    return lines
