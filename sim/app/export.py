"""Export of the app's runs so far for slides: the map and charts as PNG (as for slides and
as the app shows them), the run so far as an animated GIF at the app's presenter size, and the
narrative with the settings and the teacher's interventions. `python run.py export` and the
app's Export button use it.

The export never touches the run the class is watching: it replays a copy from the seed and
the recorded interventions (the model is deterministic), and draws the GIF's frames with the
app's own live map while that copy steps (~25 ms a frame), one every `FRAME_HOURS`, and one
every `INCIDENT_FRAME_HOURS` within `NEAR_INCIDENT_H` of an incident, so that a 2-hour standoff
is seen in the GIF. Every drawing holds `sim.figures.lock.DRAWING`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path

from sim.app.state import LiveRun
from sim.figures.lock import DRAWING
from sim.program.disclaimer import DISCLAIMER
from sim.program.folders import OUTPUTS
from sim.results.event_log import clock_text

#: told (share done 0–1, what is being written) as an export goes on
Progress = Callable[[float, str], None]
#: simulated hours between the animation's frames, and between them near an incident
FRAME_HOURS, INCIDENT_FRAME_HOURS = 6.0, 1.0
#: an incident gets hourly frames this many hours before and after it
NEAR_INCIDENT_H = 6.0
#: log kinds that get hourly frames around them
INCIDENT_KINDS = ("standoff", "withdrawal", "clash", "ambush", "airstrike", "defection", "arrival")
#: at most this many frames (a long run is shown with fewer, evenly spread, incidents first)
MAX_FRAMES = 400
FRAME_MS, INCIDENT_FRAME_MS = 500, 250  # how long a frame stays on screen


def result_so_far(run: LiveRun):
    """A RunResult of the run up to now; its last frame is the current state."""
    model = run.model
    result = model.recorder.result()
    frames = list(result.frames)
    if not frames or frames[-1]["hours"] != model.hours:
        frames.append(model.recorder.snapshot())
    return dataclasses.replace(result, frames=frames)


def frame_steps(step_hours: float, end: int, incident_hours: list[float]) -> tuple[list[int], set[int]]:
    """(the steps the animation shows, in order, from 0 to `end`; those of them near an
    incident). Regular frames every `FRAME_HOURS` (more apart when they would pass
    `MAX_FRAMES`), hourly ones within `NEAR_INCIDENT_H` of each incident."""
    fine = max(1, round(INCIDENT_FRAME_HOURS / step_hours))
    near: set[int] = set()
    for hours in incident_hours:
        first = max(0, math.floor((hours - NEAR_INCIDENT_H) / step_hours))
        last = min(end, math.ceil((hours + NEAR_INCIDENT_H) / step_hours))
        near.update(range(first - first % fine, last + 1, fine))
    near = set(sorted(near)[: MAX_FRAMES // 2])
    every = max(round(FRAME_HOURS / step_hours), math.ceil(end / max(1, MAX_FRAMES - len(near))), 1)
    steps = sorted(set(range(0, end + 1, every)) | near | {end})
    return steps, near


def write_live_animation(run: LiveRun, out: Path, progress: Progress | None = None) -> LiveRun:
    """The run so far as an animated GIF drawn by the app's live map (840 × 500 px, labels as on
    screen), from a replayed copy; returns that copy (at the run's current step)."""
    from sim.figures.layered import write_gif
    from sim.figures.live import LiveMap

    model = run.model
    end = model.steps
    incidents = [e.hours for e in list(model.log.entries) if e.kind in INCIDENT_KINDS]
    steps, near = frame_steps(model.step_hours, end, incidents)
    copy = run.replayed(0)
    with DRAWING:
        live_map = LiveMap(copy.model)
    images, durations = [], []
    for i, step in enumerate(steps):
        copy.advance(step - copy.model.steps)
        with DRAWING:
            live_map.show()
            images.append(live_map.gif_frame())
        durations.append(INCIDENT_FRAME_MS if step in near else FRAME_MS)
        if progress is not None and i % 20 == 0:
            progress(i / len(steps), f"animation.gif, frame {i + 1} of {len(steps)}")
    write_gif(out, images, durations)  # the last picture held
    return copy


def export_run(run: LiveRun, folder: Path, progress: Progress | None = None) -> list[Path]:
    """Write into `folder` (which the caller creates fresh): the animation of the run so far
    (GIF), then, from the copy it replayed, the map and the charts as PNG for slides, the same
    two as the app shows them, and the narrative as text. `run` may go on meanwhile.
    `progress(share done, what)` is told as it goes."""
    from sim.figures.live import LiveMap
    from sim.figures.live_charts import LiveCharts
    from sim.figures.one_run import draw_control_chart, draw_control_map
    from sim.program.output import write_atomic, write_text_atomic

    tell = progress or (lambda share, what: None)
    folder.mkdir(parents=True, exist_ok=True)
    tell(0.0, "animation.gif")
    gif = folder / "animation.gif"
    copy = write_live_animation(run, gif, lambda share, what: tell(0.7 * share, what))
    result = result_so_far(copy)
    tell(0.7, "map.png, charts.png")
    with DRAWING:
        written = [gif, draw_control_map(result, result.frames[-1], folder / "map.png"),
                   draw_control_chart(result, folder / "charts.png")]
        screen = {"screen_map.png": LiveMap(copy.model).render(), "screen_charts.png": LiveCharts(copy).render()}
    tell(0.9, "screen_map.png, screen_charts.png, narrative.txt")
    written += [write_atomic(folder / name, lambda tmp, png=png: tmp.write_bytes(png)) for name, png in screen.items()]
    settings = ", ".join(f"{k}={v}" for k, v in copy.overrides.items()) or "as in the scenario file"
    done = "; ".join(f"at {clock_text(iv.step * copy.model.step_hours, copy.model.calendar)}: {iv.describe()}"
                     for iv in copy.interventions if iv.step <= copy.model.steps) or "none"
    text = (f"{result.scenario_name} ({copy.info.path.name}), seed {result.seed}, "
            f"{copy.model.clock()}; settings: {settings}; interventions: {done}. {DISCLAIMER}\n\n"
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
