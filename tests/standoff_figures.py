"""Standoff figures over paired seeds: how the convoy's fate responds to its strength, the
reinforcement radius and the withdrawal ratio (issue 10, item 1). Prints shares with 95 %
Wilson intervals and paired differences with 95 % t intervals.

    .venv/bin/python tests/standoff_figures.py [--seeds 30]

Coarse settings (2 km cells, 1 h steps, 3 days: the convoy departs on day 1 and a standoff
lasts at most max_wait_hours = 24 h), seeds 1..N shared by every arm.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

COARSE = {"map.cell_km": 2.0, "time.step_hours": 1, "time.duration_days": 3}
CONVOY = "forces[7].strength"
RADIUS = "rules.checkpoint_blockade.reinforce_radius_km"
RATIO = "rules.checkpoint_blockade.withdraw_when_outnumbered"
GOT_THROUGH = ("arrived", "en route")


def runs(n: int, **overrides) -> list[dict]:
    from conftest import replicate_summaries

    return replicate_summaries("albu_kamal_blockade.yaml", n, tuple({**COARSE, **overrides}.items()))


def through(rs: list[dict]) -> np.ndarray:
    """1 where the convoy got past the checkpoint (arrived or still driving on), else 0."""
    return np.array([r["convoy_R1"] in GOT_THROUGH for r in rs], dtype=float)


def withdrew(rs: list[dict]) -> np.ndarray:
    return np.array([r["convoy_R1"] == "withdrew" for r in rs], dtype=float)


def wilson(k: float, n: int, z: float = 1.96) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(centre - half, 0.0), min(centre + half, 1.0)


def share(label: str, x: np.ndarray) -> str:
    lo, hi = wilson(x.sum(), len(x))
    return f"{label}: {x.mean():.0%} (95 % CI {lo:.0%}–{hi:.0%}, n = {len(x)})"


def paired(label: str, a: np.ndarray, b: np.ndarray) -> str:
    from scipy import stats

    d = b - a
    se = d.std(ddof=1) / math.sqrt(len(d)) if len(d) > 1 else 0.0
    t = stats.t.ppf(0.975, len(d) - 1)
    return f"{label}: {d.mean():+.0%} (95 % CI {d.mean() - t * se:+.0%} to {d.mean() + t * se:+.0%})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=30)
    n = ap.parse_args().seeds
    print(f"albu_kamal_blockade, {COARSE}, seeds 1..{n}")
    seed_event = runs(n)
    strong, weak = runs(n, **{CONVOY: 1000}), runs(n, **{CONVOY: 245})
    print(share("60-fighter convoy (default), withdrew", withdrew(seed_event)))
    print(share("1,000 fighters (≈2× the 490 that can reach), got through", through(strong)))
    print(share("245 fighters (½ of the 490), withdrew", withdrew(weak)))
    mid_15, mid_2 = runs(n, **{CONVOY: 250}), runs(n, **{CONVOY: 250, RADIUS: 2})
    print(share("250 fighters, radius 15 km, got through", through(mid_15)))
    print(share("250 fighters, radius 2 km, got through", through(mid_2)))
    print(paired("  paired difference (2 km − 15 km)", through(mid_15), through(mid_2)))
    r15, r30 = runs(n, **{CONVOY: 250, RADIUS: 2, RATIO: 1.5}), runs(n, **{CONVOY: 250, RADIUS: 2, RATIO: 3.0})
    print(share("250 fighters, radius 2 km, withdraw ratio 3, got through", through(r30)))
    print(paired("  paired difference (ratio 3 − ratio 1.5)", through(r15), through(r30)))
    s150, s400 = runs(n, **{CONVOY: 150, RADIUS: 2}), runs(n, **{CONVOY: 400, RADIUS: 2})
    print(share("150 fighters, radius 2 km, got through", through(s150)))
    print(share("400 fighters, radius 2 km, got through", through(s400)))
    print(paired("  paired difference (400 − 150 fighters)", through(s150), through(s400)))


if __name__ == "__main__":
    main()
