"""The classroom web app's page: `python run.py viz [SCENARIO]` serves it.

Why Solara directly rather than Mesa's SolaraViz: SolaraViz builds a model from keyword
parameters and drives one model; ours is built from a validated scenario file plus overrides,
the app runs two models side by side on one seed, the controls change with the scenario (a
control whose rule the scenario lacks is disabled), and the map must redraw in tens of
milliseconds, which needs the layered renderer of `sim.figures.live` rather than a fresh figure per
step. So this module wires Solara widgets to `sim.app.state.Controller` and nothing else: the
model, its settings and the export live there, the pictures in `sim.figures.live`.

One `Controller` per browser tab (Solara's `reactive` values are per connection). Two counters
tell components when to redraw: `frame` after every step, `layout` after anything that changes
the settings or the runs.
"""

from __future__ import annotations

import html
import os
import threading
import time
from pathlib import Path

import solara

from sim.app.state import (
    CONTROLS,
    SPEEDS_HOURS,
    Controller,
    Side,
    scenario_library,
)
from sim.disclaimer import DISCLAIMER
from sim.errors import UserError
from sim.figures.live import LiveCharts, LiveMap
from sim.locations import DEFAULT_SCENARIO

#: environment variable through which `run.py viz` passes the scenario to open
SCENARIO_ENV = "CORRIDOR_APP_SCENARIO"
FRAME_SECONDS = 0.25  # shortest time between frames while playing
LOG_LINES = 80

frame = solara.reactive(0)
layout = solara.reactive(0)
playing = solara.reactive(False)
speed_hours = solara.reactive(SPEEDS_HOURS[0])
problem = solara.reactive("")

CSS = """
.v-application { font-size: 16px; }
.corridor-stamp { background: #fff3e0; color: #bf360c; font-weight: 600; padding: 2px 10px;
                  border-radius: 4px; font-size: 15px; margin-left: 16px; }
.corridor-monitors { font-size: 17px; line-height: 1.55; }
.corridor-monitors b { color: #37474f; }
.corridor-clock { font-size: 26px; font-weight: 700; color: #263238; }
.corridor-log { max-height: 430px; overflow-y: auto; font-size: 15px; line-height: 1.45; }
.corridor-log div { padding: 2px 0; border-bottom: 1px solid #eceff1; }
.corridor-log .k-standoff, .corridor-log .k-withdrawal { color: #e65100; font-weight: 600; }
.corridor-log .k-defection { color: #6a1b9a; font-weight: 600; }
.corridor-log .k-clash, .corridor-log .k-ambush, .corridor-log .k-airstrike { color: #b71c1c; }
.corridor-questions li { margin-bottom: 8px; font-size: 16px; }
.corridor-map img, .corridor-charts img { width: 100%; height: auto; }
.corridor-pending { color: #e65100; font-weight: 600; }
.corridor-control-label { font-size: 15px; }
.corridor-off { font-size: 14px; color: #9e9e9e; }
"""


def _guard(action) -> None:
    """Run a user action; a scenario the model refuses is shown, not raised."""
    try:
        action()
        problem.value = ""
    except UserError as err:
        problem.value = str(err)
    layout.value += 1
    frame.value += 1


@solara.component
def Controls(ctl: Controller, index: int):
    """Scenario picker and the rule sliders of one side (applied on reset)."""
    _ = layout.value
    side: Side = ctl.sides[index]
    info = side.run.info
    library = {p.stem: p for p in scenario_library()}
    if side.path not in library.values():
        library[side.path.name] = side.path
    current = next(k for k, p in library.items() if p == side.path)

    def choose(stem: str) -> None:
        playing.value = False
        _guard(lambda: ctl.choose_scenario(index, library[stem]))

    solara.Select(label="Scenario", values=list(library), value=current, on_value=choose)
    solara.Text(info.description, style={"font-size": "14px", "color": "#546e7a"})
    for control in CONTROLS:
        have = control.name in side.pending

        def set_value(value, name=control.name) -> None:
            ctl.set_value(index, name, value)
            layout.value += 1

        value = side.pending.get(control.name)
        with solara.Column(gap="0px", classes=[f"corridor-control-{control.name}"]):
            if control.is_switch:
                label = control.label if have else f"{control.label} (not in this scenario)"
                solara.Switch(label=label, value=bool(value), on_value=set_value, disabled=not have)
            else:
                shown = f"{value:g}" if have else "not in this scenario"
                solara.Text(f"{control.label}: {shown}",
                            classes=["corridor-control-label" if have else "corridor-off"])
                solara.SliderFloat("", value=float(value if have else control.lo), min=control.lo,
                                   max=control.hi, step=control.step, on_value=set_value, disabled=not have)
    if side.changed:
        solara.Text("Changed: press Reset to apply.", classes=["corridor-pending"])


@solara.component
def ControlPanel(ctl: Controller):
    _ = layout.value

    def step() -> None:
        ctl.advance(speed_hours.value)
        frame.value += 1
        if ctl.finished:  # the buttons follow the run to its end
            layout.value += 1

    def reset() -> None:
        playing.value = False
        _guard(ctl.reset)

    def compare(on: bool) -> None:
        playing.value = False
        _guard(lambda: ctl.compare(on))

    def set_seed(seed: int | None) -> None:
        ctl.set_seed(seed)
        layout.value += 1

    with solara.Sidebar(), solara.Column(gap="10px"):
        with solara.Row(gap="6px"):
            if playing.value:
                solara.Button("Pause", icon_name="mdi-pause", on_click=lambda: playing.set(False),
                              color="primary", classes=["corridor-pause"])
            else:
                solara.Button("Play", icon_name="mdi-play", on_click=lambda: playing.set(True),
                              color="primary", disabled=ctl.finished, classes=["corridor-play"])
            solara.Button(f"Step +{speed_hours.value} h", icon_name="mdi-step-forward", on_click=step,
                          disabled=ctl.finished or playing.value, classes=["corridor-step"])
            solara.Button("Reset", icon_name="mdi-restart", on_click=reset, classes=["corridor-reset"])
        solara.Text("Speed: simulated time per frame", style={"font-size": "14px"})
        with solara.ToggleButtonsSingle(value=speed_hours, classes=["corridor-speed"]):
            for hours in SPEEDS_HOURS:
                solara.Button(f"{hours} h" if hours < 24 else f"{hours // 24} day", value=hours, text=True)
        solara.Switch(label="Side by side (same seed)", value=ctl.comparing, on_value=compare)
        solara.InputInt("Seed (applies on reset)", value=ctl.seed if ctl.seed is not None else ctl.run_seed,
                        on_value=set_seed)
        for i in range(len(ctl.sides)):
            if ctl.comparing:
                _heading("h3", f"{'AB'[i]} ({'left' if i == 0 else 'right'})")
            Controls(ctl, i)
        Export(ctl)
        solara.Text("See docs/lessons.md for lessons built on these scenarios.", style={"font-size": "13px"})


@solara.lab.task
def export_job(ctl: Controller) -> Path:
    return ctl.export()


@solara.component
def Export(ctl: Controller):
    def start() -> None:
        playing.value = False
        export_job(ctl)

    solara.Button("Export for slides (PNG + GIF)", icon_name="mdi-content-save", on_click=start,
                  disabled=export_job.pending, outlined=True, classes=["corridor-export"])
    if export_job.pending:
        solara.Text("Exporting the map, charts and animation…")
    elif export_job.error:
        solara.Error(f"Export failed: {export_job.exception}")
    elif export_job.finished and export_job.value is not None:
        folder = export_job.value
        solara.Success(f"Saved in {folder}", dense=True)
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                name = str(path.relative_to(folder))
                solara.FileDownload(lambda p=path: p.read_bytes(), filename=name.replace("/", "_"),
                                    label=f"Download {name}")


def _heading(tag: str, text: str) -> None:
    """A heading as plain HTML (solara.Markdown would load KaTeX, which is not bundled offline)."""
    solara.HTML(tag=tag, unsafe_innerHTML=html.escape(text))


def _monitors_html(side: Side) -> str:
    s = side.run
    e = html.escape
    params = []
    for control in CONTROLS:
        value = s.parameter(control.name)
        if value is not None:
            shown = ("on" if value else "off") if control.is_switch else f"{value:g}"
            params.append(f'<span class="corridor-param-{control.name}">{e(control.label)}: {shown}</span>')
    convoys = "; ".join(f"{e(label)} {e(state)}" for label, state in s.convoys()) or "none"
    return (
        f'<div class="corridor-monitors"><div class="corridor-clock">{e(s.model.clock())}</div>'
        f'<div><b>Albu Kamal held by:</b> <span class="corridor-holder">{e(s.key_place_holder())}</span></div>'
        f'<div><b>Land bridge:</b> <span class="corridor-bridge">{e(s.land_bridge())}</span></div>'
        f'<div><b>Convoys:</b> <span class="corridor-convoys">{convoys}</span></div>'
        f'<div><b>This run</b> (seed <span class="corridor-seed">{s.seed}</span>): '
        + "; ".join(params) + "</div></div>")


def _log_html(side: Side) -> str:
    lines = side.run.log_newest_first(LOG_LINES)
    if not lines:
        return '<div class="corridor-log"><i>Nothing has happened yet: press Play or Step.</i></div>'
    rows = "".join(f'<div class="k-{html.escape(kind)}">{html.escape(text)}</div>' for kind, text in lines)
    return f'<div class="corridor-log">{rows}</div>'


def _questions_html(side: Side) -> str:
    items = "".join(f"<li>{html.escape(q)}</li>" for q in side.run.info.questions)
    return f'<ol class="corridor-questions">{items}</ol>' if items else "<i>No questions in this scenario.</i>"


@solara.component
def SidePanel(ctl: Controller, index: int, compact: bool):
    """One run: map, monitors, teaching questions, charts and event log."""
    _ = frame.value, layout.value
    side = ctl.sides[index]
    run = side.run
    views = solara.use_memo(lambda: (LiveMap(run.model), LiveCharts(run)), dependencies=[run])
    with ctl.lock:
        map_png = views[0].render()
        charts_png = views[1].render()
        monitors, log = _monitors_html(side), _log_html(side)
    questions = _questions_html(side)
    tag = f"corridor-side-{'ab'[index]}"
    with solara.Column(classes=[tag], gap="8px"):
        if compact:
            _heading("h3", f"{'AB'[index]}: {run.info.name}")
            solara.Image(map_png, classes=["corridor-map"])
            solara.HTML(unsafe_innerHTML=monitors)
            solara.Image(charts_png, classes=["corridor-charts"])
            with solara.Details("Teaching questions"):
                solara.HTML(unsafe_innerHTML=questions)
            _heading("h4", "Event log (newest first)")
            solara.HTML(unsafe_innerHTML=log)
            return
        with solara.Columns([3, 1]):
            solara.Image(map_png, classes=["corridor-map"])
            with solara.Column():
                solara.HTML(unsafe_innerHTML=monitors)
                _heading("h4", f"Ask the class — {run.info.name}")
                solara.HTML(unsafe_innerHTML=questions)
        with solara.Columns([1, 1]):
            solara.Image(charts_png, classes=["corridor-charts"])
            with solara.Column():
                _heading("h4", "Event log (newest first)")
                solara.HTML(unsafe_innerHTML=log)


@solara.component
def Page():
    ctl = solara.use_memo(lambda: Controller(os.environ.get(SCENARIO_ENV, str(DEFAULT_SCENARIO))), [])
    _ = layout.value

    def play(cancel: threading.Event) -> None:
        while playing.value and not cancel.is_set():
            started = time.perf_counter()
            ctl.advance(speed_hours.value)
            frame.value += 1
            if ctl.finished:
                playing.value = False
                return
            cancel.wait(max(0.0, FRAME_SECONDS - (time.perf_counter() - started)))

    solara.use_thread(play, dependencies=[playing.value], intrusive_cancel=False)

    solara.Title("Corridor — what-if app")
    solara.Style(CSS)
    with solara.AppBar():
        solara.AppBarTitle(children=["Corridor: the contested Euphrates corridor"])
        solara.HTML(tag="span", unsafe_innerHTML=html.escape(DISCLAIMER), classes=["corridor-stamp"])
    ControlPanel(ctl)
    if problem.value:
        solara.Error(problem.value, classes=["corridor-problem"])
    if ctl.comparing:
        with solara.Columns([1, 1]):
            SidePanel(ctl, 0, compact=True)
            SidePanel(ctl, 1, compact=True)
    else:
        SidePanel(ctl, 0, compact=False)

