"""Reading a sweep file: YAML → validated structure → checks against the base scenario → a plan.

A sweep file names a base scenario, the key paths to vary and how (values, a range, a
distribution, bounds), the design, the replicates, the root seed and the outcomes to keep.
Problems are reported like scenario problems — ``file:line: key: message`` with did-you-mean,
all at once — and key paths are checked against the base scenario itself, so a typo in
``forces[7].strenght`` is caught before anything runs. Every design point's scenario is then
loaded and validated, and a point that does not validate is reported with its values.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.experiments.design import (
    DESIGNS,
    SENSITIVITY_DESIGNS,
    Design,
    Parameter,
    design_points,
    replicate_seeds,
)
from sim.experiments.design_spec import NEEDS, read_design
from sim.experiments.outcomes import NOT_OUTCOMES, SERIES_INDEX, select
from sim.experiments.sizes import shape_problems
from sim.experiments.sweep_spec import OutcomesSpec, ParameterSpec, SeriesSpec, SweepSpec
from sim.program.errors import InputErrors, Problem, did_you_mean
from sim.scenario import (
    LoadedScenario,
    PathError,
    Report,
    display_path,
    file_origins,
    format_path,
    load_scenario,
    parse_path,
    pydantic_problems,
    read_mapping_file,
    set_by_path,
)

MAX_POINT_PROBLEMS = 5  # failing design points reported in full; the rest are counted


@dataclass
class SweepPlan:
    """A validated sweep: what to run, with which seeds, keeping which outcomes."""

    file: Path
    display: str
    sha256: str
    name: str
    description: str
    scenario: Path
    sets: dict
    parameters: list[Parameter]
    design: Design
    replicates: int
    seed: int
    final: tuple[str, ...]
    series: tuple[str, ...]
    every_hours: float
    points: list[dict]
    raw: Any  # the sampled matrix before rounding (sampled designs), else None
    digests: list[str]
    seeds: list[int]

    @property
    def n_runs(self) -> int:
        return len(self.points) * self.replicates

    def overrides(self, point: int) -> dict:
        return {**self.sets, **self.points[point]}

    def run_id(self, point: int, replicate: int) -> str:
        """The id of design point `point`'s replicate `replicate` (its file in the folder's runs/):
        'p007-r012', each number at least three digits wide."""
        wp = max(3, len(str(len(self.points) - 1)))
        wr = max(3, len(str(self.replicates - 1)))
        return f"p{point:0{wp}d}-r{replicate:0{wr}d}"

    def run_ids(self) -> list[str]:
        """Every run's id, design point by design point."""
        return [self.run_id(i, r) for i in range(len(self.points)) for r in range(self.replicates)]

    def identity(self) -> str:
        """What the sweep's runs are, but not how many replicates (the folder's `identity`: a folder
        is resumed only by the same runs): replicate r's seed depends on the root seed and r alone,
        so a folder can be extended with more replicates."""
        return design_identity(self.digests, [], {"root_seed": self.seed, "points": self.points, "final": self.final,
                                                  "series": self.series, "every_hours": self.every_hours})


def read_sweep(path: str | Path, *, replicates: int | None = None, require: tuple[str, ...] = DESIGNS) -> SweepPlan:
    """Read and check a sweep file against its base scenario; raises InputErrors with every problem.

    Each check runs on whatever part of the file is sound, so one pass reports every problem.
    `replicates` overrides the file's; `require` lists the designs the caller can use.
    """
    path = Path(path)
    display = display_path(path)
    data, lines, problems = read_mapping_file(path, display, "sweep keys (name, scenario, parameters, design, …)")
    report = Report(file_origins(display, lines), display)
    report.problems.extend(problems)
    for where, message in shape_problems(data, replicates):  # before any point is drawn or loaded
        report(where, message)
    if len(report.problems) > len(problems):
        raise InputErrors(report.problems)
    spec = None
    try:
        spec = SweepSpec.model_validate(data, strict=True)
    except ValidationError as exc:
        pydantic_problems(exc, SweepSpec, (), report)
    design = read_design(data.get("design", SweepSpec.model_fields["design"].default), report)
    if design is not None and design.kind not in require:
        report(("design",), f"this command needs a {' or '.join(require)} design, found '{design.kind}'")

    sets = data.get("set") if isinstance(data.get("set"), dict) else {}
    raw_params = data.get("parameters") if isinstance(data.get("parameters"), dict) else {}
    base, fixed = _base_scenario(path, data.get("scenario"), sets, report)
    before = len(report.problems)
    _check_paths(sets, raw_params, base, report)
    if fixed is None and base is not None and len(report.problems) == before:
        fixed = _load_at(base.source, dict(sets), {format_path(parse_path(k)): ("set", k) for k in sets},
                         report, quiet=True)
    params = _parameters(raw_params, design, report)
    probe = fixed or base  # outcome names rarely depend on `set`: check them even when it is wrong
    outcomes = _outcomes(data.get("outcomes"), probe, report) if probe is not None else None
    complete = len(params) == len(raw_params) > 0
    if design is not None and design.rows and complete and {len(r) for r in design.rows} != {len(params)}:
        report(("design", "rows"), f"expected {len(params)} values in every row (one per parameter)")
        complete = False
    more = None
    if design is not None and fixed is not None and complete:  # the points, even if other keys are wrong
        seed = data.get("seed")
        root = seed if isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0 else fixed.spec.seed
        points, raw = design_points(design, params, root)
        digests, more = _check_points(base.source, sets, points, params, report)
    if report.problems or spec is None or design is None or fixed is None or outcomes is None or not complete:
        raise InputErrors(sorted(report.problems, key=lambda p: p.line or 0) + ([more] if more else []))
    if replicates is not None:
        spec = spec.model_copy(update={"replicates": replicates})
    final, series, every = outcomes
    return SweepPlan(
        file=path, display=display, sha256=hashlib.sha256(path.read_bytes()).hexdigest(), name=spec.name,
        description=spec.description, scenario=base.source.resolve(), sets=dict(sets), parameters=params,
        design=design, replicates=spec.replicates, seed=root, final=final, series=series, every_hours=every,
        points=points, raw=raw, digests=digests, seeds=replicate_seeds(root, spec.replicates))


def _base_scenario(path: Path, name: Any, sets: dict,
                   report: Report) -> tuple[LoadedScenario | None, LoadedScenario | None]:
    """(the base scenario, the base with the fixed `set` overrides), each None when it does not load.

    Usually both are one load at the sweep's own resolution; only when `set` is wrong is the
    bare base loaded, to tell its problems from the overrides'."""
    if not isinstance(name, str) or not name.strip():
        return None, None  # reported by the structure check
    target = path.parent / name
    if not target.is_file():
        siblings = [p.name for p in target.parent.glob("*.yaml")] if target.parent.is_dir() else []
        report(("scenario",), f"cannot find the scenario file '{name}' (looked for {target})"
                              f"{did_you_mean(Path(name).name, siblings)}")
        return None, None
    try:
        loaded = load_scenario(target, dict(sets))
        return loaded, loaded
    except InputErrors:
        pass
    try:
        return load_scenario(target), None
    except InputErrors as err:
        for p in err.problems:
            report(("scenario",), f"the base scenario does not load: {p}")
    return None, None


def _check_paths(sets: dict, params: dict, base: LoadedScenario | None, report: Report) -> None:
    """Every key path in `set` and `parameters` must exist in the base scenario."""
    def check(where: tuple, key: Any, value: Any) -> None:
        if not isinstance(key, str):
            return  # reported by the structure check
        if key.strip() == "seed":
            report(where, "the seed is not a parameter: each replicate's seed comes from the sweep's "
                          "root 'seed' (common random numbers across design points)")
            return
        if base is None:
            return
        try:
            set_by_path(copy.deepcopy(base.resolved), parse_path(key), value)
        except PathError as err:
            report(where, str(err))

    for key, value in sets.items():
        check(("set", key), key, value)
    for key, spec in params.items():
        if key in sets:
            report(("parameters", key), f"'{key}' is also fixed under 'set'; give it in one place")
        values = spec.get("values") if isinstance(spec, dict) else None
        check(("parameters", key), key, values[0] if isinstance(values, list) and values else 0.0)


def _parameters(raw: dict, design: Design | None, report: Report) -> list[Parameter]:
    """The parameters that are well formed, each checked against what the design needs."""
    params = []
    for key, value in raw.items():
        try:
            p = ParameterSpec.model_validate(value, strict=True)
        except ValidationError:
            continue  # reported by the structure check
        where = ("parameters", key)
        has = [k for k in ("values", "range", "distribution", "bounds") if getattr(p, k) is not None]
        if design is not None:
            needs = NEEDS[design.kind]
            usable = [k for k in has if k in needs]
            if design.kind in SENSITIVITY_DESIGNS and usable == ["distribution"] and p.distribution.uniform is None:
                usable = []
            if not usable:
                uniform = design.kind in SENSITIVITY_DESIGNS
                wanted = " or ".join(f"'{k}'" + (" (a uniform one)" if k == "distribution" and uniform else "")
                                     for k in needs)
                report(where, f"the {design.kind} design needs {wanted} for each parameter, found {' and '.join(has)}")
                continue
        dist = None
        if p.distribution is not None:
            kind = next(k for k in ("uniform", "normal", "loguniform") if getattr(p.distribution, k) is not None)
            dist = (kind, *getattr(p.distribution, kind))
        params.append(Parameter(
            key=key, label=p.label or key, integer=p.integer, distribution=dist,
            values=tuple(p.values) if p.values is not None else None,
            range=(p.range.from_, p.range.to, p.range.steps) if p.range is not None else None,
            bounds=tuple(p.bounds) if p.bounds is not None else None))
    return params


def probe_outcomes(loaded: LoadedScenario) -> tuple[list[str], list[str]]:
    """(summary outcome names, per-step column names) a run of this scenario produces, from a
    model built but not stepped: the same code path as a run, so the names cannot drift."""
    from sim.model import CorridorModel

    result = CorridorModel(loaded, loaded.spec.seed).recorder.result()
    return [k for k in result.summary if k not in NOT_OUTCOMES], list(result.steps.columns)


def _outcomes(raw: Any, fixed: LoadedScenario, report: Report) -> tuple[tuple, tuple, float] | None:
    """(final patterns, series patterns, hours between kept steps), each name checked against
    what a run of the scenario produces; None when the block is malformed (reported already)."""
    try:
        spec = OutcomesSpec.model_validate(raw if raw is not None else {}, strict=True)
    except ValidationError:
        return None  # reported by the structure check
    names, columns = probe_outcomes(fixed)

    def check(where: tuple, entries: list[str], available: list[str], what: str) -> None:
        for i, entry in enumerate(entries):
            if re.search(r"[*?\[]", entry):
                if not select(available, [entry]):
                    report(where + (i,), f"the pattern '{entry}' matches no {what} of this scenario")
            elif entry not in available:
                hint = did_you_mean(entry, available) or f" (see {what}s in docs/experiments.md)"
                report(where + (i,), f"unknown {what} '{entry}'{hint}")

    check(("outcomes", "final"), spec.final, names, "outcome")
    if spec.series is None:
        return tuple(spec.final), (), SeriesSpec.model_fields["every_hours"].default
    check(("outcomes", "series", "columns"), spec.series.columns, [c for c in columns if c not in SERIES_INDEX],
          "series column")
    return tuple(spec.final), tuple(spec.series.columns), spec.series.every_hours


def _value_text(v: Any) -> str:
    """A value as the design gives it: 1.0 stays 1.0 (a float), 1 is 1 (a whole number)."""
    if isinstance(v, float):
        text = f"{v:.6g}"
        return text if any(c in text for c in ".en") else text + ".0"
    return str(v)


def point_text(point: dict) -> str:
    return ", ".join(f"{k}={_value_text(v)}" for k, v in point.items())


def _load_at(scenario: Path, overrides: dict, where: dict[str, tuple], report: Report, prefix: str = "",
             quiet: bool = False) -> LoadedScenario | None:
    """Load the scenario with overrides; report each problem at the sweep-file key that set the
    offending value (`where`: key path as formatted → sweep-file path), else at 'parameters'."""
    try:
        with warnings.catch_warnings():
            if quiet:  # map placement notes are shown once, not for every design point
                warnings.simplefilter("ignore")
            return load_scenario(scenario, overrides)
    except InputErrors as err:
        for p in err.problems:
            at = where.get(p.path)
            message = re.sub(r" \(set by the override [^)]*\)$", "", p.message) if at else str(p)
            if at and at[0] == "parameters" and message.startswith("expected a whole number"):
                message += " (add 'integer: true' to the parameter to round its values)"
            report(at or ("parameters",), f"{prefix}{message}")
    return None


def _check_points(scenario: Path, sets: dict, points: list[dict], params: list[Parameter],
                  report: Report) -> tuple[list[str], Problem | None]:
    """Load every design point's scenario; report the first few that do not validate, and why.

    Returns the points' scenario digests and, when more failed, a line counting the rest."""
    where = {format_path(parse_path(p.key)): ("parameters", p.key) for p in params}
    where.update({format_path(parse_path(k)): ("set", k) for k in sets})
    digests: list[str] = []
    failing = 0
    for i, point in enumerate(points):
        shown = failing < MAX_POINT_PROBLEMS
        sink = report if shown else Report(report.origins, report.source)
        moves_map = any(str(k).startswith("map.") for k in point)  # else the base said its map's note
        loaded = _load_at(scenario, {**sets, **point}, where, sink, quiet=i > 0 or not moves_map,
                          prefix=f"design point {i} ({point_text(point)}) does not validate: ")
        failing += loaded is None
        digests.append(loaded.digest if loaded is not None else "")
    more = None
    if failing > MAX_POINT_PROBLEMS:
        more = Problem(report.source, report.where(("parameters",))[1], "parameters",
                       f"… and {failing - MAX_POINT_PROBLEMS} more of the {len(points)} design points do not validate")
    return digests, more


def design_identity(plan_digests: list[str], seeds: list[int], extra: dict) -> str:
    """A fingerprint of exactly what a folder's runs are: every point's resolved scenario, the
    seeds and what is kept. A folder is resumed only when this matches."""
    text = json.dumps({"digests": plan_digests, "seeds": seeds, **extra}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
