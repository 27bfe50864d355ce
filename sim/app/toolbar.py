"""The app's toolbar and the ways it moves a run through time: Play / Pause (the play loop),
Step, Reset, the speed, the timeline, "Go to" a day or date (or the end) and "Jump to event",
and the keyboard shortcuts that do the same.

The play loop runs in its own thread. It takes the tab's lock only to step the models, never
while it waits; it asks for the next frame only once the page has drawn the last one
(`FrameDrawn`), and it leaves at least `IDLE_SHARE` of every frame's time idle even when a frame
(two runs side by side, a loaded machine) takes longer than `FRAME_SECONDS`. Without that, a
frame asked for while the thread that handles clicks was drawing (Play's own redraw) was left to
that thread, which then drew frame after frame and never came back to the clicks: the page stayed
on day 0 and Pause did nothing (issue 23). Pause takes no lock: it clears `playing`, and the loop
stops before its next step (the step under way finishes first, not the rest of the frame). The loop also stops once no page
of the tab is connected (`page_open`), without waiting for Solara to close the tab.

Going to another time does not draw the frames in between: the models step at full speed in
the background, with their progress in the busy notice, and the map is drawn once at the end.
"""

from __future__ import annotations

import threading
import time

import solara
from solara.server.kernel_context import PageStatus, VirtualKernelContext, get_current_context

from sim.app.actions import (
    background,
    busy,
    drawer_open,
    font_scale,
    frame,
    guard,
    layout,
    playing,
    problem,
    progress,
    report,
    speed_hours,
)
from sim.app.goto import step_for, time_label
from sim.app.presenter import FONT_SCALES, Keys
from sim.app.state import LOG_LINES, SPEEDS_HOURS, Controller
from sim.program.errors import UserError

FRAME_SECONDS = 0.25  # shortest time between frames while playing
#: share of a frame's own time left idle after it, however slow it was (Pause, other tabs, the page)
IDLE_SHARE = 0.5
target = solara.reactive(0)  # the step the timeline, "Go to" or "jump to event" asked for last
#: log kinds offered by "jump to event"
JUMP_KINDS = ("standoff", "withdrawal", "clash", "ambush", "airstrike", "defection", "arrival",
              "reinforcement", "recruitment", "event")


def page_open(context: VirtualKernelContext) -> bool:
    """Is a page of the tab `context` still connected? Once its browser is gone, Solara keeps
    the tab `sim.app.command.CLOSED_TAB_KEPT` for a page that reconnects; a play loop that went
    on meanwhile drew frames for nobody, and ten tabs closed while playing on a loaded machine
    kept their server too busy to take their pages as closed for minutes (docs/app.md)."""
    return PageStatus.CONNECTED in tuple(context.page_status.values())


class _Paused:
    """Set (`is_set()`) once Pause cleared `playing` or the loop is cancelled: the frame under way
    stops between two steps instead of running to its end (a day of two runs side by side can take
    longer than the second within which Pause must stop the clock)."""

    def __init__(self, cancel: threading.Event):
        self.cancel = cancel

    def is_set(self) -> bool:
        return self.cancel.is_set() or not playing.value


def play_loop(ctl: Controller, drawn: threading.Event, cancel: threading.Event) -> None:
    """Step and redraw while `playing` is set and a page of the tab is open (see the module's
    docstring). `drawn` is set by `FrameDrawn` once the page has drawn the frame asked for."""
    context = get_current_context()
    closed = context.closed_event  # the tab went away: stop
    paused = _Paused(cancel)
    try:
        while (not cancel.is_set() and not closed.is_set() and page_open(context) and playing.value
               and not ctl.finished):
            started = time.perf_counter()
            with ctl.lock:
                ctl.advance(speed_hours.value, stop=paused)
            drawn.clear()
            frame.value += 1  # drawn in this thread, or by the thread already drawing the page
            # the next frame waits for this one: a new frame asked for while another thread draws
            # is left to that thread, which would go on drawing frames and never answer a click
            while not drawn.wait(0.1) and not cancel.is_set() and playing.value and page_open(context):
                pass
            spent = time.perf_counter() - started
            cancel.wait(max(FRAME_SECONDS - spent, IDLE_SHARE * spent))
        if (ctl.finished or not page_open(context)) and playing.value and not closed.is_set():
            playing.value = False  # a page that reconnects shows Play
            layout.value += 1
    except Exception as err:  # noqa: BLE001 - see actions.guard
        playing.value = False
        report(err)


@solara.component
def FrameDrawn(drawn: threading.Event):
    """Nothing to see: sets `drawn` once the page has drawn the latest frame (after the render)."""
    now = frame.value
    solara.use_effect(drawn.set, [now])


def go_to(ctl: Controller, step: int) -> None:
    """To `step` of the first run, in the background, without drawing the frames between;
    asked again while it runs, it ends at the last time asked for. Its progress goes to
    `progress`, which only `BusyNotice` draws: a report (every `sim.app.state.PROGRESS_EVERY`
    steps) redraws one line of text, not the toolbar, whose "jump to event" list narrates up to
    400 log entries (175 toolbar redraws cost 1.7 s of CPU in a year of the campaign)."""
    target.value = int(step)
    model = ctl.sides[0].run.model

    def follow() -> None:
        asked = int(step)
        while True:
            wanted = target.value
            if wanted != asked:
                busy.value, asked = f"Going to {time_label(model, wanted)}…", wanted
            ctl.go_to(wanted, progress=lambda share: progress.set(f"{share:.0%}"))
            if target.value == wanted:
                return

    background(f"Going to {time_label(model, step)}…", follow)


def toggle_play(ctl: Controller) -> None:
    if playing.value:
        playing.value = False
    elif not ctl.finished and not busy.value:
        playing.value = True


def step_font(by: int) -> None:
    """The text one size larger (+1) or smaller (-1) in `FONT_SCALES`, within its ends."""
    i = FONT_SCALES.index(font_scale.value) if font_scale.value in FONT_SCALES else 0
    font_scale.value = FONT_SCALES[min(len(FONT_SCALES) - 1, max(0, i + by))]


def on_key(ctl: Controller, key: str) -> None:
    """A keyboard shortcut (`sim.app.presenter.KEYS`)."""
    if key == " ":
        toggle_play(ctl)
    elif key == "ArrowRight" and not playing.value and not busy.value and not ctl.finished:
        guard(lambda: ctl.advance(speed_hours.value))
    elif key == "End" and not busy.value:
        go_to(ctl, ctl.sides[0].run.model.n_steps)
    elif key in ("+", "=", "-"):
        step_font(+1 if key != "-" else -1)
    elif key in ("c", "C"):
        drawer_open.value = not drawer_open.value


@solara.component
def GoTo(ctl: Controller, disabled: bool):
    """A box for a day or date (Enter goes there) and a button to the end."""
    text, set_text = solara.use_state("")
    model = ctl.sides[0].run.model

    def submit(said: str) -> None:
        set_text(said)
        try:
            step = step_for(said, model)
        except UserError as err:
            problem.value = str(err)
            return
        problem.value = ""
        go_to(ctl, step)

    with solara.Row(classes=["corridor-goto-row"], gap="4px"):
        with solara.Div(classes=["corridor-goto"]):
            solara.InputText("Go to day or date", value=text, on_value=submit, continuous_update=False,
                             disabled=disabled, classes=["corridor-goto-input"])
        solara.Button("End", icon_name="mdi-skip-next", outlined=True, disabled=disabled or ctl.finished,
                      on_click=lambda: go_to(ctl, model.n_steps), classes=["corridor-end"])


@solara.component
def Toolbar(ctl: Controller):
    """Play/Pause, Step, Reset, speed, the timeline, "Go to", "jump to event", the presenter's
    aids and the drawer's button, and the busy notice while a background action runs.

    One root element whatever the state: the busy notice (placed by its CSS, not by the row) is
    the row's last child. Beside the row it made the toolbar render two elements, which reacton
    wraps in a fragment, so the root changed at every start and end of a background action and
    every button of the toolbar was made anew: a click the browser sent to the button it still
    showed reached a widget whose handler was gone ("KeyError: 'click'" in the server's log) or
    that was closed, and was lost (docs/app.md, *For developers*)."""
    _ = layout.value, frame.value
    waiting = bool(busy.value)
    model = ctl.sides[0].run.model

    entries = [e for e in model.log.entries if e.kind in JUMP_KINDS][-LOG_LINES:]
    jumps = {f"{e.narrative()[:90]}": e.step for e in reversed(entries)}  # after the step during which it happened

    def jump(text: str | None) -> None:
        if text in jumps:
            go_to(ctl, jumps[text])

    with solara.Row(classes=["corridor-toolbar"], gap="6px"):
        if playing.value:
            solara.Button("Pause", icon_name="mdi-pause", on_click=lambda: toggle_play(ctl), color="primary",
                          classes=["corridor-pause"])
        else:
            solara.Button("Play", icon_name="mdi-play", on_click=lambda: toggle_play(ctl), color="primary",
                          disabled=ctl.finished or waiting, classes=["corridor-play"])
        solara.Button(f"+{speed_hours.value} h", icon_name="mdi-step-forward",
                      on_click=lambda: guard(lambda: ctl.advance(speed_hours.value)),
                      disabled=ctl.finished or playing.value or waiting, classes=["corridor-step"])
        solara.Button("Reset", icon_name="mdi-restart", on_click=lambda: background("Resetting…", ctl.reset),
                      disabled=waiting, classes=["corridor-reset"])
        with solara.ToggleButtonsSingle(value=speed_hours, classes=["corridor-speed"]):
            for hours in SPEEDS_HOURS:
                solara.Button(f"{hours} h" if hours < 24 else f"{hours // 24} day", value=hours, text=True)
        with solara.Div(classes=["corridor-timeline"]):
            solara.SliderInt(model.clock(), value=model.steps, min=0, max=model.n_steps,
                             on_value=lambda step: go_to(ctl, step), thumb_label=False,
                             disabled=waiting or playing.value)
        GoTo(ctl, disabled=waiting or playing.value)
        with solara.Div(classes=["corridor-jump"]):
            solara.Select("Jump to event", values=list(jumps), value=None, on_value=jump,
                          disabled=waiting or playing.value or not jumps, dense=True)
        solara.Button("Hide" if drawer_open.value else "Controls",
                      icon_name="mdi-tune", on_click=lambda: drawer_open.set(not drawer_open.value),
                      outlined=True, classes=["corridor-drawer-toggle"])
        if waiting:  # the last of the row, so that the buttons before it keep their widgets
            BusyNotice()


@solara.component
def BusyNotice():
    """What the background action is doing and how far it is (`busy`, `progress`)."""
    solara.Text(f"{busy.value} {progress.value}".strip(), classes=["corridor-busy"])


@solara.component
def PresenterBar(ctl: Controller):
    """In the title bar: the text size (A− / A+), full screen and the keyboard shortcuts."""
    with solara.Row(classes=["corridor-presenter"], gap="2px"):
        solara.Button("A−", on_click=lambda: step_font(-1), text=True, dark=True,
                      disabled=font_scale.value <= FONT_SCALES[0], classes=["corridor-font-down"])
        solara.Text(f"text {font_scale.value:.0%}", classes=["corridor-font-size"])
        solara.Button("A+", on_click=lambda: step_font(+1), text=True, dark=True,
                      disabled=font_scale.value >= FONT_SCALES[-1], classes=["corridor-font-up"])
        Keys(on_key=lambda key: on_key(ctl, key))
