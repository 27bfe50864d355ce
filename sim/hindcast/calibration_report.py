"""What a calibration writes into its folder: the posterior sample, the generations, the
posterior-predictive table, the charts and ``report.md`` (every file atomically).

Files: ``posterior.csv`` (one row per particle of the last generation: ``particle``, each
parameter's key path as it was run, ``weight``; weights sum to 1), ``intervals.csv`` (per
parameter: weighted mean, 5 %, 50 %, 95 %), ``generations.csv`` (generation, tolerance
``epsilon``, simulations, acceptance rate), ``observed.json`` (the statistics matched),
``predictive.csv`` (per statistic: observed, median, q05, q95 of the posterior-predictive runs,
``covered``), ``marginals.png``, ``pairs.png``, ``predictive.png``, ``report.md``; with
``abc.db`` (pyabc's SQLite history, for ``--resume``) and ``manifest.json`` (provenance).
"""

from __future__ import annotations

import re

from sim.figures import posterior as charts_of
from sim.program.disclaimer import DISCLAIMER
from sim.program.output import write_atomic, write_json_atomic, write_text_atomic


def write_outputs(result, *, charts: bool = True) -> None:
    """Write a `sim.hindcast.calibrate.Calibration` into its folder."""
    out, plan = result.folder, result.plan
    for name, table in (("posterior", result.posterior), ("intervals", result.intervals),
                        ("generations", result.generations), ("predictive", result.predictive)):
        write_atomic(out / f"{name}.csv", lambda tmp, table=table: table.to_csv(tmp, index=False))
    write_json_atomic(out / "observed.json", result.observed)
    if charts:
        charts_of.marginals_chart(out / "marginals.png", result.posterior, plan.priors, result.intervals,
                                  f"{plan.name}: posterior marginals against the priors")
        if len(plan.priors) > 1:
            charts_of.pair_plot(out / "pairs.png", result.posterior, plan.priors,
                                f"{plan.name}: posterior particles, pair by pair (size: weight)")
        charts_of.predictive_chart(out / "predictive.png", result.predictive, plan.spec.predictive.replicates,
                                   f"{plan.name}: observed statistics against the posterior predictive")
    write_text_atomic(out / "report.md", report_text(result, charts))


def report_text(result, charts: bool) -> str:
    plan, spec = result.plan, result.plan.spec
    g = result.generations
    covered = result.predictive["covered"]
    target = ("the record" if spec.target == "record" else
              f"the model's own output at {spec.target.parameters} (seed {spec.target.seed})")
    lines = [f"# Calibration: {plan.name}", "", f"> {DISCLAIMER}", "",
             f"- Calibration file: `{plan.display}` (sha256 {plan.sha256[:12]}…); scenario `{plan.scenario.name}`",
             f"- Training window {spec.window.start} to {spec.window.end}; {len(result.observed)} statistics "
             f"({spec.statistics}, `use: {spec.use}`) compared with {target}",
             f"- Distance: {spec.distance.kind}" + (f", weights {spec.distance.weights}" if spec.distance.weights else ""),
             f"- ABC-SMC (pyabc), {len(g)} generations of {spec.population} particles (0 is the prior), "
             f"{int(g['simulations'].sum())} simulations, seed {spec.seed}; this session {result.seconds:.0f} s wall, "
             f"{result.cpu_seconds:.0f} s CPU on {result.engine}", "",
             "## Generations", "", "| generation | tolerance ε | simulations | acceptance |", "|---|---|---|---|",
             *[f"| {r.generation} | {r.epsilon:.4g} | {r.simulations} | {r.acceptance:.2f} |" for r in g.itertuples()],
             "", "## Posterior (weighted particles of the last generation)", "",
             "| parameter | prior | mean | 5 % | median | 95 % |", "|---|---|---|---|---|---|"]
    for p, (_, q) in zip(plan.priors, result.intervals.iterrows(), strict=True):
        lines.append(f"| `{p.key}` | {p.kind} [{p.a:g}, {p.b:g}] | {q['mean']:.4g} | {q['q05']:.4g} | "
                     f"{q['median']:.4g} | {q['q95']:.4g} |")
    lines += ["", "Prior sources:", "", *[f"- `{p.key}`: {p.source}" for p in plan.priors], "",
              "## Posterior-predictive check", "",
              f"{spec.predictive.replicates} runs, each at a posterior draw (by weight) with its own seed: the "
              f"observed value lies inside the runs' 90 % interval for **{int(covered.sum())} of {len(covered)}** "
              f"statistics ({covered.mean():.0%}). `predictive.csv` has every one.", ""]
    if charts:
        lines += ["## Charts", "", "![marginals](marginals.png)", ""]
        lines += ["![pairs](pairs.png)", ""] if len(plan.priors) > 1 else []
        lines += ["![predictive](predictive.png)", ""]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip() + "\n"
