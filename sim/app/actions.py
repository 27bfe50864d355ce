"""The app's shared widget state and how user actions run: the reactive values every component
reads (per browser tab), and `guard` / `background`, through which every callback goes so that
an error becomes a message on the page, never a traceback.
"""

from __future__ import annotations

import html
import logging
import threading

import solara

from sim.app.state import SPEEDS_HOURS
from sim.program.errors import UserError
from sim.program.oserrors import failure_line

frame = solara.reactive(0)  # +1 after every step: the pictures and monitors redraw
layout = solara.reactive(0)  # +1 after anything that changes the settings or the runs
playing = solara.reactive(False)
speed_hours = solara.reactive(SPEEDS_HOURS[0])
problem = solara.reactive("")  # the message shown above the map ("" when none)
busy = solara.reactive("")  # what a background action is doing ("" when idle)
progress = solara.reactive("")  # how far it is ("40%"; "" when it does not say)
queued = solara.reactive(())  # (label, action) of the slow actions waiting to run, in order
drawer_open = solara.reactive(False)
font_scale = solara.reactive(1.0)  # the text-size factor of the page (A− / A+, + / −)
log = logging.getLogger("sim.app")


def report(err: Exception) -> None:
    if isinstance(err, UserError):
        problem.value = str(err)
    elif isinstance(err, OSError):  # the machine refused (a full disk on export): one line, not a bug
        # the app's export publishes whole and the app has no --out to choose; a folder of
        # many runs written earlier in this process has nothing to do with it
        problem.value = failure_line(err, kept="nothing was left half-written", elsewhere=None)
    else:  # a bug: say so on the page in one line, keep the traceback for the server's log
        log.exception("app action failed")
        problem.value = f"Something went wrong ({type(err).__name__}: {err}). The run is kept; try again."


def guard(action) -> None:
    """Run a quick user action; an error becomes a message on the page, never a traceback."""
    try:
        action()
        problem.value = ""
    except Exception as err:  # noqa: BLE001 - every error is shown, none may reach the page raw
        report(err)
    layout.value += 1
    frame.value += 1


_QUEUE = threading.Lock()  # makes "is a job running?" and "queue this" one step (a click is never lost)


@solara.lab.task
def background_job() -> None:
    """Run the queued slow actions one after another; each one's result is drawn (the runs'
    counters move) before the busy notice goes, so that the picture and the notice agree."""
    while True:
        with _QUEUE:
            if not queued.value:
                busy.value = progress.value = ""
                return
            (label, action), *rest = queued.value
            queued.value = tuple(rest)
            busy.value, progress.value = label, ""
        try:
            action()
            problem.value = ""
        except Exception as err:  # noqa: BLE001 - see guard
            report(err)
        layout.value += 1
        frame.value += 1


def background(label: str, action) -> None:
    """Run a slow user action in the background: play stops and `label` shows until it is done
    and drawn. A click while another one runs is queued behind it (and shown), never lost."""
    playing.value = False
    with _QUEUE:
        queued.value = (*queued.value, (label, action))
        if busy.value:
            busy.value = f"{busy.value} (then: {label})"
            return
        busy.value = label
    background_job()


def heading(tag: str, text: str) -> None:
    """A heading as plain HTML (solara.Markdown would load KaTeX, which is not bundled offline)."""
    solara.HTML(tag=tag, unsafe_innerHTML=html.escape(text))


def safe_html(render, *args) -> str:
    """A text panel's HTML, or one line saying why it could not be drawn."""
    try:
        return render(*args)
    except Exception as err:  # noqa: BLE001 - a panel that fails must not take the page down
        log.exception("panel failed")
        return f'<div class="corridor-off">(this panel could not be drawn: {type(err).__name__})</div>'
