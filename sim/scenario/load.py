"""Loading a scenario: YAML → `extends` merge → overrides → validation → cross-checks.

Every problem is reported as ``file:line: key.path: message`` — in the file that actually set
the offending value (a child's bad override points at the child, a bad value inherited from a
parent points at the parent).

Steps of :func:`load_scenario`:

1. read the file and every file it ``extends`` and deep-merge them, remembering which file and
   line set each key path (:mod:`sim.scenario.extends`, :mod:`sim.scenario.yaml_lines`);
2. make ``map.file`` absolute (relative to the file that set it);
3. apply overrides (``--set`` and sweep parameters) with
   :func:`~sim.scenario.keypaths.set_by_path`;
4. validate the structure with the pydantic models of :mod:`sim.scenario.spec` (strictly: YAML
   already types values, so ``"40"`` is not silently a number) and each rule with its model
   from ``RULE_MODELS``; errors worded by :mod:`sim.scenario.messages`;
5. if the structure is sound, check its declared sizes against the limits of
   :mod:`sim.scenario.limits` (steps, distances in cells, units, incidents), then cross-check it: faction ids, relations, times inside the
   duration, event paths and rule names (:mod:`sim.scenario.checks`); places and regions on the
   map, deployments on ground their kind can stand on, convoy routes reachable over passable
   terrain (:mod:`sim.scenario.mapchecks`).

Every problem found is collected and raised together as one :class:`~sim.program.errors.InputErrors`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.program.errors import InputErrors, Problem, did_you_mean
from sim.program.folders import SCENARIOS
from sim.scenario.checks import check_references
from sim.scenario.extends import load_tree, replace_origins
from sim.scenario.keypaths import PathError, parse_path, set_by_path
from sim.scenario.limits import check_limits
from sim.scenario.mapchecks import check_map, open_map
from sim.scenario.messages import pydantic_problems
from sim.scenario.report import Report, display_path
from sim.scenario.rule_params import rule_kind
from sim.scenario.spec import RULE_MODELS, RuleParams, Scenario
from sim.scenario.yaml_lines import StopReading

if typing.TYPE_CHECKING:  # pragma: no cover
    from sim.geography import CorridorMap


@dataclass(frozen=True)
class RuleSpec:
    """One configured control rule: its key under `rules`, its kind, and its validated parameters."""

    key: str  # 'reinforcement' or 'reinforcement/russia'
    name: str  # the rule kind: the part of the key before '/'
    params: RuleParams


@dataclass(eq=False, repr=False)
class LoadedScenario:
    """A scenario ready to build a model from. Two are equal when their resolved scenarios
    are (the same `digest`: map content, overrides and all), and it hashes by its digest, so it
    can key a dict or a `groupby` (as the `loaded` column of `mesa.batch_run`'s rows); its repr
    is short: name, file and digest."""

    spec: Scenario
    rules: list[RuleSpec]
    source: Path
    resolved: dict
    map: CorridorMap
    digest: str
    origins: dict = field(default_factory=dict, repr=False)
    overrides: dict = field(default_factory=dict)  # {key path: value} applied over the file

    def __eq__(self, other) -> bool:
        return isinstance(other, LoadedScenario) and other.digest == self.digest

    def __hash__(self) -> int:
        return hash(self.digest)

    def __repr__(self) -> str:
        return f"LoadedScenario({self.spec.name!r}, {self.source.name}, sha256 {self.digest[:12]})"

    def rule(self, key: str) -> RuleSpec:
        for rule in self.rules:
            if rule.key == key:
                return rule
        raise KeyError(f"no rule '{key}'{did_you_mean(key, [r.key for r in self.rules])}")

    def summary(self) -> str:
        spec = self.spec
        units = sum(f.units for f in spec.forces)
        step = f"{spec.time.step_hours:g} h"
        return (
            f"{spec.name}: {len(spec.factions)} factions, {len(spec.forces)} forces "
            f"({units} units), {len(self.rules)} rules, {spec.time.duration_days:g} days "
            f"in {step} steps, {spec.map.cell_km:g} km cells"
        )


def scenario_digest(resolved: dict) -> str:
    """SHA-256 of the resolved scenario with the map named by its content, not its path, so
    the same scenario has the same hash in any checkout."""
    from sim.geography.layers import content_sha256

    named = dict(resolved)
    named["map"] = {**resolved["map"], "file": content_sha256(Path(resolved["map"]["file"]))}
    return hashlib.sha256(canonical_json(named).encode("utf-8")).hexdigest()


def load_scenario(path: str | Path, overrides: dict[str, object] | None = None) -> LoadedScenario:
    """Read, merge, override, validate and cross-check a scenario file.

    Raises :class:`~sim.program.errors.InputErrors` listing every problem found.
    """
    source = Path(path)
    display = display_path(source)
    problems: list[Problem] = []
    files: dict[str, Path] = {}
    try:
        data, origins = load_tree(source, display, [], problems, files)
    except StopReading:
        raise InputErrors(problems) from None
    report = Report(origins, display)
    report.problems.extend(problems)  # duplicate keys: reported, and the rest still checked

    _resolve_map_file(data, origins, files, source)

    for key, value in (overrides or {}).items():
        try:
            parts = parse_path(key)
            set_by_path(data, parts, copy.deepcopy(value))
        except PathError as err:
            report.problems.append(Problem(display, None, str(key), f"{err} (in an override)"))
            continue
        replace_origins(origins, {}, parts)
        origins[parts] = (display, None, f"set by the override {key}={value!r}")
        if parts == ("map", "file") and isinstance(value, str):  # relative to where we run
            data["map"]["file"] = str(Path(value).resolve())

    spec, rules = _validate_structure(data, report)
    corridor_map = None
    if spec is not None:
        checked = [(rule.key, rule.params) for rule in rules]
        before = len(report.problems)
        check_limits(spec, checked, report)
        if len(report.problems) > before:  # beyond a limit: nothing more is built
            raise InputErrors(_sorted(report.problems, display))
        check_references(spec, checked, data, report)
        corridor_map = open_map(spec, report)
        if corridor_map is not None:
            check_map(spec, checked, corridor_map, report)
    if report.problems:
        raise InputErrors(_sorted(report.problems, display))
    assert spec is not None and corridor_map is not None
    corridor_map.note_moved_places()  # only now: a refused scenario says only its errors
    digest = scenario_digest(data)
    return LoadedScenario(spec=spec, rules=rules, source=source, resolved=data, map=corridor_map,
                          digest=digest, origins=origins, overrides=dict(overrides or {}))


def canonical_json(data: Any) -> str:
    """The canonical JSON text of a resolved scenario (sorted keys, no spaces) that is hashed."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _sorted(problems: list[Problem], display: str) -> list[Problem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.file != display, p.file, p.line or 0))


def _resolve_map_file(data: dict, origins: dict, files: dict[str, Path], source: Path) -> None:
    """Make map.file absolute, relative to the file that set it (default: the shipped map)."""
    block = data.get("map")
    if block is None:
        block = data["map"] = {}
    if not isinstance(block, dict):
        return
    value = block.get("file")
    if value is None:
        default = Scenario.model_fields["map"].default.file
        block["file"] = str((SCENARIOS / default).resolve())
        return
    if not isinstance(value, str):
        return
    origin = origins.get(("map", "file"))
    setter = files.get(origin[0], source) if origin else source
    block["file"] = str((setter.parent / value).resolve())


def _validate_structure(data: dict, report: Report) -> tuple[Scenario | None, list[RuleSpec]]:
    spec: Scenario | None = None
    try:
        spec = Scenario.model_validate(data, strict=True)
    except ValidationError as exc:
        pydantic_problems(exc, Scenario, (), report)

    rules: list[RuleSpec] = []
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, dict):
        return spec, rules
    for key, params in raw_rules.items():
        here = ("rules", key)
        if not isinstance(key, str):
            continue  # reported by the Scenario validation (keys are text)
        kind, label = rule_kind(key), key.partition("/")[2]
        if kind not in RULE_MODELS:
            hint = did_you_mean(kind, list(RULE_MODELS)) or f"; expected one of {', '.join(RULE_MODELS)}"
            report(here, f"unknown rule{hint}")
            continue
        if "/" in key and not re.fullmatch(r"[A-Za-z0-9_-]+", label):
            report(here, "the label after '/' must be letters, digits, '_' or '-' "
                         f"(e.g. '{kind}/russia'), found '{label}'")
            continue
        if not isinstance(params, dict):
            continue  # reported by the Scenario validation (expected a mapping)
        try:
            model = RULE_MODELS[kind].model_validate(params, strict=True)
        except ValidationError as exc:
            pydantic_problems(exc, RULE_MODELS[kind], here, report)
            continue  # cross-checks still run on the rules that validated
        rules.append(RuleSpec(key=key, name=kind, params=model))
    return spec, rules
