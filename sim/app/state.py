"""The web app's state apart from any widget: which scenario and settings each side runs, the
model runs it drives (one, or two side by side on one seed), what its monitors read, and the
export of a run so far for slides.

`sim.app.page` only wires widgets to a `Controller`; the tests drive a `Controller` directly, so
what a button does is tested without a browser. Nothing here imports Solara.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from sim.disclaimer import DISCLAIMER
from sim.errors import UserError
from sim.influence import CONTESTED, UNGOVERNED
from sim.locations import DEFAULT_SCENARIO, OUTPUTS, SCENARIOS
from sim.model import CorridorModel
from sim.rules.base import keys_of_kind
from sim.scenario import LoadedScenario, load_scenario

#: the place whose holder the app reports: the town of the seed event
KEY_PLACE = "Albu Kamal"


@dataclass(frozen=True)
class Control:
    """A slider or switch bound to one parameter of one kind of rule."""

    name: str
    label: str
    rule: str  # the rule kind, e.g. 'checkpoint_blockade'
    param: str  # the parameter of that rule ('enabled' makes it a switch)
    lo: float = 0.0
    hi: float = 1.0
    step: float = 0.05
    help: str = ""

    @property
    def is_switch(self) -> bool:
        return self.param == "enabled"


CONTROLS: tuple[Control, ...] = (
    Control("stop_probability", "Checkpoint stop probability", "checkpoint_blockade", "stop_probability",
            0.0, 1.0, 0.05, "Chance that the checkpoint stops a blocked convoy."),
    Control("reinforcement_rate", "Reinforcement route (most fighters per day)", "reinforcement", "max_per_day",
            0.0, 60.0, 1.0, "Most recruits a day the route brings in; the faction's funding decides how "
            "many it pays for."),
    Control("airstrike_rate", "Airstrikes per day", "airstrikes", "rate_per_day",
            0.0, 1.0, 0.02, "Average number of airstrikes a day against the target faction."),
    Control("co_optation_rate", "Co-optation: loyalty lost per day", "co_optation", "erosion_per_day",
            0.0, 0.05, 0.001, "Loyalty a local militia loses each day near a sponsor that pays more."),
    Control("agreement", "Agreement in force", "agreement", "enabled",
            help="Switch the international agreement that curtails one sponsor on or off."),
)
CONTROLS_BY_NAME = {c.name: c for c in CONTROLS}
#: simulated hours shown per frame while playing, the choices of the speed control
SPEEDS_HOURS = (1, 3, 6, 12, 24)
#: hours between the snapshots kept for the exported animation (finer than a batch run's)
FRAME_EVERY_HOURS = 6.0

Value = float | bool


@dataclass(frozen=True)
class ScenarioInfo:
    """What the app shows about a scenario before any run: its text and which controls apply."""

    path: Path
    name: str
    description: str
    questions: tuple[str, ...]
    seed: int
    rule_keys: dict[str, str]  # control name -> key of the rule it sets
    defaults: dict[str, Value]  # control name -> the scenario's own value

    @property
    def stem(self) -> str:
        return self.path.stem


def _rule_keys(loaded: LoadedScenario) -> dict[str, str]:
    """For each control, the key of the scenario's rule of that kind (the unlabelled one first)."""
    keys = {}
    for control in CONTROLS:
        kinds = keys_of_kind(loaded.rules, control.rule)
        if kinds:
            keys[control.name] = control.rule if control.rule in kinds else kinds[0]
    return keys


def _rule_value(loaded: LoadedScenario, key: str, control: Control) -> Value:
    params = loaded.rule(key).params
    value = getattr(params, control.param)
    return bool(value) if control.is_switch else float(value)


@lru_cache(maxsize=32)
def _info(path: str, mtime_ns: int) -> ScenarioInfo:
    loaded = load_scenario(path)
    spec = loaded.spec
    keys = _rule_keys(loaded)
    return ScenarioInfo(
        path=Path(path), name=spec.name, description=" ".join(spec.description.split()),
        questions=tuple(spec.teaching.questions), seed=spec.seed, rule_keys=keys,
        defaults={name: _rule_value(loaded, key, CONTROLS_BY_NAME[name]) for name, key in keys.items()})


def scenario_info(path: str | Path) -> ScenarioInfo:
    """The scenario's text and controls, cached until the file changes (loading takes ~0.4 s)."""
    resolved = Path(path).resolve()
    if not resolved.is_file():
        raise UserError(f"{path}: no such file")
    return _info(str(resolved), resolved.stat().st_mtime_ns)


def scenario_library(directory: Path = SCENARIOS) -> list[Path]:
    """The shipped scenarios the picker offers."""
    return sorted(Path(directory).glob("*.yaml"))


def overrides_for(info: ScenarioInfo, values: dict[str, Value]) -> dict[str, object]:
    """`load_scenario` overrides for the controls whose value differs from the scenario's."""
    out: dict[str, object] = {}
    for name, value in values.items():
        if name in info.rule_keys and value != info.defaults[name]:
            out[f"rules.{info.rule_keys[name]}.{CONTROLS_BY_NAME[name].param}"] = value
    return out


class LiveRun:
    """One model run the app drives: built from a scenario, control values and a seed, then
    stepped in place."""

    def __init__(self, path: str | Path, values: dict[str, Value] | None = None, seed: int | None = None,
                 overrides: dict[str, object] | None = None):
        self.info = scenario_info(path)
        self.values = {**self.info.defaults,
                       **{k: v for k, v in (values or {}).items() if k in self.info.defaults}}
        # the controls' overrides, then any other `--set` given on the command line
        self.overrides = {**overrides_for(self.info, self.values), **(overrides or {})}
        self.loaded = load_scenario(self.info.path, self.overrides or None)
        self.model = CorridorModel(self.loaded, seed, frame_every_hours=FRAME_EVERY_HOURS)
        corridor_map = self.model.map
        self.land_km2 = float(corridor_map.land.sum()) * corridor_map.km2_per_cell
        places = [p.name for p in self.model.recorder.places]
        self.key_place = places.index(KEY_PLACE) if KEY_PLACE in places else None

    @property
    def seed(self) -> int:
        return self.model.seed_value

    @property
    def finished(self) -> bool:
        return self.model.steps >= self.model.n_steps

    def advance(self, steps: int = 1) -> int:
        """Step the model up to `steps` times (not past its end); return how many were taken."""
        taken = 0
        while taken < steps and not self.finished:
            self.model.step()
            taken += 1
        return taken

    # ------------------------------------------------------------------ monitors
    def parameter(self, name: str) -> Value | None:
        """The value the running model uses for a control (events may have changed it), or None
        when the scenario has no rule for it."""
        key = self.info.rule_keys.get(name)
        if key is None:
            return None
        rule = self.model.rules_by_key[key]
        control = CONTROLS_BY_NAME[name]
        return bool(rule.enabled) if control.is_switch else float(getattr(rule.params, control.param))

    def holder_label(self, code: int) -> str:
        if code == CONTESTED:
            return "contested"
        if code == UNGOVERNED:
            return "no one (ungoverned)"
        return self.model.factions.labels[code]

    def key_place_holder(self) -> str:
        if self.key_place is None:
            return "n/a (no such place on this map)"
        rec = self.model.recorder
        return self.holder_label(int(rec.holder[rec.rows - 1, self.key_place]))

    def land_bridge(self) -> str:
        """Whose land bridge (crossing → Albu Kamal → Al-Mayadeen → Deir ez-Zor) is open now."""
        rec = self.model.recorder
        labels = self.model.factions.labels
        open_for = [labels[f] for j, f in enumerate(rec.bridge_factions) if rec.land_bridge[rec.rows - 1, j]]
        return "open for " + ", ".join(open_for) if open_for else "closed"

    def convoys(self) -> list[tuple[str, str]]:
        return [(c.label, c.state.value) for c in self.model.convoys]

    def log_newest_first(self, limit: int = 200) -> list[tuple[str, str]]:
        """(kind, 'day D HH:MM — text') for the latest `limit` entries, newest first."""
        entries = self.model.log.entries[-limit:]
        return [(e.kind, e.narrative()) for e in reversed(entries)]

    def shares(self) -> dict[str, np.ndarray]:
        """Share of the land per faction id, plus 'contested' and 'ungoverned', per recorded step,
        and 'day'."""
        rec = self.model.recorder
        n = rec.rows
        out = {"day": rec.hours[:n] / 24.0}
        for j, f in enumerate(self.model.factions.ids):
            out[f] = rec.area_km2[:n, j] / self.land_km2
        out["contested"] = rec.contested[:n]
        out["ungoverned"] = rec.ungoverned[:n]
        return out

    # ------------------------------------------------------------------ export
    def result_so_far(self):
        """A RunResult of the run up to now; its last frame is the current state."""
        model = self.model
        result = model.recorder.result()
        frames = list(result.frames)
        if not frames or frames[-1]["hours"] != model.hours:
            frames.append(model.recorder.snapshot())
        return dataclasses.replace(result, frames=frames)

    def export(self, folder: Path) -> list[Path]:
        """Write into `folder` (which the caller creates fresh): the map and the charts as PNG
        for slides, the same two as the app shows them (with the convoys' states), the run so
        far as an animated GIF, and the narrative as text."""
        from sim.figures.live import LiveCharts, LiveMap
        from sim.figures.one_run import draw_control_chart, draw_control_map, write_animation
        from sim.output import write_atomic, write_text_atomic

        result = self.result_so_far()
        folder.mkdir(parents=True, exist_ok=True)
        screen = {"screen_map.png": LiveMap(self.model).render(), "screen_charts.png": LiveCharts(self).render()}
        written = [
            draw_control_map(result, result.frames[-1], folder / "map.png"),
            draw_control_chart(result, folder / "charts.png"),
            *(write_atomic(folder / name, lambda tmp, png=png: tmp.write_bytes(png)) for name, png in screen.items()),
            write_animation(result, folder / "animation.gif"),
        ]
        settings = ", ".join(f"{k}={v}" for k, v in self.overrides.items()) or "as in the scenario file"
        text = (f"{result.scenario_name} ({self.info.path.name}), seed {result.seed}, "
                f"{self.model.clock()}; settings: {settings}. {DISCLAIMER}\n\n{result.log.to_text()}")
        written.append(write_text_atomic(folder / "narrative.txt", text))
        return written


@dataclass
class Side:
    """One side of the app: a scenario file, the control values set on its sliders (applied at
    the next reset) and the run built from the values last applied."""

    path: Path
    pending: dict[str, Value]
    run: LiveRun

    @property
    def changed(self) -> bool:
        """Do the sliders differ from what the run uses (so that a reset is needed)?"""
        return self.pending != self.run.values


class Controller:
    """Everything one browser tab knows apart from its widgets: one side, or two side by side
    that share a seed and step together, so that a class sees what one change did."""

    def __init__(self, scenario: str | Path = DEFAULT_SCENARIO, seed: int | None = None):
        self.lock = threading.RLock()  # the play loop and the buttons both step the models
        self.seed = seed  # None: the (first) scenario's own seed
        info = scenario_info(scenario)
        self.sides: list[Side] = [Side(info.path, dict(info.defaults), LiveRun(info.path, seed=self._seed(info)))]

    def _seed(self, info: ScenarioInfo) -> int:
        return info.seed if self.seed is None else self.seed

    @property
    def run_seed(self) -> int:
        return self.sides[0].run.seed

    @property
    def comparing(self) -> bool:
        return len(self.sides) == 2

    @property
    def finished(self) -> bool:
        return all(side.run.finished for side in self.sides)

    def advance(self, hours: float) -> None:
        """Advance every side by the same simulated time (at least one step each), so that
        sides with different step lengths stay in step."""
        with self.lock:
            for side in self.sides:
                side.run.advance(max(1, round(hours / side.run.model.step_hours)))

    def set_value(self, side: int, name: str, value: Value) -> None:
        """A slider moved: remembered, applied at the next reset."""
        if name not in self.sides[side].run.info.defaults:
            raise KeyError(f"{self.sides[side].path.name} has no rule for the control '{name}'")
        with self.lock:
            self.sides[side].pending[name] = value

    def set_seed(self, seed: int | None) -> None:
        """A new seed, applied at the next reset (None: the scenario's own)."""
        self.seed = seed

    def reset(self) -> None:
        """Rebuild every side from its scenario and slider values, all on one seed."""
        info = scenario_info(self.sides[0].path)
        seed = self._seed(info)
        built = [LiveRun(side.path, side.pending, seed) for side in self.sides]
        with self.lock:
            for side, run in zip(self.sides, built, strict=True):
                side.run = run

    def choose_scenario(self, side: int, path: str | Path) -> None:
        """Switch a side to another scenario, at that scenario's own settings. When comparing,
        both sides start again together (on one seed), so that they stay in step."""
        info = scenario_info(path)
        if not self.comparing:
            run = LiveRun(info.path, seed=self._seed(info))
            with self.lock:
                self.sides[0] = Side(info.path, dict(info.defaults), run)
            return
        with self.lock:
            old = self.sides[side]
            self.sides[side] = Side(info.path, dict(info.defaults), old.run)
            try:
                self.reset()
            except UserError:
                self.sides[side] = old
                raise

    def compare(self, on: bool) -> None:
        """Side by side on: the second side starts as a copy of the first (same scenario,
        settings and seed), ready for one change; off: back to the first side alone. Either way
        both start again from the beginning."""
        with self.lock:
            if on and not self.comparing:
                first = self.sides[0]
                self.sides.append(Side(first.path, dict(first.pending), first.run))
            elif not on and self.comparing:
                del self.sides[1]
        self.reset()

    def export(self, folder: Path | None = None) -> Path:
        """Write every side's map, charts, animation and narrative into a new folder (under
        outputs/ unless given; an existing non-empty folder is refused)."""
        with self.lock:
            return export_runs([side.run for side in self.sides], folder)


def export_runs(runs: list[LiveRun], folder: Path | None = None, force: bool = False) -> Path:
    """Export runs so far into a new folder, built aside and renamed into place: with one run
    its files sit in the folder, with two each has a subfolder a_<scenario>, b_<scenario>.
    The default folder is a fresh one under outputs/; a given one that exists and is not empty
    is refused unless `force`."""
    from sim.output import new_run_folder, publish_folder

    first, chosen = runs[0], folder is not None
    if folder is None:
        stem = "_vs_".join(s.info.stem for s in runs)
        day = int(first.model.hours // 24)
        folder = new_run_folder(OUTPUTS, f"app_{stem}_seed{first.seed}_day{day}")

    def build(tmp: Path) -> None:
        for i, run in enumerate(runs):
            run.export(tmp / f"{'ab'[i]}_{run.info.stem}" if len(runs) > 1 else tmp)

    return publish_folder(build, Path(folder), force=force, kind="export", chosen=chosen)
