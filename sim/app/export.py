"""Export of the app's runs so far for slides: the map and charts as PNG (as for slides and
as the app shows them), the run so far as an animated GIF, and the narrative with the settings
and the teacher's interventions. `python run.py export` and the app's Export button use it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sim.app.state import LiveRun, Progress
from sim.program.disclaimer import DISCLAIMER
from sim.program.folders import OUTPUTS


def result_so_far(run: LiveRun):
    """A RunResult of the run up to now; its last frame is the current state."""
    model = run.model
    result = model.recorder.result()
    frames = list(result.frames)
    if not frames or frames[-1]["hours"] != model.hours:
        frames.append(model.recorder.snapshot())
    return dataclasses.replace(result, frames=frames)

def export_run(run: LiveRun, folder: Path, progress: Progress | None = None) -> list[Path]:
    """Write into `folder` (which the caller creates fresh): the map and the charts as PNG
    for slides, the same two as the app shows them (with the convoys' states), the run so
    far as an animated GIF, and the narrative as text. `progress(share done, what)` is
    told before each file."""
    from sim.figures.live import LiveCharts, LiveMap
    from sim.figures.one_run import draw_control_chart, draw_control_map, write_animation
    from sim.program.output import write_atomic, write_text_atomic

    tell = progress or (lambda share, what: None)
    result = result_so_far(run)
    folder.mkdir(parents=True, exist_ok=True)
    tell(0.0, "map.png")
    written = [draw_control_map(result, result.frames[-1], folder / "map.png")]
    tell(0.15, "charts.png")
    written.append(draw_control_chart(result, folder / "charts.png"))
    tell(0.3, "screen_map.png, screen_charts.png")
    screen = {"screen_map.png": LiveMap(run.model).render(), "screen_charts.png": LiveCharts(run).render()}
    written += [write_atomic(folder / name, lambda tmp, png=png: tmp.write_bytes(png)) for name, png in screen.items()]
    tell(0.45, "animation.gif")
    written.append(write_animation(result, folder / "animation.gif"))
    tell(0.95, "narrative.txt")
    settings = ", ".join(f"{k}={v}" for k, v in run.overrides.items()) or "as in the scenario file"
    done = "; ".join(f"at step {iv.step}: {iv.describe()}" for iv in run.interventions
                     if iv.step <= run.model.steps) or "none"
    text = (f"{result.scenario_name} ({run.info.path.name}), seed {result.seed}, "
            f"{run.model.clock()}; settings: {settings}; interventions: {done}. {DISCLAIMER}\n\n"
            f"{result.log.to_text()}")
    written.append(write_text_atomic(folder / "narrative.txt", text))
    tell(1.0, "done")
    return written


def export_runs(runs: list[LiveRun], folder: Path | None = None, force: bool = False,
                progress: Progress | None = None) -> Path:
    """Export runs so far into a new folder, built aside and renamed into place: with one run
    its files sit in the folder, with two each has a subfolder a_<scenario>, b_<scenario>.
    The default folder is a fresh one under outputs/; a given one that exists and is not empty
    is refused unless `force`."""
    from sim.program.output import new_run_folder, publish_folder

    first, chosen = runs[0], folder is not None
    if folder is None:
        stem = "_vs_".join(s.info.stem for s in runs)
        day = int(first.model.hours // 24)
        folder = new_run_folder(OUTPUTS, f"app_{stem}_seed{first.seed}_day{day}")

    def build(tmp: Path) -> None:
        for i, run in enumerate(runs):
            def tell(share: float, what: str, i=i) -> None:
                if progress is not None:
                    progress((i + share) / len(runs), what)

            export_run(run, tmp / f"{'ab'[i]}_{run.info.stem}" if len(runs) > 1 else tmp, tell)

    return publish_folder(build, Path(folder), force=force, kind="export", chosen=chosen)
