"""The classroom web app's page: `python run.py viz [SCENARIO]` serves it.

Why Solara directly rather than Mesa's SolaraViz: SolaraViz builds a model from keyword
parameters and drives one model; ours is built from a validated scenario file plus overrides,
the app runs two models side by side on one seed, the controls change with the scenario (a
control whose rule the scenario lacks is disabled), and the map must redraw in tens of
milliseconds, which needs the layered renderer of `sim.figures.live` rather than a fresh figure per
step. So this module wires Solara widgets to `sim.app.state.Controller` and nothing else: the
model, its settings and the export live there, the pictures in `sim.figures.live`, the text
panels in `sim.app.views`, the controls' sidebar in `sim.app.drawer`.

The presenter layout (1280 × 720 and up): a toolbar (Play, Step, Reset, speed, the timeline and
"jump to event"), then the map as large as the screen allows with the status line under it, and
beside it the monitors, a compact chart and the event log; the controls and the lesson are in a
drawer that opens on the left and closes again. Side by side, the two runs stand in two columns.

No user action shows a traceback: every callback goes through `guard` or `background`, which
turn an error into a message on the page; slow actions (reset, scenario change, side by side,
rewind) run in the background with a busy notice while the buttons wait.

One `Controller` per browser tab (Solara's `reactive` values are per connection). Two counters
tell components when to redraw: `frame` after every step, `layout` after anything that changes
the settings or the runs.
"""

from __future__ import annotations

import base64
import html
import os
import threading
from collections import OrderedDict

import solara

from sim.app import views
from sim.app.actions import (
    drawer_open,
    font_scale,
    frame,
    heading,
    layout,
    log,
    playing,
    problem,
    safe_html,
)
from sim.app.command import SCENARIO_ENV, SEED_ENV
from sim.app.drawer import Drawer
from sim.app.memory import watch_tab
from sim.app.presenter import font_css, scaled_css
from sim.app.state import LOG_LINES, Controller
from sim.app.toolbar import FrameDrawn, PresenterBar, Toolbar, play_loop
from sim.figures.live import LiveMap, legend_png
from sim.figures.live_charts import LiveCharts
from sim.figures.lock import DRAWING
from sim.program.disclaimer import DISCLAIMER
from sim.program.folders import DEFAULT_SCENARIO

SCREEN_FORMAT = "jpeg"  # pictures on screen (see `sim.figures.live.encode`)
LEGEND_WIDTH_IN = 12.6  # the legend strip under two runs side by side


CSS = """
.v-application { font-size: 16px; }
header.v-app-bar, header.v-app-bar .v-toolbar__content { height: 46px !important; }
.v-main, .v-content { padding-top: 46px !important; }
.v-content__wrap > div { padding: 6px 10px 0 10px !important; }
.corridor-stamp { background: #fff3e0; color: #bf360c; font-weight: 600; padding: 2px 10px;
                  border-radius: 4px; font-size: 15px; margin-left: 16px; }
.corridor-toolbar { align-items: center; flex-wrap: nowrap !important; }
.corridor-toolbar .v-input { margin-top: 0; padding-top: 0; }
.corridor-timeline { flex: 1 1 auto; min-width: 150px; }
.corridor-goto-row { flex-wrap: nowrap !important; align-items: center; flex: 0 0 auto; }
.corridor-goto { width: 130px; flex: 0 0 130px; }
.corridor-jump { width: 190px; flex: 0 0 190px; }
.corridor-presenter { flex-wrap: nowrap !important; align-items: center; margin-left: 12px; }
.corridor-presenter .v-btn { color: #ffffff !important; min-width: 0 !important; }
.corridor-toolbar .v-btn { padding: 0 10px !important; }
.corridor-speed .v-btn { min-width: 0 !important; padding: 0 7px !important; }
.corridor-busy { position: fixed; top: 50px; left: 50%; transform: translateX(-50%); z-index: 20;
                 background: #e3f2fd; color: #0b4f8a; font-weight: 700; font-size: 16px; padding: 4px 16px;
                 border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,0.3); white-space: nowrap; }
.corridor-font-size { font-size: 14px; margin: 0 4px; color: #ffffff; white-space: nowrap; }
.corridor-keys { margin-left: 8px; }
.corridor-keys .v-btn { color: #ffffff !important; border-color: #ffffff !important; }
.corridor-main { flex-wrap: nowrap !important; height: calc(100vh - 108px); overflow: hidden; }
.corridor-single { flex: 1 1 auto; min-width: 0; flex-wrap: nowrap !important; height: 100%; }
.corridor-main.corridor-comparing { overflow-y: auto; }
.corridor-drawer { position: fixed; right: 0; top: 104px; bottom: 0; width: 460px; z-index: 8; overflow-y: auto;
                   overflow-x: hidden; padding: 6px 10px; background: #ffffff; border-left: 1px solid #90a4ae;
                   box-shadow: -3px 0 8px rgba(0,0,0,0.25); word-break: break-word; }
.corridor-mapcol { flex: 1 1 auto; min-width: 0; justify-content: flex-start !important;
                   flex-wrap: nowrap !important; }
.corridor-mapbox { position: relative; width: 100%; }
img.corridor-map { width: 100%; height: auto; display: block; }
svg.corridor-units-hover { position: absolute; left: 0; top: 0; width: 100%; height: 100%; }
svg.corridor-units-hover circle { fill: transparent; pointer-events: all; cursor: help; }
.corridor-right { width: 450px; min-width: 450px; max-width: 450px; justify-content: flex-start !important; height: 100%; display: flex;
                  flex-direction: column; flex-wrap: nowrap !important; }
.corridor-right .corridor-logbox { flex: 1 1 auto; min-height: 60px; overflow-y: auto; }
.corridor-half .corridor-log { max-height: 320px; }
img.corridor-charts { width: 100%; height: auto; }
.corridor-right > *, .corridor-mapcol > *, .corridor-half > * { flex: 0 0 auto; height: auto !important; }
.corridor-right > .corridor-logbox { flex: 1 1 0; min-height: 140px; overflow-y: auto; }
.corridor-status { font-size: 15px; line-height: 1.5; }
.corridor-status > span { margin-right: 14px; }
.corridor-clock { font-size: 22px; font-weight: 700; color: #263238; }
.corridor-params { font-size: 14px; color: #37474f; }
.corridor-swatch { display: inline-block; width: 14px; height: 14px; border: 1px solid #555;
                   margin-right: 5px; vertical-align: -2px; }
table.corridor-monitors { border-collapse: collapse; font-size: 14px; width: 100%; }
table.corridor-monitors th, table.corridor-monitors td { padding: 1px 4px; border-bottom: 1px solid #eceff1;
                                                         text-align: right; white-space: nowrap; }
table.corridor-monitors td:first-child, table.corridor-monitors th:first-child,
table.corridor-monitors td.corridor-units { text-align: left; }
table.corridor-monitors td.corridor-units { white-space: nowrap; font-size: 14px; }
.corridor-pair, .corridor-rest { font-size: 14px; }
.corridor-help { font-size: 14px; color: #455a64; line-height: 1.3; }
.corridor-date { font-size: 15px; color: #455a64; margin-right: 14px; }
.corridor-log { overflow-y: auto; font-size: 14px; line-height: 1.4; }
.corridor-log div { padding: 1px 0; border-bottom: 1px solid #eceff1; }
.corridor-log .k-standoff, .corridor-log .k-withdrawal { color: #a04000; font-weight: 600; }
.corridor-log .k-defection { color: #6a1b9a; font-weight: 600; }
.corridor-log .k-clash, .corridor-log .k-ambush, .corridor-log .k-airstrike { color: #b71c1c; }
.corridor-log .k-event { color: #0b4f8a; }
.corridor-summary { background: #e8f5e9; border-radius: 4px; padding: 4px 8px; font-size: 14px; }
.corridor-summary ul { margin: 0; }
.corridor-questions li, .corridor-lesson li { margin-bottom: 6px; font-size: 15px; }
.corridor-lesson { font-size: 15px; }
.corridor-pending { color: #a04000; font-weight: 600; font-size: 14px; }
.corridor-control-label { font-size: 15px; }
.corridor-off { font-size: 14px; color: #757575; }
.corridor-shortcuts { font-size: 14px; color: #37474f; background: #eceff1; padding: 2px 6px; border-radius: 4px; }
.corridor-half { flex: 1 1 50%; min-width: 0; }
.corridor-comparison { flex: 1 1 auto; min-width: 0; }
.corridor-pair-row { flex-wrap: nowrap !important; }
img.corridor-legend { max-width: 100%; height: auto; }
.corridor-half .corridor-mapbox { max-width: none !important; }
.corridor-path { word-break: break-all; font-size: 13px; }
"""


SCALED_CSS = scaled_css(CSS)  # every text size follows the page's text-size factor (A− / A+)


# ---------------------------------------------------------------------------- pictures
_MAPS: OrderedDict[tuple, LiveMap] = OrderedDict()
MAPS_KEPT = 6


def render_map(model, legend: bool = True, units: list | None = None) -> str:
    """The model's map as HTML: the picture (JPEG) with an SVG of the same size over it whose
    circles name each unit on hover. Live maps are kept for every tab (building one takes ~0.6 s of CPU, ~0.25 s
    once the map's labels were placed at that size: `sim.figures.basemap`;
    a reset or a scenario on the same map and colours reuses it), released from the model once
    drawn so that the cache keeps no closed tab's run alive. Without `legend`: the map alone,
    larger for its width, for two runs side by side (`render_legend` draws the legend). `units`:
    the units to show (default every unit alive; a class team's, `sim.app.fog`)."""
    key = (LiveMap.key_of(model), legend)
    with DRAWING:  # matplotlib draws in one thread at a time (sim.figures.lock)
        live_map = _MAPS.get(key)
        if live_map is None:
            live_map = _MAPS[key] = LiveMap(model, legend=legend)
            while len(_MAPS) > MAPS_KEPT:
                _MAPS.popitem(last=False)
        _MAPS.move_to_end(key)
        live_map.bind(model)
        try:
            picture = live_map.render(SCREEN_FORMAT, units)
            marks = live_map.unit_marks(units)
        finally:
            live_map.release()
        width, height = live_map.canvas.get_width_height()
    circles = "".join(f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{r:.0f}"><title>{html.escape(text)}</title></circle>'
                      for x, y, r, text in marks)
    data = base64.b64encode(picture).decode("ascii")
    # the box keeps the picture's aspect, so that the SVG's circles stay on the markers
    return (f'<div class="corridor-mapbox" style="max-width: calc((100vh - 175px) * {width / height:.4f})">'
            f'<img class="corridor-map" src="data:image/{SCREEN_FORMAT};base64,{data}" alt="control map">'
            f'<svg class="corridor-units-hover" viewBox="0 0 {width} {height}">{circles}</svg></div>')


_LEGENDS: dict[tuple, bytes] = {}


def render_legend(model) -> bytes:
    """The map's legend as a strip, for under two runs side by side (kept per map and colours)."""
    key = LiveMap.key_of(model)
    with DRAWING:
        if key not in _LEGENDS:
            _LEGENDS[key] = legend_png(model, LEGEND_WIDTH_IN, fmt=SCREEN_FORMAT)
        return _LEGENDS[key]


def render_charts(charts: dict, index: int, run) -> bytes:
    """The run's charts as PNG; the tab's charts for this side are re-pointed when the run changes."""
    with DRAWING:
        current = charts.get(index)
        if current is None or (current.run is not run and not current.bind(run)):
            current = charts[index] = LiveCharts(run)
        return current.render(SCREEN_FORMAT)


# ---------------------------------------------------------------------------- components
@solara.component
def SidePanel(ctl: Controller, index: int, charts: dict, compact: bool):
    """One run: map, status line, monitors, compact chart, summary at the end, event log."""
    _ = frame.value, layout.value
    if index >= len(ctl.sides):  # side by side was just switched off
        return
    with ctl.lock:
        run = ctl.sides[index].run
        try:
            map_html = render_map(run.model, legend=not compact)
            charts_png = render_charts(charts, index, run)
        except Exception as err:  # noqa: BLE001 - a picture that fails must not take the page down
            log.exception("picture failed")
            solara.Error(f"The map of this run could not be drawn ({type(err).__name__}: {err}).",
                         classes=["corridor-problem"])
            return
        status = safe_html(views.status_html, run) + safe_html(views.key_html, run)
        monitors = safe_html(views.monitors_html, run)
        summary = safe_html(views.summary_html, run) if run.finished else ""
        log_text = safe_html(views.log_html, run, LOG_LINES)
    tag = f"corridor-side-{'ab'[index]}"
    if compact:
        with solara.Column(classes=[tag, "corridor-half"], gap="4px"):
            heading("h3", f"{'AB'[index]}: {run.info.name}")
            solara.HTML(unsafe_innerHTML=map_html)
            solara.HTML(unsafe_innerHTML=status)
            solara.HTML(unsafe_innerHTML=monitors)
            solara.Image(charts_png, format=SCREEN_FORMAT, classes=["corridor-charts"])
            if summary:
                solara.HTML(unsafe_innerHTML=summary)
            solara.HTML(unsafe_innerHTML=log_text)
        return
    with solara.Row(classes=["corridor-single", tag], gap="10px"):
        with solara.Column(classes=["corridor-mapcol"], gap="2px"):
            solara.HTML(unsafe_innerHTML=map_html)
            solara.HTML(unsafe_innerHTML=status)
        RightColumn(monitors, charts_png, summary, log_text)


@solara.component
def RightColumn(monitors: str, charts_png: bytes, summary: str, log_text: str):
    """Beside the map: the monitors, the compact chart, the summary at the end, the log."""
    with solara.Column(classes=["corridor-right"], gap="4px"):
        solara.HTML(unsafe_innerHTML=monitors)
        solara.Image(charts_png, format=SCREEN_FORMAT, classes=["corridor-charts"])
        if summary:
            solara.HTML(unsafe_innerHTML=summary)
        solara.HTML(unsafe_innerHTML=log_text, classes=["corridor-logbox"])


def new_controller() -> Controller:
    """A tab's Controller: the scenario and seed `run.py viz` was given (its environment), else the
    default scenario at its own seed."""
    seed = os.environ.get(SEED_ENV)
    return Controller(os.environ.get(SCENARIO_ENV, str(DEFAULT_SCENARIO)), seed=None if seed is None else int(seed))


@solara.component
def Page():
    ctl = solara.use_memo(new_controller, [])
    # when the tab goes (its page closed and its kernel culled), its runs are given back once collected
    solara.use_effect(lambda: lambda: watch_tab(ctl), [])
    charts = solara.use_memo(dict, [])
    _ = layout.value

    drawn = solara.use_memo(threading.Event, [])
    solara.use_thread(lambda cancel: play_loop(ctl, drawn, cancel), dependencies=[playing.value],
                      intrusive_cancel=False)

    solara.Title("Corridor — what-if app")
    solara.Style(SCALED_CSS + font_css(font_scale.value))
    with solara.AppBar():
        solara.AppBarTitle(children=["Corridor — what-if app"])
        solara.HTML(tag="span", unsafe_innerHTML=DISCLAIMER, classes=["corridor-stamp"])
        PresenterBar(ctl)
    # Keys for the elements after one that comes and goes (the problem, the drawer): reacton keys
    # an element by its place, and one whose key changes is made anew with every widget under it
    # (the drawer's buttons: a click on one meanwhile is lost, see `sim.app.toolbar.Toolbar`; the
    # map and the right column, resent whole).
    with solara.Column(gap="4px", classes=["corridor-page"]):
        Toolbar(ctl)
        if problem.value:
            with solara.Row(classes=["corridor-problem-row"]):
                solara.Error(problem.value, classes=["corridor-problem"], dense=True)
                solara.Button("Dismiss", on_click=lambda: problem.set(""), text=True)
        main = ["corridor-main"] + (["corridor-comparing"] if ctl.comparing else [])
        with solara.Row(classes=main, gap="10px").key("main"):
            if drawer_open.value:
                with solara.Column(classes=["corridor-drawer"], gap="6px"):
                    Drawer(ctl)
            if ctl.comparing:
                with solara.Column(gap="4px", classes=["corridor-comparison"]):
                    with solara.Row(gap="10px", classes=["corridor-pair-row"]):
                        SidePanel(ctl, 0, charts, compact=True)
                        SidePanel(ctl, 1, charts, compact=True)
                    with ctl.lock:
                        legend = render_legend(ctl.sides[0].run.model)
                    solara.Image(legend, format=SCREEN_FORMAT, classes=["corridor-legend"])
            else:
                SidePanel(ctl, 0, charts, compact=False).key("run")
        FrameDrawn(drawn)
