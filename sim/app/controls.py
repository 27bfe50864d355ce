"""What the app's controls are and what each scenario offers them, apart from any run or widget:
the sliders and switches (`CONTROLS`, each bound to one parameter of one kind of rule), a
scenario's text, seed, key place and own values for those controls (`scenario_info`, cached
until the file changes), the shipped scenarios the picker lists, and the `load_scenario`
overrides a set of slider values makes. The runs are `sim.app.state`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sim.program.errors import UserError
from sim.program.folders import SCENARIOS
from sim.rules.base import keys_of_kind
from sim.scenario import LoadedScenario, load_scenario


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
    Control("intercept_probability", "Airstrikes intercepted (probability)", "airstrikes", "intercept_probability",
            0.0, 1.0, 0.05, "Chance that the faction named to intercept stops a strike."),
    Control("co_optation_rate", "Co-optation: loyalty lost per day", "co_optation", "erosion_per_day",
            0.0, 0.05, 0.001, "Loyalty a local militia loses each day near a sponsor that pays more."),
    Control("agreement", "Agreement in force", "agreement", "enabled",
            help="Switch the international agreement that curtails one sponsor on or off."),
)
CONTROLS_BY_NAME = {c.name: c for c in CONTROLS}

Value = float | bool


@dataclass(frozen=True)
class ScenarioInfo:
    """What the app shows about a scenario before any run: its text and which controls apply."""

    path: Path
    name: str
    description: str
    questions: tuple[str, ...]
    seed: int
    key_place: str | None  # the place whose holder the monitors report (see `key_place`)
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
        questions=tuple(spec.teaching.questions), seed=spec.seed, rule_keys=keys, key_place=key_place(loaded),
        defaults={name: _rule_value(loaded, key, CONTROLS_BY_NAME[name]) for name, key in keys.items()})


def key_place(loaded: LoadedScenario) -> str | None:
    """The place a class watches: where the scenario's checkpoint stands, else the first town or
    city of the land bridge it observes, else None."""
    for rule in loaded.rules:
        if rule.name == "checkpoint_blockade" and rule.params.at:
            return rule.params.at[0]
    for name in loaded.spec.observe.land_bridge:
        place = loaded.map.find_place(name)
        if place.kind in ("city", "town"):
            return place.name
    return next(iter(loaded.map.places), None)


@lru_cache(maxsize=16)
def loaded_scenario(path: Path, overrides: tuple, mtime_ns: int) -> LoadedScenario:
    """A loaded scenario, kept for the next reset with the same settings (a model never changes
    the scenario it is built from; loading one takes ~0.1–0.2 s)."""
    return load_scenario(path, dict(overrides) or None)


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
