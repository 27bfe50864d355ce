"""The exactness guard of performance work: a hash of the whole record of a few seeded runs.

The regression baseline (tests/regression.py) keeps short, coarse runs at 10 significant
digits. A speed-up must change nothing at all, so this script hashes, bit for bit, everything
a longer run records: every column of the step table (its numpy bytes, dtype and name), every
kept map frame (the controller grid and the units' structured array), the event log (every
field, cells included), the violent-events table, the summary (floats by `repr`, which round
trips exactly) and the final influence field. One SHA-256 per part and per run, so a mismatch
says where the record first differs.

    python tests/fingerprint.py            # compare with tests/baseline/fingerprints.json (exit 1 on a change)
    python tests/fingerprint.py --update   # record the current code's hashes (only with a change of behaviour)
    python tests/fingerprint.py --only campaign-1km   # one run, by the start of its name

The runs (10–15 s of CPU in all): `corridor_campaign` for 120 days at 2 km / 2 h and 30
days at 1 km / 1 h, the hindcast `corridor_2017_2019` for 60 days at 3 km / 3 h (its two
offensives on the pocket launched at day 30, as `python run.py bench campaign --days 60` runs it),
`campaign_isis_resurgence` for 90 days at 2 km / 2 h, and `albu_kamal_blockade` for 10 days at
1 km / 1 h with seed 5. A change meant to alter behaviour refreshes the hashes together with the
regression baseline (`make baseline` does both), and says so in its commit; performance work
that finds them stale (a change of behaviour merged without them) records them afresh at the
commit it starts from, before its first change.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
STORED = ROOT / "tests" / "baseline" / "fingerprints.json"
LIBRARIES = "_libraries"  # the key of fingerprints.json that names the versions the hashes were recorded under

#: (name, scenario file, seed, overrides)
RUNS: list[tuple[str, str, int, dict]] = [
    ("campaign-2km-120d", "corridor_campaign.yaml", 1,
     {"map.cell_km": 2.0, "time.step_hours": 2.0, "time.duration_days": 120.0}),
    ("campaign-1km-30d", "corridor_campaign.yaml", 1,
     {"map.cell_km": 1.0, "time.step_hours": 1.0, "time.duration_days": 30.0}),
    ("hindcast-3km-60d", "corridor_2017_2019.yaml", 1,
     {"map.cell_km": 3.0, "time.step_hours": 3.0, "time.duration_days": 60.0, "rules.offensive.from_day": 30.0,
      "rules.offensive/roundup.from_day": 30.0}),
    ("isis-resurgence-2km-90d", "campaign_isis_resurgence.yaml", 1,
     {"map.cell_km": 2.0, "time.step_hours": 2.0, "time.duration_days": 90.0}),
    ("blockade-1km-10d-seed5", "albu_kamal_blockade.yaml", 5,
     {"map.cell_km": 1.0, "time.step_hours": 1.0, "time.duration_days": 10.0}),
]


def _sha(*chunks: bytes) -> str:
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk)
    return h.hexdigest()


def _array_bytes(name: str, values) -> bytes:
    """A column's exact bits: its name, dtype, shape and data (object columns by repr)."""
    a = np.asarray(values)
    data = repr(a.tolist()).encode() if a.dtype == object else np.ascontiguousarray(a).tobytes()
    return f"{name}|{a.dtype.str}|{a.shape}|".encode() + data


def fingerprint(result) -> dict[str, str]:
    """One hash per part of a `RunResult`'s record."""
    steps = result.steps
    frames = [_array_bytes("hours", np.float64(f["hours"])) + _array_bytes("controller", f["controller"])
              + _array_bytes("units", f["units"]) for f in result.frames]
    events = result.events
    return {
        "steps": _sha(repr(list(steps.columns)).encode(), *(_array_bytes(c, steps[c].to_numpy()) for c in steps)),
        "frames": _sha(str(len(frames)).encode(), *frames),
        "log": _sha(repr([vars(e) for e in result.log.entries]).encode()),
        "events": _sha(b"" if events is None else repr(list(events.columns)).encode(),
                       *([] if events is None else [_array_bytes(c, events[c].to_numpy()) for c in events])),
        "summary": _sha(repr(sorted(result.summary.items())).encode()),
        "influence": _sha(_array_bytes("influence", result.influence)),
        "towns": _sha(repr(result.towns).encode()),
    }


def libraries() -> dict[str, str]:
    """The versions of the numerical libraries whose floating point the hashes depend on: a newer
    numpy or scipy (a fresh machine installs the newest in pyproject.toml's ranges) may sum or
    filter in another order and change the last bits, with the regression baseline still passing."""
    import scipy

    return {"numpy": np.__version__, "scipy": scipy.__version__, "python": sys.version.split()[0]}


def run(name: str, scenario: str, seed: int, overrides: dict) -> tuple[dict[str, str], float]:
    """Fingerprint of one run and the CPU seconds it took."""
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = load_scenario(ROOT / "scenarios" / scenario, overrides=dict(overrides))
    started = time.process_time()
    result = CorridorModel(loaded, seed).run()
    return fingerprint(result), time.process_time() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help=f"rewrite {STORED.relative_to(ROOT)}")
    parser.add_argument("--only", metavar="PREFIX", help="only the runs whose name starts with PREFIX")
    args = parser.parse_args(argv)
    stored = json.loads(STORED.read_text()) if STORED.exists() else {}
    changed, recorded_under = [], stored.pop(LIBRARIES, None)
    for name, scenario, seed, overrides in RUNS:
        if args.only and not name.startswith(args.only):
            continue
        fresh, cpu = run(name, scenario, seed, overrides)
        diff = [part for part, h in fresh.items() if stored.get(name, {}).get(part) != h]
        print(f"{name:<26} {cpu:6.2f} s CPU  " + (f"CHANGED: {', '.join(diff)}" if diff else "identical"),
              flush=True)
        if diff:
            changed.append(name)
        stored[name] = fresh
    if changed and recorded_under not in (None, libraries()):
        print(f"note: the hashes were recorded under {recorded_under}, this run used {libraries()};"
              " if the regression baseline passes, record them afresh at the commit you start from"
              " (python tests/fingerprint.py --update) before changing anything")
    if args.update:
        stored[LIBRARIES] = libraries()
        STORED.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n")
        print(f"wrote {STORED.relative_to(ROOT)}")
        return 0
    return 1 if changed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
