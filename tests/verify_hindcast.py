"""Record a finished hindcast's scores in docs/verification.md (issue 18).

Reads the folder `python run.py hindcast … --out FOLDER` wrote (scores.json, manifest.json,
patterns.csv) and prints its section of docs/verification.md; with `--write` it replaces that
section. Which section follows from the folder: a hindcast without `--posterior` is the
uncalibrated one (between `<!-- hindcast:begin -->` and `<!-- hindcast:end -->`), one under a
posterior the calibrated one (`<!-- hindcast-calibrated:begin -->` …), and with `--out-of-sample`
the out-of-sample check of a posterior on a window after its training window
(`<!-- hindcast-out-of-sample:begin -->` …):

    .venv/bin/python run.py hindcast corridor_2017_2019 --replicates 30 --window 2017-11-19:2018-12-31 \\
        --posterior docs/calibration/corridor_2017_2018 --set map.cell_km=3 --set time.step_hours=3 \\
        --set time.duration_days=468 --workers 2 --out outputs/hindcast/calibrated
    .venv/bin/python tests/verify_hindcast.py outputs/hindcast/calibrated --write

Each of the issue's targets is stated PASS or FAIL against the figures as they are:

1. the 90 % bands cover >= 80 % of month x region counts of IS - government and of IS - SDF events;
2. the model's most likely holder is the record's in >= 90 % of place-months;
3. the ISIS pocket stands until the offensive and Hajin falls between 1 Oct 2018 and 28 Feb 2019
   in most runs (more than half; the runs must reach 28 Feb 2019 for the second half);
4. Iran-backed militias and Russia hostile by the window's end in < 10 % of runs;
5. air strikes per month on the record's order: the runs' mean within a factor sqrt(10) of the
   record's (the same order of magnitude).

A figure from fewer than 30 runs is marked as such: the issue asks for >= 30. Beside targets 1 and 2
stand the null models from the record alone (docs/hindcast.md, *Null models*): the climatology's
coverage and persistence's holder agreement, with the model's share of the place-months whose
holder changed. A folder written before them is re-scored from its patterns.csv (`rescored`).
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from verify_common import write_doc  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sim.hindcast.regions import REGION_LABELS, SCORED_REGIONS  # noqa: E402
from sim.hindcast.report import scores  # noqa: E402

SECTIONS = {  # kind → (markers, heading if the markers are missing)
    "uncalibrated": (("<!-- hindcast:begin -->", "<!-- hindcast:end -->"), "The hindcast against the record (issue 18)"),
    "calibrated": (("<!-- hindcast-calibrated:begin -->", "<!-- hindcast-calibrated:end -->"),
                   "The calibrated hindcast against the record (issue 18)"),
    "out-of-sample": (("<!-- hindcast-out-of-sample:begin -->", "<!-- hindcast-out-of-sample:end -->"),
                      "Out of sample (issue 18)"),
}
FALL = ("2018-10-01", "2019-02-28")  # Hajin falls between Oct 2018 and Feb 2019 (the record: 14 Dec 2018)
HOSTILE = "hostile|iran_militia_russia"
ORDER = math.sqrt(10.0)  # "on the record's order": within a factor sqrt(10) each way
MIN_RUNS = 30


def _regions(s: dict) -> str:
    """The scored regions the record observes, in words (older scores.json: all SCORED_REGIONS)."""
    seen = s.get("regions_observed", list(SCORED_REGIONS))
    unseen = [REGION_LABELS[r] for r in SCORED_REGIONS if r not in seen]
    words = " and ".join(REGION_LABELS[r] for r in seen) or "no region"
    return words + (f" ({', '.join(unseen)} not observed: outside the countries the record covers)" if unseen else "")


def _share(score: dict) -> str:
    if score["share"] is None:
        return "nothing to compare"
    return f"{score['share']:.0%} of {score['of']}" + (f" ({score['both_zero']} zero on both sides)"
                                                     if score.get("both_zero") else "")


def _verdict(ok: bool | None) -> str:
    return "not measurable here" if ok is None else ("PASS" if ok else "FAIL")


def pocket_figures(s: dict, last_day: str) -> tuple[bool | None, str]:
    """Target 3 from scores.json's pocket (None: no pocket, or the runs end before 28 Feb 2019)."""
    if "pocket" not in s:
        return None, "the scenario has no offensive against a pocket."
    pk = s["pocket"]
    n = len(pk["fell"]) + pk["not_fallen"]
    inside = sum(FALL[0] <= d <= FALL[1] for d in pk["fell"])
    stood = pk["stood"] / pk["of"] if pk["of"] else 0.0
    lost = pk.get("median_lost_hold")
    text = (f"the pocket ({', '.join(pk['objectives'])}) held by ISIS on every day before the offensive "
            f"({pk['launch']}) in {pk['stood']} of {pk['of']} runs; the offensive took {pk['objectives'][0]} between "
            f"{FALL[0]} and {FALL[1]} in {inside} of {n} runs (within the run in {len(pk['fell'])}, median day "
            f"{pk['median_fall'] or 'not within the run'}; the record: 14 Dec 2018); the runs end on {last_day}."
            + (f" The recorded holder (the tenure: ISIS while its defenders stand) stopped being ISIS on {lost} in "
               "the median run" + (", much earlier, while its defenders still held out: the holder comparison counts "
                                   "those months as wrong." if lost < FALL[0] else ".") if lost else ""))
    if last_day < FALL[1]:
        return None, text + f" The runs end before {FALL[1]}: run to it (time.duration_days=468) to judge the fall."
    return stood > 0.5 and inside / n > 0.5, text


def rescored(saved: dict, table: pd.DataFrame) -> dict:
    """The scores of patterns.csv (`table`) as `sim.hindcast.report.scores` computes them, so that a
    folder written before the null models (issue 18) is scored against them without re-running
    the model: the scores are a function of patterns.csv alone. ValueError if a count or holder
    score the folder saved is not reproduced (the folder's patterns.csv is not its scores')."""
    new = scores(table)
    for key in (k for k in new if k in saved and (k.startswith("coverage_90") or k == "holder_agreement")):
        if new[key] != saved[key]:
            raise ValueError(f"patterns.csv gives {key} {new[key]}, scores.json {saved[key]}: not the same folder's")
    return new


def holder_nulls(s: dict) -> str:
    """The holders' agreement beside persistence's and the model's share on the changed place-months."""
    p, c = s["holder_persistence"], s["holder_changes"]
    if p["share"] is None:
        return ""
    model = s["holder_agreement"]["share"]
    than = "above" if model > p["share"] else ("the same as" if model == p["share"] else "below")
    got = "none of them" if c["share"] == 0 else ("nothing to compare" if c["share"] is None
                                                  else f"{round(c['share'] * c['of'])} of them ({c['share']:.0%})")
    return (f"The null, persistence (each place keeps its first compared holder all window), agrees in "
            f"{_share(p)}: the model is {than} it. The record's holders rarely change: {c['of']} of the "
            f"{p['of']} place-months {'differs' if c['of'] == 1 else 'differ'} from their place's first, and there, where persistence is wrong by "
            f"construction and only a mechanism can be right, the model's most likely holder is the record's in "
            f"{got}. The ≥ 90 % target cannot tell a model from a static one; the changes are the figure to watch.")


def _nonzero(score: dict) -> str:
    """", N of M without them" for a coverage score with counts zero on both sides, else ""."""
    if not score.get("both_zero") or score["share"] is None:
        return ""
    rest = score["of"] - score["both_zero"]
    return f", {round(score['share'] * score['of']) - score['both_zero']} of the other {rest}"


def count_nulls(s: dict) -> str:
    """The model's coverage beside the climatology null's, per dyad group."""
    names = {"government_russia-isis": "IS – government", "isis-sdf_coalition": "IS – SDF", "all": "all events"}
    parts = [f"{names[d]} model {_share(s[f'coverage_90|{d}'])}{_nonzero(s[f'coverage_90|{d}'])}, climatology "
             f"{_share(s[f'climatology_90|{d}'])}{_nonzero(s[f'climatology_90|{d}'])}"
             for d in ("government_russia-isis", "isis-sdf_coalition", "all")]
    return ("; ".join(parts) + ". The climatology draws each month × region count as a Poisson at its own "
            "series' mean over the window: it knows the window's totals, which the model does not, and knows "
            "nothing of when or why. A model band that covers no more than it adds no timing the totals do not "
            "give; zeros on both sides (a series with no event in the window) are covered by both.")


def section(folder: Path, out_of_sample: bool = False) -> tuple[str, str]:
    """(kind of section, its text) for the hindcast folder `folder`."""
    saved = json.loads((folder / "scores.json").read_text(encoding="utf-8"))
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    table = pd.read_csv(folder / "patterns.csv")
    s = {**rescored(saved, table), **saved}
    table = table.set_index("key")
    posterior = s.get("posterior")
    kind = "out-of-sample" if out_of_sample else ("calibrated" if posterior else "uncalibrated")
    command = " ".join(shlex.quote(a) for a in ["python", "run.py", *m["command"][1:]])
    runs = pd.read_parquet(folder / "series.parquet", columns=["date"]) if (folder / "series.parquet").exists() else None
    last_day = str(runs["date"].max()) if runs is not None and len(runs) else "?"
    months = table[table.index.str.match(r"events\|[^|]+\|all\|all$")]
    obs_total, sim_total = months["observed"].sum(), months["median"].sum()
    cov_is = [s[f"coverage_90|{d}"] for d in ("government_russia-isis", "isis-sdf_coalition")]
    mapped = [s[f"coverage_90_map_regions|{d}"] for d in ("government_russia-isis", "isis-sdf_coalition")]
    cov_ok = all(c["share"] is not None and c["share"] >= 0.8 for c in cov_is)
    holders = s["holder_agreement"]
    hold_ok = None if holders["share"] is None else holders["share"] >= 0.9
    strikes = table[table.index.str.startswith("strikes|")].dropna(subset=["observed", "mean"])
    obs_rate, sim_rate = strikes["observed"].mean(), strikes["mean"].mean()
    # no order to compare with when the record has no strike in the window
    strike_ok = (sim_rate > 0 and 1 / ORDER <= sim_rate / obs_rate <= ORDER) if len(strikes) and obs_rate > 0 else None
    few = s["replicates"] < MIN_RUNS
    if kind == "uncalibrated":
        what = "Not calibrated: the scenario as shipped. The targets are the issue's (for the calibrated hindcast)."
    else:
        what = (f"Each replicate's parameters ({', '.join(f'`{k}`' for k in posterior['keys'])}) drawn from the "
                f"posterior in `{Path(posterior['folder']).name}` (posterior.csv sha256 "
                f"{posterior['posterior_sha256'][:12]}…).")
        if kind == "out-of-sample":
            what += (" The window lies after the posterior's training window: nothing in it was used to "
                     "calibrate.")
    lines = [
        f"Scenario **{s['scenario']}**, window {s['window']}, {s['replicates']} replicates (root seed "
        f"{s['root_seed']}), code {m.get('code_version')}. Command:", "", "```", command,
        f"python tests/verify_hindcast.py {folder}" + (" --out-of-sample" if out_of_sample else "") + " --write",
        "```", "", what + (f" **Fewer than the {MIN_RUNS} runs the issue asks for.**" if few else ""), "",
        f"### 1. 90 % bands cover ≥ 80 % of month × region counts of IS – government and IS – SDF events — "
        f"{_verdict(cov_ok)}", "",
        f"IS – government {_share(cov_is[0])}; IS – SDF {_share(cov_is[1])}; all events {_share(s['coverage_90|all'])}, "
        f"over {_regions(s)}, at the record's precision (docs/hindcast.md, *The observation model*). "
        f"Over the map's regions it observes (the banks apart): IS – government "
        f"{_share(mapped[0])}; IS – SDF {_share(mapped[1])}; all events {_share(s['coverage_90_map_regions|all'])}. "
        f"Violent events in the window (air strikes apart): record {obs_total:.0f}, simulated monthly medians "
        f"summed {sim_total:.0f}.", "",
        f"### 2. The most likely holder matches the record in ≥ 90 % of place-months — {_verdict(hold_ok)}", "",
        f"{_share(holders)} place-months. {holder_nulls(s)}", "",
        "Against the null for the counts (docs/hindcast.md, *Null models*): " + count_nulls(s), "",
    ]
    if kind != "uncalibrated":
        ok, text = pocket_figures(s, last_day)
        lines += [f"### 3. The ISIS pocket stands until the offensive and Hajin falls between Oct 2018 and Feb 2019 "
                  f"in most runs — {_verdict(ok)}", "", text[0].upper() + text[1:], ""]
        h = s.get(HOSTILE)
        hostile_ok = None if h is None else h["share"] < 0.10
        lines += [f"### 4. Iran-backed militias and Russia hostile in < 10 % of runs through the window — "
                  f"{_verdict(hostile_ok)}", "",
                  "no such pair in the runs." if h is None else
                  f"{h['runs']} of {h['of']} runs ({h['share']:.0%}; Wilson 95 % {h['low']:.0%}–{h['high']:.0%}) "
                  f"hostile by {h['by']}.", ""]
    lines += [f"### {5 if kind != 'uncalibrated' else 3}. Air strikes per month on the record's order"
              + (f" (within a factor √10) — {_verdict(strike_ok)}" if kind != "uncalibrated" else ""), "",
              f"record {obs_rate:.2f} a month, runs' mean {sim_rate:.2f} (median {s['strikes_per_month']['simulated_median']:.2f}; "
              f"over {s['strikes_per_month']['months']} months): a process as rare as the record's one strike a year "
              "has a median month of 0 in the record and in the model alike, so the mean (the rate) is the figure to "
              "compare.", ""]
    if "deaths_per_event" in s:
        d = s["deaths_per_event"]
        lines += [f"### {6 if kind != 'uncalibrated' else 4}. Deaths per event", "",
                  f"record {d['observed']}, simulated median {d['simulated_median']}.", ""]
    return kind, "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, help="a finished `run.py hindcast` output folder")
    ap.add_argument("--out-of-sample", action="store_true",
                    help="the folder is a posterior's hindcast over a window after its training window")
    ap.add_argument("--write", action="store_true", help="rewrite the folder's section of docs/verification.md")
    args = ap.parse_args()
    kind, text = section(args.folder, args.out_of_sample)
    print(text)
    if args.write:
        (begin, end), heading = SECTIONS[kind]
        write_doc(text, begin, end, heading)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
