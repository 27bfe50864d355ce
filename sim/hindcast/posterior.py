"""Drawing a what-if's parameters from a calibration's posterior (``--posterior FOLDER``).

A posterior folder is what ``python run.py calibrate`` writes; this module reads its
``posterior.csv`` (one row per particle: the parameters by key path, ``weight``) and draws one
particle per run, by weight, from a stream derived from the run's seed alone
(``SeedSequence(seed, spawn_key=(crc32("posterior:draw"),))``), so that

* the same seed draws the same parameters, on any engine and any number of workers;
* replicate r draws the same parameters in every arm of a comparison (its seed is the same),
  so paired differences carry the calibration's uncertainty without mixing it into the pairing;
* the draw takes nothing from the model's own streams (`sim.streams`).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.program.errors import UserError

DRAW_STREAM = zlib.crc32(b"posterior:draw")
POSTERIOR_FILE = "posterior.csv"


@dataclass(frozen=True)
class Posterior:
    """The weighted particles of a calibration: `table` (one row per particle, a column per key
    path), `weights` (sum to 1), `folder`, the sha256 of its posterior.csv and the fixed overrides
    it was calibrated under (`calibrated_with`: its manifest's `set` without the duration, {} if
    the folder has no manifest)."""

    folder: Path
    table: pd.DataFrame
    weights: np.ndarray
    sha256: str
    calibrated_with: dict = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        return list(self.table.columns)

    def draw(self, seed: int) -> dict:
        """{key path: value} of the particle the run with `seed` uses."""
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(DRAW_STREAM,)))
        i = int(rng.choice(len(self.table), p=self.weights))
        return {k: _plain(self.table[k].iloc[i]) for k in self.keys}  # by column: whole numbers stay whole


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def read_posterior(folder: str | Path) -> Posterior:
    """The posterior in a calibration folder; UserError naming the flag if it is not one."""
    folder = Path(folder)
    path = folder / POSTERIOR_FILE
    if not path.is_file():
        raise UserError(f"--posterior {folder}: no {POSTERIOR_FILE} there; give the folder "
                        "`python run.py calibrate` wrote")
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as err:
        raise UserError(f"--posterior {folder}: cannot read {POSTERIOR_FILE} ({err})") from None
    if "weight" not in table.columns or len(table) == 0:
        raise UserError(f"--posterior {folder}: {POSTERIOR_FILE} has no particles with a 'weight' column")
    weights = table["weight"].to_numpy(float)
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise UserError(f"--posterior {folder}: {POSTERIOR_FILE}: expected weights >= 0 with a positive sum")
    params = table.drop(columns=[c for c in ("particle", "weight") if c in table.columns])
    try:
        fixed = json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("set") or {}
    except (OSError, ValueError):
        fixed = {}
    fixed = {k: v for k, v in fixed.items() if k != "time.duration_days"}
    return Posterior(folder, params, weights / weights.sum(), hashlib.sha256(path.read_bytes()).hexdigest(), fixed)


def unlike_calibration(posterior: Posterior, resolved: dict) -> list[str]:
    """The calibration's fixed overrides that a run's resolved scenario does not share, as
    "key: calibrated v, here w" (e.g. another cell size: the posterior is conditional on them)."""
    from sim.scenario import PathError, get_by_path, parse_path

    out = []
    for key, value in posterior.calibrated_with.items():
        try:
            here = get_by_path(resolved, parse_path(key))
        except PathError:
            here = None
        if here != value:
            out.append(f"{key}: calibrated {value}, here {here}")
    return out


def posterior_overrides(posterior: Posterior | None, sets: dict, seed: int) -> dict:
    """`sets` plus the parameters the run with `seed` draws from `posterior` (just `sets` when
    there is none). UserError if `sets` fixes a key the posterior draws."""
    if posterior is None:
        return dict(sets)
    both = sorted(set(sets) & set(posterior.keys))
    if both:
        raise UserError(f"--set {both[0]}: is also drawn from --posterior {posterior.folder}; "
                        "give it in one place")
    return {**sets, **posterior.draw(seed)}
