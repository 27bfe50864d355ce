"""The regression baseline: a few shipped scenarios at fixed seeds, short and coarse, reduced
to their summaries and a hash of their step tables and narratives.

`tests/test_regression.py` compares a fresh run with `tests/baseline/regression.json`. A change
that is meant to change the model's behaviour refreshes the file deliberately:

    make baseline            # = .venv/bin/python tests/regression.py --update

and the diff of the JSON file goes into the commit that changed the behaviour. A change that
is meant to leave behaviour alone (a refactor) must leave the file unchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "tests" / "baseline" / "regression.json"
UPDATE_COMMAND = "make baseline"

# (scenario file, seed, overrides): short and coarse so the whole set runs in a few seconds
CASES: list[tuple[str, int, dict]] = [
    *[(name, 7, {"map.cell_km": 2.0, "time.step_hours": 2, "time.duration_days": 20})
      for name in ("baseline.yaml", "albu_kamal_blockade.yaml", "open_road.yaml",
                   "agreement_curtails_iran.yaml", "russian_co_optation.yaml",
                   "insurgent_resurgence.yaml", "airstrike_campaign.yaml")],
    ("albu_kamal_blockade.yaml", 20171119, {"time.duration_days": 3}),  # native 1 km, 1 h
]


def _round(value):
    """Floats to 10 significant digits, so the record is stable against printing noise."""
    if isinstance(value, float):
        return value if not math.isfinite(value) else float(f"{value:.10g}")
    if isinstance(value, dict):
        return {str(k): _round(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_round(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return _round(value.item())
    return value


def case_id(scenario: str, seed: int, overrides: dict) -> str:
    extra = ",".join(f"{k}={v}" for k, v in sorted(overrides.items()))
    return f"{scenario}@{seed}[{extra}]"


def record(scenario: str, seed: int, overrides: dict) -> dict:
    """Run one case and reduce it to what the baseline stores."""
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = load_scenario(ROOT / "scenarios" / scenario, overrides=dict(overrides))
    result = CorridorModel(loaded, seed).run()
    table = result.steps.to_csv(index=False, float_format="%.10g").encode()
    return {
        "summary": _round(result.summary),
        "steps_shape": list(result.steps.shape),
        "steps_sha256": hashlib.sha256(table).hexdigest(),
        "narrative_sha256": hashlib.sha256(result.log.to_jsonl().encode()).hexdigest(),
    }


def compute() -> dict:
    return {case_id(*case): record(*case) for case in CASES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help=f"rewrite {BASELINE.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    fresh = compute()
    if args.update:
        BASELINE.parent.mkdir(parents=True, exist_ok=True)
        BASELINE.write_text(json.dumps(fresh, indent=1, sort_keys=True) + "\n")
        print(f"wrote {BASELINE.relative_to(ROOT)} ({len(fresh)} cases)")
        return 0
    stored = json.loads(BASELINE.read_text())
    changed = [k for k in fresh if stored.get(k) != fresh[k]]
    print("\n".join(f"changed: {k}" for k in changed) or "baseline unchanged")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
