"""The hindcast: seeded replicates of a scenario confronted with the record over a window of
dates, and the report folder that says how well they agree, whatever the score.

`run_hindcast` runs the replicates through the experiment engine (a process pool or Dask; each
finished run saved at once, ``--resume`` finishes an interrupted folder), computes the pattern
statistics of the record and of every replicate (`sim.hindcast.patterns`) and writes:

=========================  ===========================================================
``patterns.csv``           one row per pattern key: observed, simulated median, 5 % and
                           95 % quantiles over the replicates, mean, replicates with a value
``simulated_patterns.parquet``  every replicate's patterns (run × key)
``scores.json``            the figures below, with the window and the replicates
``report.md``              the scores in words, the charts, the sources
``events_<region>.png``    observed events per month against the simulated median and 90 % band
``strikes.png``            air strikes per month, the same way
``event_density.png``      where events happened: the record against the replicates' mean
``holders.png``            each place's holder on the first of each month: the record against
                           the model's most likely holder and its probability
``milestones.csv``         per replicate: whether the ISIS pocket stood until the
                           offensive, the day its first objective fell, rivals hostile by
                           the window's end (`sim.hindcast.milestones`)
``runs/``, ``runs.parquet``, ``series.parquet``, ``manifest.json``: the replicates (as ``uncertainty``)
=========================  ===========================================================

Scores (`scores`): the **coverage** of observed monthly counts by the simulated 90 % bands
(month × region keys of all events, of IS – government and of IS – SDF events; only months both
sides cover) over the regions at the record's precision (`SCORED_REGIONS`: the valley, the
Badia, the Iraqi side; ``coverage_90_map_regions`` over the map's four regions, for
comparison) that the record observes (``regions_observed``: a region outside the countries the
record covers has no observed count, `sim.hindcast.regions.Coverage`), and the **place-month agreement** of holders (the model's most likely holder, the
one with the highest share of replicates, equals the record's, over place-months the record
speaks about), each beside its null from the record alone (`sim.hindcast.nulls`: climatology for the counts,
persistence and the changed place-months for the holders); and the milestones (`sim.hindcast.milestones.summarise_milestones`). Any window
works, so a window the calibration never saw is an out-of-sample test.

With a posterior (a folder ``python run.py calibrate`` wrote), replicate r runs at the
parameters its seed draws from it (`sim.hindcast.posterior`): the bands then carry the
calibration's uncertainty as well as the runs' chance — the posterior-predictive check, in or
after the training window.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.hindcast.milestones import Pocket, run_milestones, summarise_milestones
from sim.hindcast.nulls import climatology_band, holder_baselines
from sim.hindcast.patterns import observed_patterns, run_view, simulated_patterns
from sim.hindcast.posterior import Posterior, posterior_overrides, unlike_calibration
from sim.hindcast.record import Record, Window, read_record
from sim.hindcast.regions import REGION_LABELS, REGIONS, SCORED_REGIONS
from sim.hindcast.window import last_simulated_day
from sim.program.disclaimer import DISCLAIMER

BAND = (0.05, 0.95)  # the 90 % band of the replicates
#: below it the band's 5 % quantile (linear interpolation at 0.05 × (n − 1)) falls between the lowest run
#: and the next, and the 95 % between the highest and the one before: the band is set by one or two runs
FEW_REPLICATES = 21


def few_replicates_note(replicates: int) -> str | None:
    """What the coverage scores of so few replicates are worth (None from FEW_REPLICATES on): the
    5–95 % quantiles of a handful of runs lie inside their range, so even a model whose runs
    are drawn as the record is would see most observations fall outside the band."""
    if replicates >= FEW_REPLICATES:
        return None
    return (f"with {replicates} replicates the 90 % band is the 5–95 % quantiles of {replicates} runs, narrower "
            f"than 90 % of the runs' outcomes: the coverage scores are low by construction (the figures in "
            f"docs/verification.md use 30)")
COVERAGE_DYADS = ("all", "government_russia-isis", "isis-sdf_coalition")


@dataclass
class HindcastResult:
    folder: Path
    scores: dict
    table: pd.DataFrame  # patterns.csv
    files: list[str] = field(default_factory=list)
    session: object = None
    milestones: pd.DataFrame = field(default_factory=pd.DataFrame)  # milestones.csv
    posterior: dict | None = None  # the calibration drawn from: folder, posterior_sha256, keys


def summarise(observed: dict[str, float], simulated: pd.DataFrame) -> pd.DataFrame:
    """One row per key: observed, median, q05, q95, mean and n (replicates with a value) of the
    simulated patterns (`simulated`: one row per replicate, one column per key)."""
    keys = list(observed)
    values = simulated.reindex(columns=keys).to_numpy(dtype=float)
    have = ~np.isnan(values)
    n = have.sum(axis=0)
    with warnings.catch_warnings():  # a key no replicate reached is all-NaN: its summary is NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        q = np.nanquantile(values, [0.5, *BAND], axis=0) if len(values) else np.full((3, len(keys)), np.nan)
        mean = np.nanmean(values, axis=0) if len(values) else np.full(len(keys), np.nan)
    return pd.DataFrame({"key": keys, "observed": [observed[k] for k in keys], "median": q[0], "q05": q[1],
                         "q95": q[2], "mean": mean, "n": n})


def _coverage(observed: pd.Series, q05, q95) -> dict:
    """{share, of, both_zero}: the share of `observed` counts inside [q05, q95] (both included),
    how many were compared, and how many of them are 0 with a band of zeros (covered only
    because nothing happened)."""
    inside = (observed >= q05) & (observed <= q95)
    zero = (observed == 0) & (q95 == 0)
    return {"share": float(inside.mean()) if len(observed) else None, "of": int(len(observed)),
            "both_zero": int(zero.sum())}


def scores(table: pd.DataFrame) -> dict:
    """Coverage of observed monthly counts by the 90 % bands (per dyad group of COVERAGE_DYADS,
    month × region keys) and the place-month agreement of holders (see the module docstring),
    each beside its null model from the record alone (`sim.hindcast.nulls`): ``climatology_90…``
    beside ``coverage_90…``, ``holder_persistence`` and ``holder_changes`` beside
    ``holder_agreement``. Each as {"share", "of"}; share is None where nothing could be compared."""
    t = table.set_index("key")
    parts = t.index.to_series().str.split("|", expand=True)
    out: dict = {}
    for key, regions in (("coverage_90", SCORED_REGIONS), ("coverage_90_map_regions", REGIONS)):
        for d in COVERAGE_DYADS:
            sel = (parts[0] == "events") & parts[2].isin(regions) & (parts[3] == d)
            rows = t[sel.to_numpy()].dropna(subset=["observed", "q05", "q95"])
            out[f"{key}|{d}"] = _coverage(rows["observed"], rows["q05"], rows["q95"])
            q05, q95 = climatology_band(rows["observed"], rows.index.str.split("|").str[2])
            out[f"{key.replace('coverage', 'climatology')}|{d}"] = _coverage(rows["observed"], q05, q95)
    holder = t[(parts[0] == "holder").to_numpy()]
    place_month = holder.index.str.rsplit("|", n=1).str[0]
    compared = []
    for pm, rows in holder.groupby(place_month):
        if rows["observed"].isna().any() or rows["mean"].isna().all():
            continue
        _, month, place = pm.split("|", 2)
        compared.append({"place": place, "month": month, "observed": rows["observed"].idxmax().rsplit("|", 1)[1],
                         "likely": rows["mean"].idxmax().rsplit("|", 1)[1]})
    compared = pd.DataFrame(compared, columns=["place", "month", "observed", "likely"])
    agree = int((compared["observed"] == compared["likely"]).sum())
    out["holder_agreement"] = {"share": agree / len(compared) if len(compared) else None, "of": len(compared)}
    out |= holder_baselines(compared)
    events = t[(parts[0] == "events").to_numpy()].dropna(subset=["observed"])
    out["regions_observed"] = [r for r in SCORED_REGIONS if (events.index.str.split("|").str[2] == r).any()]
    strikes = t[(parts[0] == "strikes").to_numpy()].dropna(subset=["observed", "median"])
    months = max(len(strikes), 1)
    out["strikes_per_month"] = {"observed": float(strikes["observed"].sum()) / months,
                                "simulated_median": float(strikes["median"].sum()) / months,
                                # the rate: a process as rare as one strike a year has a median month of 0
                                "simulated_mean": float(strikes["mean"].sum()) / months, "months": len(strikes)}
    deaths = t.loc["deaths_per_event|all"] if "deaths_per_event|all" in t.index else None
    if deaths is not None:
        out["deaths_per_event"] = {"observed": _num(deaths["observed"]), "simulated_median": _num(deaths["median"])}
    return out


def _num(v) -> float | None:
    return None if v is None or not np.isfinite(v) else round(float(v), 4)


def _simulated(folder: Path, run_ids: list[str], window: Window, mapping, pocket: Pocket | None,
               corridor_map) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every replicate's patterns, run × key; every replicate's milestones, one row per run)."""
    from sim.experiments.run_files import read_run
    from sim.hindcast.events import EVENT_COLUMNS

    rows, marks = [], []
    for rid in run_ids:
        record = read_run(folder / "runs" / f"{rid}.json")
        events = pd.DataFrame(record["events"]).reindex(columns=list(EVENT_COLUMNS))
        series = pd.DataFrame(record["series"])
        rows.append(pd.Series(simulated_patterns(run_view(events, series, corridor_map), window, mapping), name=rid))
        marks.append({"run_id": rid, **run_milestones(series, pocket, window, mapping, record.get("outcomes"))})
    return pd.DataFrame(rows), pd.DataFrame(marks)


def _simulated_events(folder: Path, run_ids: list[str], window: Window) -> pd.DataFrame:
    from sim.experiments.run_files import read_run

    parts = []
    for rid in run_ids:
        ev = pd.DataFrame(read_run(folder / "runs" / f"{rid}.json")["events"])
        if len(ev):
            parts.append(ev[(ev["date"] >= str(window.start)) & (ev["date"] <= str(window.end))].assign(run=rid))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["lon", "lat", "kind", "run"])


def run_hindcast(scenario: str | Path, *, window: Window, replicates: int = 30, record: Path | None = None,
                 mapping_file: Path | None = None, seed: int | None = None, sets: dict | None = None,
                 workers: int | None = None, dask: str | None = None, out: Path | None = None,
                 resume: bool = False, force: bool = False, progress: bool = True, charts: bool = True,
                 log: Callable[[str], None] | None = None, posterior: Posterior | None = None) -> HindcastResult:
    """Run `replicates` of `scenario` (replicate r with the seed it has in `compare`; with
    `posterior`, at the parameters its seed draws from it) and write the hindcast report against
    the record in `record` (default: the shipped scenarios/record/) over `window`. Raises
    UserError for a bad choice (fewer than 2 replicates, a window outside the run, a bad record
    folder, a `sets` key the posterior also draws) before anything is run."""
    from sim.experiments.design import replicate_seeds
    from sim.experiments.engine import (
        RunFolder,
        assemble,
        check_replicates_run,
        engine_and_folder,
        execute,
        warm_up,
    )
    from sim.experiments.sweepfile import design_identity
    from sim.experiments.worker import RunTask
    from sim.program.folders import OUTPUTS, SCENARIOS
    from sim.program.output import new_run_folder
    from sim.scenario import load_scenario

    workers = check_replicates_run(replicates, resume, out, workers, dask)
    path, sets = Path(scenario), dict(sets or {})
    loaded = load_scenario(path, sets)
    if note := window.within_run(loaded.spec.time.start_date, loaded.spec.time.duration_days):
        warnings.warn(note, UserWarning, stacklevel=2)
    compared = window.within(last_simulated_day(loaded.spec.time.start_date, loaded.spec.time.duration_days))
    record_folder = Path(record) if record is not None else SCENARIOS / "record"
    rec = read_record(record_folder, loaded.map, window, mapping_file)
    rec.mapping.check_names(loaded.spec.factions, {*rec.events["side_a"], *rec.events["side_b"], *rec.holders["holder"]})
    root = loaded.spec.seed if seed is None else seed
    seeds = replicate_seeds(root, replicates)
    warm_up(workers, dask)
    width = max(3, len(str(replicates - 1)))
    tasks = []
    for r, s in enumerate(seeds):
        overrides = posterior_overrides(posterior, sets, s)
        digest = loaded.digest if posterior is None else load_scenario(path, overrides).digest
        tasks.append(RunTask(run_id=f"r{r:0{width}d}", point=0, replicate=r, seed=s, scenario=str(path.resolve()),
                             overrides=json.dumps(overrides), digest=digest, final=("*",),
                             series=("holder_*", "hostile_*"), every_hours=24.0, keep_events=True))
    drawn = {"posterior_sha256": posterior.sha256} if posterior is not None else {}
    identity = design_identity([loaded.digest], seeds, {"scenario": str(path.resolve()), "hindcast": True, **drawn})
    out = Path(out) if out is not None else new_run_folder(OUTPUTS / "hindcast", path.stem)
    folder = RunFolder(out, "hindcast", identity)
    with engine_and_folder(folder, tasks, workers=workers, dask=dask, resume=resume, force=force) as (done, engine):
        info = {"scenario": str(path.resolve()), "scenario_sha256": loaded.digest, "set": sets, "window": str(window),
                "record": [str(f) for f in rec.files], "replicates": replicates, "root_seed": root,
                "replicate_seeds": seeds} | loaded.map.moved_places_entry()
        if posterior is not None:
            info["posterior"] = {"folder": str(posterior.folder.resolve()), "posterior_sha256": posterior.sha256,
                                 "keys": posterior.keys, "unlike_calibration": unlike_calibration(posterior, loaded.resolved)}
        folder.write_manifest(info)
        if log is not None:
            log(f"hindcast of {loaded.spec.name} against {record_folder} over {window}: {replicates} replicates → {out}")
            for line in (info.get("posterior") or {}).get("unlike_calibration", []):
                log(f"  note: not as the posterior was calibrated (give it with --set): {line}")
        def columns_of(t: RunTask) -> dict:
            drawn = json.loads(t.overrides) if posterior is not None else {}
            return {"run_id": t.run_id, "replicate": t.replicate, "seed": t.seed,
                    **{k: drawn[k] for k in (posterior.keys if posterior is not None else ())}}

        session = execute(tasks, folder, done, columns_of, engine=engine, progress=progress,
                          desc="replicates")
        assemble(folder, [t.run_id for t in tasks])
        run_ids = [t.run_id for t in tasks]
        observed = observed_patterns(rec, window)
        pocket = Pocket.of(loaded)
        simulated, marks = _simulated(out, run_ids, window, rec.mapping, pocket, loaded.map)
        table = summarise(observed, simulated)
        ended = {"runs_end": str(compared.end)} if compared != window else {}  # the runs end before the window
        result = HindcastResult(out, {**scores(table), **ended,
                                      **summarise_milestones(marks.to_dict("records"), pocket, compared)},
                                table, session=session, milestones=marks, posterior=info.get("posterior"))
        write_report(result, rec, loaded, window, replicates, root, _simulated_events(out, run_ids, window),
                     simulated, charts)
        folder.write_manifest(info, session, status="complete")
        return result


def write_report(result: HindcastResult, rec: Record, loaded, window: Window, replicates: int, root: int,
                 sim_events: pd.DataFrame, simulated: pd.DataFrame, charts: bool) -> None:
    """patterns.csv, simulated_patterns.parquet, scores.json, the charts and report.md."""
    from sim.program.output import write_atomic, write_json_atomic, write_text_atomic

    out = result.folder
    write_atomic(out / "patterns.csv", lambda tmp: result.table.to_csv(tmp, index=False, float_format="%.6g"))
    write_atomic(out / "simulated_patterns.parquet", lambda tmp: simulated.to_parquet(tmp))
    write_atomic(out / "milestones.csv", lambda tmp: result.milestones.to_csv(tmp, index=False))
    write_json_atomic(out / "scores.json", {"note": DISCLAIMER, "scenario": loaded.spec.name, "window": str(window),
                                            "replicates": replicates, "root_seed": root,
                                            "posterior": result.posterior, **result.scores})
    if charts:
        from sim.figures.hindcast import draw_event_density, draw_events_by_region, draw_holders

        result.files += draw_events_by_region(out, result.table, window, replicates)
        result.files.append(draw_event_density(out / "event_density.png", loaded.map, rec.events, sim_events,
                                               replicates, window).name)
        result.files.append(draw_holders(out / "holders.png", result.table, window, replicates).name)
    write_text_atomic(out / "report.md", report_text(result, rec, loaded, window, replicates, root))


def _share(score: dict) -> str:
    if score["share"] is None:
        return "nothing to compare"
    zero = f" ({score['both_zero']} of them zero in the record and in every band)" if score.get("both_zero") else ""
    return f"{score['share']:.0%} of {score['of']}{zero}"


def record_counts(events: pd.DataFrame) -> str:
    """The record's events as the patterns count them, air strikes apart: e.g. "631 violent
    events and 1 air strike" (`events`: EVENT_COLUMNS; a strike is `kind` ``strike``)."""
    strikes = int((events["kind"] == "strike").sum())
    violent = len(events) - strikes
    return f"{violent} violent event{'' if violent == 1 else 's'} and {strikes} air strike{'' if strikes == 1 else 's'}"


def report_text(result: HindcastResult, rec: Record, loaded, window: Window, replicates: int, root: int) -> str:
    s = result.scores
    months = result.table[result.table["key"].str.match(r"events\|[^|]+\|all\|all$")]
    uncovered = months[months["n"] == 0]["key"].str.split("|").str[1].tolist()
    lines = [
        f"# Hindcast: {loaded.spec.name} against the record, {window.start} to {window.end}", "",
        f"_{DISCLAIMER}_", "",
        f"{replicates} seeded replicates (root seed {root}) of `{Path(str(loaded.source)).name}`; "
        f"the record: {', '.join(f.name for f in rec.files)} ({record_counts(rec.events)} inside the map and the window"
        + (f"; its events cover {', '.join(rec.coverage.countries)} only: "
           f"{', '.join(REGION_LABELS[r] for r in sorted(rec.coverage.unseen()) if r in REGION_LABELS)} not observed"
           if rec.coverage.unseen() else "") + ").",
        "", *([f"Each replicate's parameters ({', '.join(f'`{k}`' for k in result.posterior['keys'])}) are drawn "
               f"from the posterior in `{result.posterior['folder']}` (posterior.csv sha256 "
               f"{result.posterior['posterior_sha256'][:12]}…)"
               + ("; **not as it was calibrated**: " + "; ".join(result.posterior["unlike_calibration"])
                  if result.posterior["unlike_calibration"] else "") + ".", ""] if result.posterior else []),
        "## Scores", "",
        "| figure | value |", "|---|---|",
        f"| observed monthly counts inside the simulated 90 % band, month × region "
        f"({', '.join(REGION_LABELS[r] for r in s['regions_observed'])}), "
        f"all events | {_share(s['coverage_90|all'])} |",
        f"| … IS – government events | {_share(s['coverage_90|government_russia-isis'])} |",
        f"| … IS – SDF events | {_share(s['coverage_90|isis-sdf_coalition'])} |",
        f"| the same over the map's regions (west-bank valley and east bank apart): all / IS – government / "
        f"IS – SDF | {_share(s['coverage_90_map_regions|all'])} / "
        f"{_share(s['coverage_90_map_regions|government_russia-isis'])} / "
        f"{_share(s['coverage_90_map_regions|isis-sdf_coalition'])} |",
        f"| null: climatology (each series a Poisson at its own window mean, which the model does not see), "
        f"the same counts: all / IS – government / IS – SDF | {_share(s['climatology_90|all'])} / "
        f"{_share(s['climatology_90|government_russia-isis'])} / {_share(s['climatology_90|isis-sdf_coalition'])} |",
        f"| place-months where the model's most likely holder is the record's | {_share(s['holder_agreement'])} |",
        f"| null: persistence (each place's first holder kept), the same place-months | "
        f"{_share(s['holder_persistence'])} |",
        f"| the place-months whose record holder differs from the place's first (persistence gets none): the "
        f"model's share | {_share(s['holder_changes'])} |",
        f"| air strikes per month: record / simulated median / simulated mean | "
        f"{s['strikes_per_month']['observed']:.2f} / {s['strikes_per_month']['simulated_median']:.2f} / "
        f"{s['strikes_per_month']['simulated_mean']:.2f} (over {s['strikes_per_month']['months']} months) |",
    ]
    if "deaths_per_event" in s:
        d = s["deaths_per_event"]
        days = (f" (the record's events from {window.start} to {window.end}, the runs' to {s['runs_end']})"
                if "runs_end" in s else "")
        lines.append(f"| deaths per event: record / simulated median{days} | {d['observed']} / {d['simulated_median']} |")
    if "pocket" in s:
        pk = s["pocket"]
        lines += [f"| runs in which ISIS held {', '.join(pk['objectives'])} on every day before the offensive "
                  f"({pk['launch']}) | {pk['stood']} of {pk['of']} |",
                  f"| runs in which the offensive took {pk['objectives'][0]} within the run; median day | "
                  f"{len(pk['fell'])} of {len(pk['fell']) + pk['not_fallen']}; {pk['median_fall'] or 'not within the run'} |",
                  f"| … the recorded holder (tenure) was no longer ISIS; median day | {len(pk['lost_hold'])}; "
                  f"{pk['median_lost_hold'] or 'not within the run'} |"]
    for key in (k for k in s if k.startswith("hostile|")):
        h = s[key]
        lines.append(f"| runs in which {key.split('|')[1]} turned hostile by {h['by']} | {h['runs']} of {h['of']} "
                     f"({h['share']:.0%}, Wilson 95 % {h['low']:.0%}–{h['high']:.0%}) |")
    tuned = ("The parameters drawn from the posterior were calibrated on the record (see the calibration's "
             "window: inside it this is the posterior-predictive check, after it an out-of-sample test); nothing "
             "else was tuned to these figures." if result.posterior else "These are what they are: the scenario "
             "was not tuned to them.")
    lines += ["", f"{tuned} A band that covers a count because it is wide says little; read the charts. The nulls "
              "come from the record alone (docs/hindcast.md, *Null models*): a score no better than its null "
              "says the record cannot tell this model from one without its mechanisms.", ""]
    if note := few_replicates_note(replicates):
        lines += [f"**Few replicates:** {note}.", ""]
    if uncovered:
        lines += [f"Months the runs do not reach to their end (left out of the scores): {', '.join(uncovered)}.", ""]
    if result.files:  # none with --no-charts
        lines += ["## Charts", "", *[f"- `{name}`" for name in result.files], ""]
    lines += ["## Tables", "",
              "- `patterns.csv`: per pattern key (`events|month|region|dyad`, `strikes|month`, "
              "`deaths_per_event|dyad`, `holder|month|place|faction`), observed, simulated median, 5 % and 95 % "
              "quantiles, mean (for a holder: the model's probability), replicates with a value",
              "- `simulated_patterns.parquet`: every replicate's patterns; `scores.json`: the scores",
              "- `milestones.csv`: per replicate, the pocket until the offensive, the day its first objective "
              "fell, rivals hostile by the window's end",
              "- `runs/`, `runs.parquet`, `series.parquet`: the replicates; `manifest.json`: how they were run",
              "", "## Sources", "",
              "UCDP GED: Sundberg and Melander (2013), Journal of Peace Research 50(4): 523–532; "
              "Högbladh (2019), UCDP GED Codebook 19.1. The holders of places: the sources in each row of the "
              "record's towns file. See the record folder's README.", ""]
    return "\n".join(lines)

