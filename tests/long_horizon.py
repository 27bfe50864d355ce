"""Long-horizon check (too slow for the suite): over 365 days every faction's strength stays
within 0.25× to 4× its start in every shipped scenario (scenarios/*.yaml), at 2 km cells and
12 h steps, seeds 1–3. Also prints the first defection day in russian_co_optation over its
180 days (seeds 1–10). Run: python tests/long_horizon.py; exits 1 if a bound is broken."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.model import CorridorModel  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

COARSE = {"map.cell_km": 2.0, "time.step_hours": 12.0}


def main() -> int:
    warnings.simplefilter("ignore", UserWarning)
    ok = True
    print(f"{'scenario':28s} {'faction':14s} {'start':>7s} {'min×':>6s} {'max×':>6s} {'end×':>6s}")
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        loaded = load_scenario(path, overrides={**COARSE, "time.duration_days": 365})
        lo, hi, end, start = {}, {}, {}, {}
        for seed in (1, 2, 3):
            steps = CorridorModel(loaded, seed).run().steps
            for col in [c for c in steps.columns if c.startswith("strength_")]:
                s = steps[col].to_numpy()
                f = col.removeprefix("strength_")
                start[f] = s[0]
                lo[f] = min(lo.get(f, np.inf), s.min() / s[0])
                hi[f] = max(hi.get(f, 0.0), s.max() / s[0])
                end.setdefault(f, []).append(s[-1] / s[0])
        for f in start:
            bad = lo[f] < 0.25 or hi[f] > 4.0
            ok &= not bad
            print(f"{path.stem:28s} {f:14s} {start[f]:7.0f} {lo[f]:6.2f} {hi[f]:6.2f} "
                  f"{np.mean(end[f]):6.2f}{'  OUT OF BOUNDS' if bad else ''}")
    loaded = load_scenario(ROOT / "scenarios" / "russian_co_optation.yaml", overrides=COARSE)
    firsts = []
    for seed in range(1, 11):
        model = CorridorModel(loaded, seed)
        model.run()
        days = [e.hours / 24 for e in model.log.entries if e.kind == "defection"]
        firsts.append(days[0] if days else np.inf)
    print("russian_co_optation first defection (days, seeds 1-10):", [round(d, 1) for d in firsts],
          "median", float(np.median(firsts)))
    ok &= float(np.median(firsts)) >= 30
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
