"""A sweep defined in Python — parameter ranges (EMA Workbench style) or a design DataFrame —
as the sweep file it stands for: validated by the same reader (`sim.experiments.sweepfile`),
run by the same engine, and saved beside the results (`sweep.yaml`), so a sweep from Python
can be resumed, extended and rerun from the command line like any other.

Parameters, by key path (as ``--set``): a list is the values to try (grid), a ``(low, high)``
tuple the bounds a sampled design draws from (Latin hypercube, Sobol, Morris), a dict the
sweep file's own form (``{"distribution": {"normal": [0.5, 0.1]}}``). A DataFrame as the
design gives the points themselves: one column per key path, one row per point.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import yaml

from sim.experiments.outcomes import DEFAULT_SERIES
from sim.program.errors import UserError

#: design names accepted from Python (EMA Workbench's and the sweep file's), and the size key of each
DESIGN_NAMES = {"grid": "grid", "lhs": "latin_hypercube", "latin_hypercube": "latin_hypercube",
                "sobol": "sobol", "morris": "morris"}
SIZE_KEY = {"latin_hypercube": "samples", "sobol": "samples", "morris": "trajectories"}


def _parameter(key: str, spec) -> dict:
    if isinstance(spec, dict):
        return copy.deepcopy(spec)
    if isinstance(spec, tuple) and len(spec) == 2 and all(isinstance(v, int | float) for v in spec):
        return {"bounds": [float(spec[0]), float(spec[1])]}
    if isinstance(spec, list | range) and len(spec):
        return {"values": [v.item() if hasattr(v, "item") else v for v in spec]}
    raise UserError(f"parameters['{key}']: expected a list of values, a (low, high) tuple or a sweep-file "
                    f"mapping such as {{'values': [...]}}, found {spec!r}")


def _design(design, samples: int | None, parameters: dict | None) -> tuple[dict, str | dict]:
    """(parameters of the sweep file, its `design`) from sim.sweep's arguments."""
    if isinstance(design, pd.DataFrame):
        if parameters:
            raise UserError("sim.sweep: give the parameters either as the design DataFrame's columns or as "
                            "parameters=, not both")
        if design.empty or not len(design.columns):
            raise UserError("sim.sweep: the design DataFrame has no rows or no columns")
        params = {str(c): {"values": list(dict.fromkeys(design[c].tolist()))} for c in design.columns}
        return params, {"kind": "points", "rows": design.to_numpy(dtype=object).tolist()}
    if not parameters:
        raise UserError("sim.sweep: give a sweep file, or parameters={key path: values or (low, high)}")
    kind = DESIGN_NAMES.get(str(design))
    if kind is None:
        raise UserError(f"sim.sweep: design={design!r}: expected a DataFrame or one of {', '.join(DESIGN_NAMES)}")
    params = {k: _parameter(k, v) for k, v in parameters.items()}
    if kind == "grid":
        return params, "grid"
    if samples is None:
        raise UserError(f"sim.sweep: design={design!r} needs samples= (its {SIZE_KEY[kind]})")
    return params, {"kind": kind, SIZE_KEY[kind]: int(samples)}


def sweep_document(scenario: Path | None = None, *, sweep_file: Path | None = None, parameters: dict | None = None,
                   design="grid", samples: int | None = None, replicates: int | None = None,
                   seed: int | None = None, overrides: dict | None = None, every_hours: float = 24.0,
                   name: str | None = None) -> dict:
    """The sweep file (a mapping) that a sweep from Python stands for: a sweep file with
    `overrides` added to its `set` (its scenario made absolute), or the scenario with
    `parameters` and `design` (`samples`: the sampled design's size). Raises UserError."""
    if sweep_file is not None:
        try:
            doc = yaml.safe_load(Path(sweep_file).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as err:
            raise UserError(f"{sweep_file}: cannot read the sweep file: {err}") from None
        if not isinstance(doc, dict):
            raise UserError(f"{sweep_file}: expected a mapping of sweep keys at the top level")
        if isinstance(doc.get("scenario"), str):
            doc["scenario"] = str((Path(sweep_file).parent / doc["scenario"]).resolve())
        doc["set"] = {**(doc.get("set") or {}), **(overrides or {})}
        if replicates is not None:
            doc["replicates"] = replicates
        return doc
    params, chosen = _design(design, samples, parameters)
    doc = {"name": name or f"{Path(scenario).stem} sweep", "description": "a sweep defined in Python (sim.sweep)",
           "scenario": str(Path(scenario).resolve()), "set": dict(overrides or {}), "parameters": params,
           "design": chosen, "replicates": 10 if replicates is None else replicates,
           "outcomes": {"final": ["*"], "series": {"every_hours": every_hours, "columns": list(DEFAULT_SERIES)}}}
    if seed is not None:
        doc["seed"] = seed
    return doc


def write_document(doc: dict, folder: Path) -> Path:
    """Write the sweep file `doc` into `folder` (as `<name>.yaml`, a slug of its name)."""
    slug = "".join(ch if ch.isalnum() else "_" for ch in str(doc.get("name", "sweep"))).strip("_") or "sweep"
    path = Path(folder) / f"{slug}.yaml"
    path.write_text("# written by sim.sweep from Python\n" + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path
