"""A parameter sweep from a sweep file: plan → runs (any engine, resumable) → tidy tables →
charts → report. The sweep is a plain function; the CLI only parses arguments and prints."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.experiments.design import DESIGNS
from sim.experiments.engine import (
    ExecutionReport,
    RunFolder,
    assemble,
    check_engine,
    default_workers,
    engine_and_folder,
    execute,
    warm_up,
)
from sim.experiments.sweep_folder import (
    check_not_dropping,
    replicates_to_run,
    resume_flag,
    unfinished_note,
)
from sim.experiments.sweepfile import SweepPlan, read_sweep
from sim.experiments.worker import RunTask
from sim.figures import many_runs as ch
from sim.figures.style import FactionStyle
from sim.program.disclaimer import DISCLAIMER
from sim.program.folders import OUTPUTS
from sim.program.output import new_run_folder, write_atomic, write_text_atomic
from sim.program.signals import say_stopped

MAX_CONVOY_BARS = 24
MAX_REPORT_POINTS = 40
MAX_REPORT_OUTCOMES = 6


@dataclass
class SweepResult:
    folder: Path
    plan: SweepPlan
    session: ExecutionReport
    counts: dict
    charts: list[tuple[str, str]] = field(default_factory=list)


def plan_tasks(plan: SweepPlan) -> list[RunTask]:
    """Every run, design point by design point (so each worker meets a point's replicates in a
    row and loads its scenario once); replicate r has the same seed at every point."""
    tasks = []
    for i in range(len(plan.points)):
        overrides = json.dumps(plan.overrides(i))
        for r, seed in enumerate(plan.seeds):
            tasks.append(RunTask(run_id=plan.run_id(i, r), point=i, replicate=r, seed=seed,
                                 scenario=str(plan.scenario), overrides=overrides, digest=plan.digests[i],
                                 final=plan.final, series=plan.series, every_hours=plan.every_hours))
    return tasks


def point_columns(plan: SweepPlan) -> Callable[[RunTask], dict]:
    """The columns that identify a sweep's run in its tables: run id, point, parameters, replicate, seed."""
    def columns_of(task: RunTask) -> dict:
        return {"run_id": task.run_id, "point": task.point, **plan.points[task.point],
                "replicate": task.replicate, "seed": task.seed}
    return columns_of


def run_sweep(path: str | Path, *, out: Path | None = None, workers: int | None = None, dask: str | None = None,
              resume: bool = False, force: bool = False, progress: bool = True, charts: bool = True,
              replicates: int | None = None, add_replicates: int | None = None, require: tuple[str, ...] = DESIGNS,
              log: Callable[[str], None] | None = None,
              analyse: Callable[[SweepResult], list[str]] | None = None, analysis: str | None = None) -> SweepResult:
    """Run (or finish) a sweep and write its tables, charts and report into `out`; `log`
    receives a line saying what will run, and where, before the runs start (and, when
    `add_replicates` extends a folder whose own sweep was not finished, a line saying how many of
    its unfinished runs run too). A resume keeps the replicates the folder holds (as extended,
    not the file's) unless `replicates` says more; `add_replicates` N resumes with N more (the
    next seeds): `sim.experiments.sweep_folder.replicates_to_run`, as `sweep --dry-run`. `analyse`
    (a sensitivity analysis) writes its own files into the folder once the tables are built,
    while the folder is still locked and before its manifest says complete; it returns the
    sections it adds to the report. `analysis` names it in the manifest: a folder that holds one
    is resumed or extended only with it (a plain sweep would leave it stale beside newer runs)."""
    flag = resume_flag(add_replicates)
    replicates, resume = replicates_to_run(path, out, replicates, add_replicates, resume, analysis)
    check_engine(workers, dask)
    workers = workers or default_workers()
    warm_up(workers, dask)
    plan = read_sweep(path, replicates=replicates, require=require)
    out = Path(out) if out is not None else new_run_folder(OUTPUTS / "sweeps", plan.name)
    tasks = plan_tasks(plan)
    folder = RunFolder(out, "sweep", plan.identity())
    with engine_and_folder(folder, tasks, workers=workers, dask=dask, resume=resume, force=force,
                           flag=flag) as (done, engine):
        before = (folder.manifest() or {}).get("replicates", 0) if resume else 0
        check_not_dropping(out, before, plan.replicates)  # again, under the lock
        folder.session["replicates"] = plan.replicates
        write_text_atomic(out / "sweep.yaml", plan.file.read_text(encoding="utf-8"))
        design = pd.DataFrame([{"point": i, **p, "scenario_sha256": d}
                               for i, (p, d) in enumerate(zip(plan.points, plan.digests, strict=True))])
        write_atomic(out / "design.csv", lambda tmp: design.to_csv(tmp, index=False))
        info = manifest_info(plan) | ({"analysis": analysis} if analysis else {})
        folder.write_manifest(info)
        if log is not None:
            log(f"{plan.name}: {len(plan.points)} design points × {plan.replicates} replicates = {plan.n_runs} runs"
                + (f" ({len(done)} already done)" if done else "") + f" → {out}")
            unfinished = sum(t.replicate < before and t.run_id not in done for t in tasks)
            if add_replicates and (note := unfinished_note(out, add_replicates, unfinished, before)):
                log(note)

        session = execute(tasks, folder, done, point_columns(plan), engine=engine, progress=progress,
                          desc=plan.name)
        try:
            counts = assemble(folder, [t.run_id for t in tasks], scenario_sha256=plan.digests,
                              labels={p.key: p.label for p in plan.parameters})
            result = SweepResult(folder=out, plan=plan, session=session, counts=counts)
            if charts:
                result.charts = sweep_charts(out, plan)
            write_report(result, extra=analyse(result) if analyse is not None else None)
        except KeyboardInterrupt as err:  # every run is saved: say so, as an interruption during the runs does
            say_stopped(err, folder.interrupted(session.ran, " while the tables, charts and report were written",
                                                f"the {plan.n_runs} runs are saved in {out}; --resume writes the rest"))
            raise
        folder.write_manifest(info, session, status="complete")
        return result


def manifest_info(plan: SweepPlan) -> dict:
    return {
        "sweep_file": str(plan.file.resolve()), "sweep_sha256": plan.sha256, "name": plan.name,
        "scenario": str(plan.scenario), "set": plan.sets,
        "parameters": [p.key for p in plan.parameters], "design": plan.design.__dict__,
        "points": len(plan.points), "replicates": plan.replicates, "runs": plan.n_runs,
        "root_seed": plan.seed, "replicate_seeds": plan.seeds,
        "seeds_note": "replicate r uses SeedSequence(root_seed).spawn(replicates)[r] at every design point",
        "outcomes": {"final": list(plan.final), "series": list(plan.series), "every_hours": plan.every_hours},
    }


def factions_of(folder: Path, run_id: str) -> FactionStyle:
    meta = json.loads((folder / "runs" / f"{run_id}.json").read_text(encoding="utf-8"))["factions"]
    return FactionStyle(meta["ids"], meta["labels"], meta["colors"])


def numeric_outcomes(runs: pd.DataFrame, names: list[str]) -> list[str]:
    return [c for c in names if pd.api.types.is_numeric_dtype(runs[c]) or pd.api.types.is_bool_dtype(runs[c])]


def point_labels(plan: SweepPlan, params: list[str] | None = None) -> dict[int, str]:
    keys = params or [p.key for p in plan.parameters]
    label = {p.key: p.label for p in plan.parameters}
    return {i: ", ".join(f"{label[k]} = {ch.fmt(pt[k])}" for k in keys) for i, pt in enumerate(plan.points)}


def sweep_charts(out: Path, plan: SweepPlan) -> list[tuple[str, str]]:
    """Draw every chart of a finished sweep; returns (file name, caption) pairs."""
    runs = pd.read_parquet(out / "runs.parquet")
    f = factions_of(out, runs["run_id"].iloc[0])
    id_columns = {"run_id", "point", "replicate", "seed", *(p.key for p in plan.parameters)}
    outcomes = [c for c in numeric_outcomes(runs, [c for c in runs.columns if c not in id_columns])
                if runs[c].nunique() > 1]  # an outcome the same in every run is listed in the report
    made: list[tuple[str, str]] = []
    first = plan.parameters[0]
    varied = [p for p in plan.parameters if runs[p.key].nunique() > 1] or [first]

    if len(plan.points) <= ch.MAX_BANDS:
        group, labels = runs.set_index("run_id")["point"], point_labels(plan)
        grouping = "design point"
    else:
        keys, table = ch.parameter_groups(runs[first.key], bins=4)
        group, labels = pd.Series(keys.to_numpy(), index=runs["run_id"]), dict(zip(table.index, table["label"], strict=True))
        labels = {k: f"{first.label} {v}" for k, v in labels.items()}
        grouping = f"groups of {first.label}"

    series_path = out / "series.parquet"
    if series_path.exists():
        series = pd.read_parquet(series_path)
        columns = [c for c in series.columns if c not in id_columns | {"step", "hours", "day"}
                   and (pd.api.types.is_numeric_dtype(series[c]) or pd.api.types.is_bool_dtype(series[c]))]
        run_group = group.reindex(series["run_id"]).reset_index(drop=True)
        for family, cols in ch.families(columns, f):
            stem = f"series_{ch.slug(family)}"
            name = ch.page_name(stem, 0)
            what = ch.describe(cols[0], f).split(": ")[-1] if len(cols) > 1 else ch.describe(cols[0], f)
            band = ("share of runs with a 95 % interval" if pd.api.types.is_bool_dtype(series[cols[0]])
                    else "median and 5–95 % of replicates")
            ch.band_chart(out / name, series, cols, run_group, labels,
                          f"{plan.name}: {what} over time — {band}, by {grouping}", f)
            made.append((name, f"{what} over time: {band}, by {grouping}"))

    for p in varied:
        for page, chunk in enumerate(ch.pages(outcomes)):
            if not chunk:
                continue
            name = ch.page_name(f"final_vs_{ch.slug(p.key)}", page)
            ch.final_vs_parameter(out / name, runs, p.key, p.label, chunk, f,
                                  f"{plan.name}: final outcomes against {p.label} (mean, 95 % CI)")
            made.append((name, f"final outcomes against {p.label}: mean over runs with 95 % confidence intervals"))

    if plan.design.kind == "grid" and len(varied) == 2:
        a, b = varied
        for page, chunk in enumerate(ch.pages(outcomes, 9)):
            if not chunk:
                continue
            name = ch.page_name(f"heatmap_{ch.slug(a.key)}_by_{ch.slug(b.key)}", page)
            ch.heatmap(out / name, runs, a.key, b.key, a.label, b.label, chunk, f,
                       f"{plan.name}: mean final outcomes over {a.label} × {b.label}")
            made.append((name, f"heatmap of mean final outcomes over {a.label} and {b.label}"))

    name = "land_bridge_open.png"
    if ch.land_bridge_chart(out / name, runs, [(p.key, p.label) for p in varied], f,
                            f"{plan.name}: land bridge open at the end (share of runs, 95 % CI)"):
        made.append((name, "share of runs with each faction's land bridge open at the end, with 95 % Wilson intervals"))

    if len(plan.points) <= MAX_CONVOY_BARS:
        cgroup, clabels, cx = runs["point"], point_labels(plan, [p.key for p in varied]), "design point"
    else:
        keys, table = ch.parameter_groups(runs[first.key])
        cgroup, clabels, cx = keys, dict(zip(table.index, table["label"], strict=True)), first.label
    name = "convoy_outcomes.png"
    if ch.convoy_chart(out / name, runs, cgroup, clabels, cx, f"{plan.name}: convoy outcomes"):
        made.append((name, f"share of convoys by outcome at the end, by {cx}"))
    return made


def write_report(result: SweepResult, extra: list[str] | None = None) -> Path:
    """report.md: what was run, the files, a table of means, the charts (and `extra` sections)."""
    plan, out = result.plan, result.folder
    runs = pd.read_parquet(out / "runs.parquet")
    id_columns = {"run_id", "point", "replicate", "seed", *(p.key for p in plan.parameters)}
    outcomes = [c for c in numeric_outcomes(runs, [c for c in runs.columns if c not in id_columns])
                if runs[c].nunique() > 1][:MAX_REPORT_OUTCOMES]
    s = result.session
    sets = ", ".join(f"`{k} = {v}`" for k, v in plan.sets.items()) or "none"
    lines = [
        f"# {plan.name}", "", plan.description.strip(), "", f"> {DISCLAIMER}", "",
        f"- Sweep file: `{plan.file}` (sha256 `{plan.sha256[:12]}…`)",
        f"- Base scenario: `{plan.scenario}`; fixed overrides: {sets}",
        "- Parameters: " + "; ".join(f"`{p.key}`" + (f" ({p.label})" if p.label != p.key else "") for p in plan.parameters),
        f"- Design: {plan.design.describe()} — {len(plan.points)} points × {plan.replicates} replicates = "
        f"{plan.n_runs} runs",
        f"- Seeds: root {plan.seed}; replicate r uses the r-th child of `SeedSequence({plan.seed})` at every "
        "design point (common random numbers)",
        f"- This session: {s.text()}",
        "", "## Files", "",
        f"- `runs.csv`, `runs.parquet` — one row per run ({result.counts['runs']} rows): run_id, point, the "
        "parameters (named by key path), replicate, seed, then the outcomes",
        (f"- `series.parquet` — one row per run × kept step ({result.counts['series_rows']} rows, every "
         f"{plan.every_hours:g} h and the last step)") if plan.series else "- no series kept",
        "- `design.csv` — the design points; `sweep.yaml` — the sweep file as run",
        "- `manifest.json` — provenance: sweep file and its sha256, seeds, code and package versions",
        "- `runs/` — one JSON file per finished run (what `--resume` counts)",
    ]
    constant = [c for c in numeric_outcomes(runs, [c for c in runs.columns if c not in id_columns])
                if runs[c].nunique() <= 1]
    if constant:
        lines += ["", "Outcomes with the same value in every run (not charted): "
                  + ", ".join(f"`{c}` = {runs[c].iloc[0]}" for c in constant)]
    if outcomes and len(plan.points) <= MAX_REPORT_POINTS:
        means = runs.groupby("point")[outcomes].mean(numeric_only=False)
        labels = point_labels(plan)
        lines += ["", "## Mean final outcomes by design point", "",
                  "| design point | " + " | ".join(outcomes) + " |", "|---|" + "---|" * len(outcomes)]
        for point, row in means.iterrows():
            lines.append(f"| {labels[point]} | " + " | ".join(f"{float(v):.3g}" for v in row) + " |")
    if result.charts:
        lines += ["", "## Charts", ""]
        for name, caption in result.charts:
            lines += [f"**{caption}** — `{name}`", "", f"![{caption}]({name})", ""]
    if extra:
        lines += [""] + extra
    return write_text_atomic(out / "report.md", "\n".join(lines).rstrip() + "\n")
