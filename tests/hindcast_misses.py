"""Where a finished hindcast disagrees with the record: the place-months whose most likely holder
is not the record's, and the month x region counts outside the 90 % bands (issue 18).

Reads the `patterns.csv` of a folder `python run.py hindcast … --out FOLDER` wrote and prints two
tables, the diagnosis behind the scores of `tests/verify_hindcast.py`:

    .venv/bin/python tests/hindcast_misses.py outputs/hindcast/calibrated
    .venv/bin/python tests/hindcast_misses.py outputs/hindcast/calibrated --dyad isis-sdf_coalition

1. holders: per place, the months where the model's most likely holder (the highest mean share of
   replicates, as `sim.hindcast.report.scores` picks it) is not the record's, with the model's
   share for the record's holder and its most likely holder;
2. events: per month and region (the scored regions: the valley, the Badia, the Iraqi side, each
   where the record observes it: UCDP's Syria file leaves the Iraqi side out; `--map-regions` for
   the map's four), the observed count of the dyad's events against the
   simulated median and 90 % band, for the counts outside the band;
3. with `--dispersion`, per dyad and scored region: how bursty the monthly counts are, the
   record's against each replicate's (`simulated_patterns.parquet`): the index of dispersion
   (variance ÷ mean over the window's whole months; 1 for a Poisson process, more for bursts and
   lulls) and the months with no event. A record far burstier than every run misses bands at
   both ends (its lulls below them, its bursts above) whatever the mean:

    .venv/bin/python tests/hindcast_misses.py outputs/hindcast/calibrated --dispersion
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.hindcast.patterns import DYADS  # noqa: E402
from sim.hindcast.regions import REGIONS, SCORED_REGIONS  # noqa: E402
from sim.program.flags import path_flag  # noqa: E402


def holder_misses(table: pd.DataFrame) -> pd.DataFrame:
    """One row per place-month (record known, model ran) whose most likely holder is not the
    record's: place, month, record, model (most likely), p_record, p_model (mean shares)."""
    holders = table[table["key"].str.startswith("holder|")].copy()
    parts = holders["key"].str.split("|", expand=True)
    holders["month"], holders["place"], holders["faction"] = parts[1], parts[2], parts[3]
    rows = []
    for (place, month), g in holders.groupby(["place", "month"], sort=True):
        if g["observed"].isna().any() or g["mean"].isna().all():
            continue
        record = g.loc[g["observed"].idxmax()]
        model = g.loc[g["mean"].idxmax()]
        if record["faction"] != model["faction"]:
            rows.append({"place": place, "month": month, "record": record["faction"], "model": model["faction"],
                         "p_record": round(float(record["mean"]), 2), "p_model": round(float(model["mean"]), 2)})
    return pd.DataFrame(rows, columns=["place", "month", "record", "model", "p_record", "p_model"])


def event_misses(table: pd.DataFrame, dyad: str, regions=REGIONS) -> pd.DataFrame:
    """The month x region counts of `dyad`'s events outside the simulated 90 % band: month,
    region, observed, median, q05, q95."""
    t = table[table["key"].str.startswith("events|")].copy()
    parts = t["key"].str.split("|", expand=True)
    t["month"], t["region"], t["dyad"] = parts[1], parts[2], parts[3]
    t = t[(t["dyad"] == dyad) & t["region"].isin(regions)].dropna(subset=["observed", "q05", "q95"])
    out = t[(t["observed"] < t["q05"]) | (t["observed"] > t["q95"])]
    return out[["month", "region", "observed", "median", "q05", "q95"]].reset_index(drop=True)


def dispersion(table: pd.DataFrame, runs: pd.DataFrame, dyad: str, region: str) -> dict | None:
    """The burstiness of `dyad`'s monthly counts in `region` over the months the record observes
    and every run covers: `months`, the record's `observed` counts, its index of dispersion
    `record` (sample variance ÷ mean), the runs' indices (`runs`: one per replicate, NaN for a run
    with no event) and zero months (`record_zeros`, `run_zeros` per replicate). None with fewer
    than 3 such months or no record event."""
    t = table[table["key"].str.match(rf"events\|\d{{4}}-\d{{2}}\|{region}\|{dyad}$")].dropna(subset=["observed"])
    keys = [k for k in t["key"] if k in runs.columns and runs[k].notna().all()]
    observed = t.set_index("key").loc[keys, "observed"].to_numpy(float)
    if len(keys) < 3 or observed.mean() == 0:
        return None
    sim = runs[keys].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_run = sim.var(axis=1, ddof=1) / sim.mean(axis=1)
    return {"months": [k.split("|")[1] for k in keys], "observed": observed,
            "record": float(observed.var(ddof=1) / observed.mean()), "runs": per_run,
            "record_zeros": int((observed == 0).sum()), "run_zeros": (sim == 0).sum(axis=1)}


def print_dispersion(table: pd.DataFrame, runs: pd.DataFrame, dyads, regions) -> None:
    print("# dispersion of the monthly counts (variance / mean; 1 for a Poisson process)\n")
    for d in dyads:
        for region in regions:
            r = dispersion(table, runs, d, region)
            if r is None:
                continue
            q = np.nanquantile(r["runs"], [0.05, 0.5, 0.95])
            z = np.quantile(r["run_zeros"], [0.05, 0.5, 0.95])
            print(f"{d} {region} {r['months'][0]}..{r['months'][-1]}: record {r['observed'].astype(int).tolist()} "
                  f"(mean {r['observed'].mean():.1f}), dispersion {r['record']:.1f}, runs median {q[1]:.1f} "
                  f"[90 %: {q[0]:.1f}, {q[2]:.1f}] (mean count {np.nanmean(runs[[f'events|{m}|{region}|{d}' for m in r['months']]].to_numpy()):.1f}), "
                  f"the record's above {np.mean(r['record'] > r['runs']):.0%} of runs; months with no event: record "
                  f"{r['record_zeros']}, runs median {z[1]:.0f} [{z[0]:.0f}, {z[2]:.0f}]")
    print()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    ap.add_argument("folder", type=path_flag, help="a hindcast's output folder (`python run.py hindcast … --out`)")
    ap.add_argument("--dyad", action="append", choices=DYADS, metavar="DYAD",
                    help=f"a dyad of the event table, repeatable: {', '.join(DYADS)} "
                         "(default: government_russia-isis and isis-sdf_coalition)")
    ap.add_argument("--dispersion", action="store_true",
                    help="also the burstiness of the monthly counts, the record's against the runs' "
                         "(needs the folder's simulated_patterns.parquet)")
    ap.add_argument("--map-regions", action="store_true",
                    help="the map's four regions (the banks apart) instead of the scored ones (the valley)")
    args = ap.parse_args(argv)
    if not args.folder.is_dir():
        print(f"{args.folder}: not a folder (a hindcast's output folder: `python run.py hindcast … --out`)",
              file=sys.stderr)
        return 2
    path = args.folder / "patterns.csv"
    if not path.exists():
        print(f"{path}: not found (a folder `python run.py hindcast … --out` wrote)", file=sys.stderr)
        return 2
    try:
        table = pd.read_csv(path)
        if not {"key", "observed", "median", "q05", "q95"} <= set(table.columns):
            raise ValueError("expected the columns key, observed, median, q05, q95")
    except (OSError, ValueError) as err:  # pandas' EmptyDataError and ParserError are ValueErrors
        print(f"{path}: not a hindcast's patterns table ({str(err).splitlines()[0]})", file=sys.stderr)
        return 2
    misses = holder_misses(table)
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        print(f"# holders: {len(misses)} place-months whose most likely holder is not the record's\n")
        print(misses.groupby("place").size().sort_values(ascending=False).to_string(), "\n")
        print(misses.to_string(index=False), "\n")
        for d in args.dyad or ["government_russia-isis", "isis-sdf_coalition"]:
            ev = event_misses(table, d, REGIONS if args.map_regions else SCORED_REGIONS)
            print(f"# {d}: {len(ev)} month x region counts outside the 90 % band\n")
            print(ev.groupby("region").size().to_string(), "\n")
            print(ev.to_string(index=False), "\n")
        if args.dispersion:
            runs_path = args.folder / "simulated_patterns.parquet"
            if not runs_path.exists():
                print(f"{runs_path}: not found (--dispersion needs the hindcast's replicates)", file=sys.stderr)
                return 2
            print_dispersion(table, pd.read_parquet(runs_path), args.dyad or ["government_russia-isis", "isis-sdf_coalition"],
                             REGIONS if args.map_regions else SCORED_REGIONS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
