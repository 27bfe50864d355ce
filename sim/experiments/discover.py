"""Scenario discovery: which boxes of parameter space make an outcome hold, by PRIM.

`discover(folder, where)` reads a finished sweep folder (``runs.parquet`` and the parameters in
``manifest.json``), marks the runs where the condition `where` holds, and runs the Patient Rule
Induction Method (Friedman & Fisher 1999) of EMA Workbench (`ema_workbench.analysis.prim`,
the implementation scenario-discovery studies use; Kwakkel 2017) on the parameters against
that mark. PRIM peels the parameter box a little at a time, keeping the cases of interest,
and gives a trajectory of nested boxes from all of parameter space (coverage 1) to a small pure
box. The box reported is the one with the largest coverage × density among those whose
density reaches `min_density` (default 0: all; with none, the densest):

- **coverage**: the share of the runs where the condition holds that fall in the box;
- **density**: the share of the runs in the box where it holds;
- **mass**: the share of all runs in the box;
- **restricted dimensions**: the parameters whose range the box narrows, with their limits and
  quasi-p-values (a binomial test of whether the restriction matters).

The condition is a small expression over the columns of ``runs.parquet``: comparisons (``<``,
``<=``, ``==``, ``!=``, ``>=``, ``>``), ``and``, ``or``, ``not``, parentheses, arithmetic and
numbers, e.g. ``land_bridge_russia_open_share > 0.5`` or
``convoys_arrived == 0 and strength_russia < 100``; column names may contain dots and brackets
(``rules.checkpoint_blockade.stop_probability``), or be written between backticks. Phrases
``convoy arrived`` / ``convoy did not arrive`` (also halted, withdrew, destroyed) stand for
``convoys_arrived > 0`` / ``convoys_arrived == 0``. Nothing in it is executed as Python.
"""

from __future__ import annotations

import ast
import json
import operator
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.program.errors import UserError, describe_found, did_you_mean

_OUTCOME_WORDS = {"arrive": "arrived", "arrived": "arrived", "halt": "halted", "halted": "halted",
                  "withdraw": "withdrew", "withdrew": "withdrew", "destroyed": "destroyed"}
_PHRASE = re.compile(r"^\s*(no\s+)?convoys?\s+(did\s+not\s+|didn't\s+|was\s+not\s+|were\s+not\s+)?"
                     r"(?:be\s+)?(\w+)\s*$", re.IGNORECASE)
_COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Eq: operator.eq, ast.NotEq: operator.ne,
            ast.Gt: operator.gt, ast.GtE: operator.ge}
_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


@dataclass
class Discovery:
    """What `discover` found. `trajectory`: one row per box on the peeling trajectory (coverage,
    density, mass, res_dim); `chosen`: the index of the reported box in it; `limits`: one row
    per restricted parameter (min, max, full_min, full_max, qp_lower, qp_upper); `ranges`:
    (min, max) of every parameter over the sweep."""

    where: str
    condition: str  # the expression as evaluated (phrases expanded)
    n_runs: int
    n_true: int
    trajectory: pd.DataFrame
    chosen: int
    limits: pd.DataFrame
    ranges: dict[str, tuple[float, float]]
    min_density: float
    labels: dict[str, str] = field(default_factory=dict)  # parameter key → label, from the sweep file
    #: warnings about the reported box: a limit between two design levels that no run tests
    notes: list[str] = field(default_factory=list)

    @property
    def candidates(self) -> pd.DataFrame:
        """The boxes worth choosing among: those of the peeling trajectory that no other box
        beats on both coverage and density (the trade-off PRIM offers); `--box N` reports one."""
        t = self.trajectory
        beaten = [((t["coverage"] >= r.coverage) & (t["density"] >= r.density)
                   & ((t["coverage"] > r.coverage) | (t["density"] > r.density))).any() for r in t.itertuples()]
        return t[~np.array(beaten)]

    @property
    def box(self) -> pd.Series:
        return self.trajectory.iloc[self.chosen]

    def summary(self) -> dict:
        """The result as plain data (for discover.json)."""
        b = self.box
        return {"where": self.where, "condition": self.condition, "runs": self.n_runs,
                "runs_where_it_holds": self.n_true, "min_density": self.min_density,
                "box": {"index": int(self.chosen), "coverage": float(b["coverage"]),
                        "density": float(b["density"]), "mass": float(b["mass"]),
                        "restricted_dimensions": {k: {c: _plain(v) for c, v in row.items()}
                                                  for k, row in self.limits.iterrows()}},
                "candidates": [int(i) for i in self.candidates.index], "notes": self.notes}

    def text(self) -> str:
        """A few lines for the terminal."""
        b = self.box
        share = self.n_true / self.n_runs
        lines = [f"'{self.condition}' holds in {self.n_true} of {self.n_runs} runs ({share:.0%}).",
                 f"PRIM box {self.chosen} of boxes 0–{len(self.trajectory) - 1} on the peeling trajectory "
                 f"(largest coverage × density{f', density >= {self.min_density:g}' if self.min_density else ''}): "
                 f"coverage {b['coverage']:.2f}, "
                 f"density {b['density']:.2f}, mass {b['mass']:.2f}, "
                 f"{len(self.limits)} restricted dimension{'s' if len(self.limits) != 1 else ''}:"]
        for key, row in self.limits.iterrows():
            name = f"{self.labels[key]} ({key})" if key in self.labels else key
            lines.append(f"  {name}: {describe_limits(row)}  (quasi-p {_qp(row)})")
        if self.limits.empty:
            lines.append("  none: the condition holds across the whole sweep at this density")
        lines += [f"warning: {n}" for n in self.notes]
        lines.append("Candidate boxes (none beats another on both coverage and density; --box N reports one):")
        lines += [f"  box {i}: coverage {r.coverage:.2f}, density {r.density:.2f}, mass {r.mass:.2f}, "
                  f"{int(r.res_dim)} restricted" for i, r in self.candidates.iterrows()]
        return "\n".join(lines)


def describe_limits(row: pd.Series) -> str:
    """'>= 0.28 (range 0 to 1)', '<= 300', or 'from 0.2 to 0.6' for one restricted parameter."""
    low, high = row["min"] > row["full_min"], row["max"] < row["full_max"]
    rng = f"(sweep range {row['full_min']:g} to {row['full_max']:g})"
    if low and high:
        return f"from {row['min']:g} to {row['max']:g} {rng}"
    return f"{'>=' if low else '<='} {row['min'] if low else row['max']:g} {rng}"


def _qp(row) -> str:
    values = [v for v in (row["qp_lower"], row["qp_upper"]) if pd.notna(v)]
    return ", ".join(f"{v:.2g}" for v in values) or "n/a"


def _plain(v):
    return None if isinstance(v, float) and np.isnan(v) else (float(v) if isinstance(v, np.floating | float) else v)


# ------------------------------------------------------------------------------ the condition


def expand_phrase(where: str) -> str:
    """'convoy did not arrive' → 'convoys_arrived == 0'; other text is returned unchanged."""
    m = _PHRASE.match(where)
    if not m or m.group(3).lower() not in _OUTCOME_WORDS:
        return where
    negated = bool(m.group(1) or m.group(2))
    return f"convoys_{_OUTCOME_WORDS[m.group(3).lower()]} {'==' if negated else '>'} 0"


def evaluate(where: str, runs: pd.DataFrame) -> tuple[str, np.ndarray]:
    """The expanded condition and a bool per run. Raises UserError (naming --where) when the
    expression is not a condition over the table's columns."""
    condition = expand_phrase(where)
    names: dict[str, str] = {}
    text = re.sub(r"`([^`]+)`", lambda m: names.setdefault(m.group(1), f"__c{len(names)}") if m.group(1)
                  in runs.columns else m.group(0), condition)
    for col in sorted(runs.columns, key=len, reverse=True):
        if any(ch in col for ch in ".[]") and col in text:
            text = re.sub(rf"(?<![\w.\[\]]){re.escape(col)}(?![\w.\[\]])",
                          names.setdefault(col, f"__c{len(names)}"), text)
    columns = {alias: col for col, alias in names.items()}
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise UserError(f"--where: cannot read '{where}' as a condition (e.g. "
                        "'land_bridge_russia_open_share > 0.5' or 'convoy did not arrive')") from None

    def value(node):
        if isinstance(node, ast.BoolOp):
            parts = [np.asarray(value(v), dtype=bool) for v in node.values]
            return np.logical_and.reduce(parts) if isinstance(node.op, ast.And) else np.logical_or.reduce(parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return np.logical_not(np.asarray(value(node.operand), dtype=bool))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
            left, out = value(node.left), True
            for op, right in zip(node.ops, node.comparators, strict=True):
                right = value(right)
                out = out & np.asarray(_COMPARE[type(op)](left, right))
                left = right
            return out
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
            return _ARITH[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str | bool):
            return node.value
        if isinstance(node, ast.Name):
            col = columns.get(node.id, node.id)
            if col not in runs.columns:
                hint = did_you_mean(col, runs.columns) or f"; columns: {', '.join(map(str, runs.columns))}"
                raise UserError(f"--where: no column '{col}' in runs.parquet{hint}")
            return runs[col].to_numpy()
        raise UserError(f"--where: '{ast.unparse(node)}' is not allowed; use column names, numbers, "
                        "comparisons, and/or/not, + - * /")

    try:
        result = np.asarray(value(tree.body))
    except TypeError as e:
        raise UserError(f"--where: cannot evaluate '{where}': {e}") from None
    if result.dtype != bool or result.shape != (len(runs),):
        raise UserError(f"--where: '{where}' is not a condition; compare a column with a value, "
                        "e.g. 'share_russia > 0.2'")
    return condition, result


# ------------------------------------------------------------------------------ PRIM


def read_sweep(folder: Path) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    """(runs table, parameter columns, parameter labels from the folder's copy of the sweep
    file) of a finished sweep folder. Raises UserError."""
    folder = Path(folder)
    manifest = folder / "manifest.json"
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder; give the --out folder of `python run.py sweep`")
    if not manifest.is_file():
        raise UserError(f"{folder}: not a sweep folder (no manifest.json); give the --out folder of "
                        "`python run.py sweep`")
    try:
        info = json.loads(manifest.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UserError(f"{manifest}: not readable JSON ({e})") from None
    if not isinstance(info, dict):
        raise UserError(f"{manifest}: not a manifest (its JSON is {describe_found(info)}, not a mapping)")
    if info.get("kind", "sweep") != "sweep" or "parameters" not in info:
        raise UserError(f"{folder}: holds the output of {info.get('kind', 'another command')}, not a sweep")
    runs_file = folder / "runs.parquet"
    if not runs_file.is_file():
        raise UserError(f"{folder}: the sweep has no runs.parquet yet (status {info.get('status', '?')}); "
                        "finish it with `python run.py sweep FILE --resume --out` this folder")
    labels = {}
    try:
        declared = yaml.safe_load((folder / "sweep.yaml").read_text(encoding="utf-8"))["parameters"]
        labels = {k: v["label"] for k, v in declared.items() if isinstance(v, dict) and "label" in v}
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError):
        pass  # labels are a courtesy: the key paths name the parameters anyway
    return pd.read_parquet(runs_file), list(info["parameters"]), labels


def discover(folder: Path, where: str, *, min_density: float = 0.0, peel_alpha: float = 0.05,
             mass_min: float = 0.05, box: int | None = None) -> Discovery:
    """PRIM on a sweep folder for the runs where `where` holds (see the module docstring);
    `box` reports that box of the peeling trajectory instead of the best. Raises UserError for
    a bad folder, condition or box, or a condition that holds in no run or every run."""
    runs, params, labels = read_sweep(folder)
    found = discover_table(runs, params, where, min_density=min_density, peel_alpha=peel_alpha,
                           mass_min=mass_min, box=box)
    found.labels = labels
    return found


def discover_table(runs: pd.DataFrame, params: list[str], where: str, *, min_density: float = 0.0,
                   peel_alpha: float = 0.05, mass_min: float = 0.05, box: int | None = None) -> Discovery:
    """PRIM on a runs table whose columns `params` are the parameters (see `discover`)."""
    condition, y = evaluate(where, runs)
    if not y.any() or y.all():
        raise UserError(f"--where: '{condition}' holds in {'none' if not y.any() else 'all'} of the "
                        f"{len(y)} runs: there is no box to find")
    varied = [p for p in params if runs[p].nunique() > 1]
    if not varied:
        raise UserError("the sweep varies no parameter: there is no box to find")
    prim = _prim_module()
    x = runs[varied].astype(float).reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = prim.Prim(x, y, peel_alpha=peel_alpha, mass_min=mass_min).find_box()
    trajectory = found.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].reset_index(drop=True)
    dense = trajectory[trajectory["density"] >= min_density - 1e-12]
    score = dense["coverage"] * dense["density"]
    chosen = int(score.idxmax()) if len(dense) else int(trajectory["density"].idxmax())
    if box is not None:
        if not 0 <= box < len(trajectory):
            raise UserError(f"--box: expected a box of the peeling trajectory, 0 to {len(trajectory) - 1}, found {box}")
        chosen = box
    first, lims = found.box_lims[0], found.box_lims[chosen]
    qp = found.p_values[chosen] if chosen < len(found.p_values) else {}
    rows = {}
    for p in varied:
        if lims[p].iloc[0] != first[p].iloc[0] or lims[p].iloc[1] != first[p].iloc[1]:
            lower, upper = (list(qp.get(p, [np.nan, np.nan])) + [np.nan, np.nan])[:2]
            rows[p] = {"min": float(lims[p].iloc[0]), "max": float(lims[p].iloc[1]),
                       "full_min": float(first[p].iloc[0]), "full_max": float(first[p].iloc[1]),
                       "qp_lower": np.nan if lower in (-1, None) else float(lower),
                       "qp_upper": np.nan if upper in (-1, None) else float(upper)}
    limits = pd.DataFrame.from_dict(rows, orient="index",
                                    columns=["min", "max", "full_min", "full_max", "qp_lower", "qp_upper"])
    ranges = {p: (float(runs[p].min()), float(runs[p].max())) for p in varied}
    return Discovery(where=where, condition=condition, n_runs=len(y), n_true=int(y.sum()),
                     trajectory=trajectory, chosen=chosen, limits=limits, ranges=ranges,
                     min_density=min_density, notes=between_levels(limits, runs))


def between_levels(limits: pd.DataFrame, runs: pd.DataFrame, max_levels: int = 20) -> list[str]:
    """A note for each restricted limit that falls strictly between two design levels of a
    parameter with few levels (at most `max_levels`: a grid or a Morris design): no run tests
    the values between, so the box's edge could be anywhere there."""
    notes = []
    for p, row in limits.iterrows():
        levels = np.unique(runs[p].astype(float))
        if len(levels) > max_levels:
            continue
        for side, v in (("lower", row["min"]), ("upper", row["max"])):
            if side == "lower" and v <= row["full_min"] or side == "upper" and v >= row["full_max"]:
                continue
            if not np.isclose(levels, v, rtol=0, atol=1e-9 * max(1.0, abs(v))).any():
                below, above = levels[levels < v].max(), levels[levels > v].min()
                notes.append(f"{p}: the {side} limit {v:g} falls between the design levels {below:g} and "
                             f"{above:g}; no run tests the values between, so the edge could be anywhere there")
    return notes


def _prim_module():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "ipyparallel not installed"
            from ema_workbench.analysis import prim
    except ImportError:
        raise UserError("discover needs EMA Workbench: pip install 'corridor[discovery]' "
                        "(or pip install ema-workbench)") from None
    return prim
