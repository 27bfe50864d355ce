"""Reading a calibration file: YAML → validated structure → checks against the scenario → a plan.

A calibration file names a scenario (relative to the file), fixed overrides (`set`), the
training window, the parameters (scenario key paths, as ``--set`` writes them) with their
priors, the statistics and the distance between them, what they are compared with (the record,
or the model's own output at known parameters), and the ABC-SMC budget. Problems are reported
like scenario problems: ``file:line: key: message``, every one at once, exit status 2.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.experiments.sweep_spec import DistributionSpec
from sim.program.errors import InputErrors
from sim.scenario import (
    LoadedScenario,
    PathError,
    Report,
    display_path,
    file_origins,
    load_scenario,
    parse_path,
    pydantic_problems,
    read_mapping_file,
    set_by_path,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


class PriorSpec(DistributionSpec):
    """A parameter's prior: exactly one of uniform/normal/loguniform, and where its range comes from."""

    integer: bool = Field(False, description="Round drawn values to whole numbers.")
    source: str = Field(min_length=1, description="Why this range: a citation or an order-of-magnitude argument.")


class WindowSpec(_Strict):
    start: dt.date = Field(description="First day of the training window (ISO date).")
    end: dt.date = Field(description="Last day of the training window (ISO date, included).")

    @model_validator(mode="after")
    def _ordered(self) -> WindowSpec:
        if self.end <= self.start:
            raise ValueError(f"expected end after start, found {self.start} to {self.end}")
        return self


class DistanceSpec(_Strict):
    kind: Literal["poisson", "euclidean"] = Field(
        "poisson", description="poisson: Euclidean on 2·sqrt of each statistic (variance-stabilised counts); "
                               "euclidean: on the statistics as they are.")
    weights: dict[str, float] = Field(default_factory=dict,
                                      description="Weight (>= 0) of the statistics whose key matches each glob "
                                                  "pattern; the first match counts; default 1.")

    @model_validator(mode="after")
    def _weights(self) -> DistanceSpec:
        bad = {k: w for k, w in self.weights.items() if w < 0}
        if bad:
            raise ValueError(f"expected weights >= 0, found {', '.join(f'{k}: {w:g}' for k, w in bad.items())}")
        return self


class TargetSpec(_Strict):
    """The model's own output at known parameters, as the observations (parameter recovery)."""

    parameters: dict[str, float | int] = Field(min_length=1)
    seed: int = Field(ge=0, le=2**63 - 1)


class PredictiveSpec(_Strict):
    replicates: int = Field(20, ge=2, le=10_000, description="Runs at posterior draws for the predictive check.")


class CalibrationSpec(_Strict):
    name: str
    description: str = ""
    scenario: str = Field(description="The scenario, relative to the calibration file.")
    set: dict[str, Any] = Field(default_factory=dict, description="Fixed overrides for every run.")
    window: WindowSpec
    run_until: dt.date | None = Field(
        None, description="Last day of each run (ISO date, on or after the window's end; default the window's end): "
                          "later only when a scenario's scheduled decision must fall inside the run. Only the "
                          "window's statistics are compared.")
    parameters: dict[str, PriorSpec] = Field(min_length=1)
    statistics: Literal["patterns", "outcomes"] = Field(
        "patterns", description="patterns: the record's pattern statistics (sim.hindcast.patterns); "
                                "outcomes: the run's final outcomes (for synthetic targets).")
    use: list[str] = Field(default_factory=lambda: ["*"], min_length=1,
                           description="Glob patterns of the statistic keys to compare.")
    target: Literal["record"] | TargetSpec = "record"
    distance: DistanceSpec = DistanceSpec()
    population: int = Field(ge=4, le=100_000)
    generations: int = Field(ge=1, le=100)
    max_simulations: int | None = Field(None, ge=1, description="Stop once this many runs are spent.")
    seed: int = Field(ge=0, le=2**63 - 1, description="Root seed of every draw the calibration makes.")
    predictive: PredictiveSpec = PredictiveSpec()


@dataclass(frozen=True)
class Prior:
    """One calibrated key path: its prior (kind, a, b as in the file) and whether it is whole."""

    key: str
    kind: str  # uniform, normal, loguniform
    a: float
    b: float
    integer: bool
    source: str

    def cast(self, value: float) -> float | int:
        return int(round(value)) if self.integer else float(value)


@dataclass
class CalibrationPlan:
    """A validated calibration: everything needed to run it, and its identity."""

    file: Path
    display: str
    sha256: str
    spec: CalibrationSpec
    scenario: Path
    loaded: LoadedScenario  # with `set` and the window's duration applied
    sets: dict  # `set` plus the duration that ends the run on `run_until` (default: the window's last day)
    priors: list[Prior]

    @property
    def name(self) -> str:
        return self.spec.name


def read_calibration(path: str | Path) -> CalibrationPlan:
    """Read and check a calibration file; raises InputErrors with every problem."""
    path = Path(path)
    display = display_path(path)
    data, lines, problems = read_mapping_file(path, display,
                                              "calibration keys (name, scenario, window, parameters, population, …)")
    report = Report(file_origins(display, lines), display)
    report.problems.extend(problems)
    spec = None
    try:
        spec = CalibrationSpec.model_validate(data, strict=False)
    except ValidationError as exc:
        pydantic_problems(exc, CalibrationSpec, (), report)
    plan = None
    if spec is not None:
        plan = _plan(path, display, spec, report)
    if report.problems or plan is None:
        raise InputErrors(sorted(report.problems, key=lambda p: p.line or 0))
    return plan


def _plan(path: Path, display: str, spec: CalibrationSpec, report: Report) -> CalibrationPlan | None:
    target = path.parent / spec.scenario
    if not target.is_file():
        report(("scenario",), f"cannot find the scenario file '{spec.scenario}' (looked for {target})")
        return None
    try:
        base = load_scenario(target, dict(spec.set))
    except InputErrors as err:
        for p in err.problems:
            report(("scenario",), f"the scenario does not load with `set`: {p}")
        return None
    start = base.spec.time.start_date
    start = start.date() if isinstance(start, dt.datetime) else start
    if spec.window.start < start:
        report(("window", "start"), f"expected a date on or after the scenario's start_date {start}, "
                                    f"found {spec.window.start}")
        return None
    if spec.run_until is not None and spec.run_until < spec.window.end:
        report(("run_until",), f"expected a date on or after the window's end {spec.window.end}, "
                               f"found {spec.run_until}")
        return None
    last = spec.run_until or spec.window.end
    days = (last - start).days + 1  # the run ends at the end of its last day
    sets = {**spec.set, "time.duration_days": days}
    for key in ("set", "parameters"):
        for name in getattr(spec, key):
            if name.strip() in ("seed", "time.duration_days", "time.start_date"):
                report((key, name), f"'{name}' is set by the calibration itself (its seed and window)")
    priors = [Prior(k, *_kind(p), integer=p.integer, source=p.source) for k, p in spec.parameters.items()]
    probe = dict(sets)
    for prior in priors:
        probe[prior.key] = prior.cast(prior.a)  # the lower end (a normal prior's mean)
        try:
            set_by_path(copy.deepcopy(base.resolved), parse_path(prior.key), probe[prior.key])
        except PathError as err:
            report(("parameters", prior.key), str(err))
    if spec.statistics == "outcomes" and spec.target == "record":
        report(("target",), "statistics 'outcomes' need a synthetic target ({parameters: {...}, seed: N}): "
                            "the record has no run outcomes")
    if isinstance(spec.target, TargetSpec):
        for key in spec.target.parameters:
            if key not in spec.parameters:
                report(("target", "parameters", key), f"'{key}' is not one of the calibrated parameters")
        missing = [k for k in spec.parameters if k not in spec.target.parameters]
        if missing:
            report(("target", "parameters"), f"give the true value of every calibrated parameter; missing "
                                             f"{', '.join(missing)}")
    if report.problems:
        return None
    try:
        loaded = load_scenario(target, probe)
    except InputErrors as err:
        for p in err.problems:
            report(("parameters",), f"the scenario does not load at the priors' lower ends (normal: means): {p}")
        return None
    return CalibrationPlan(file=path, display=display, sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                           spec=spec, scenario=target.resolve(), loaded=loaded, sets=sets, priors=priors)


def _kind(p: PriorSpec) -> tuple[str, float, float]:
    kind = next(k for k in ("uniform", "normal", "loguniform") if getattr(p, k) is not None)
    a, b = getattr(p, kind)
    return kind, float(a), float(b)
