"""The class session's page (`python run.py viz SCENARIO --class`): one address, and the view
each browser gets is decided on the server from its cookies (`sim.app.gate` sets them):

- the **teacher's console** (teacher key): the join code in large type with the QR code of the
  join address, who has joined and who has decided, Start / next cycle, Pause, Reveal the whole
  map, End; the map (units hidden from the projector until revealed); at the end, the debrief
  (`sim.app.debrief`) with the class's and the computer planners' maps;
- a **team's view** (join code and seat): choose a faction to command (or one to watch
  through), then its map under fog of war (`sim.app.fog`), its own figures and log, and at
  each planning cycle its planner's options as buttons, with "Hold" and "Let the staff
  decide", until the time is up.

Every action goes through `guard`, so a refused choice is one line on that page. The pages
redraw when the session changes (`ClassSession.version`), at most every `REDRAW_S`.
"""

from __future__ import annotations

import threading
import time

import solara

from sim.app import class_views as cv
from sim.app.actions import guard, heading, problem
from sim.app.debrief import debrief_html, planners_only
from sim.app.fog import visible_units
from sim.app.gate import CODE_COOKIE, SEAT_COOKIE, TEACHER_COOKIE
from sim.app.page import CSS, render_map
from sim.app.session import STAFF, WAIT, ClassSession, current
from sim.program.disclaimer import DISCLAIMER

#: a page redraws at most this often (seconds) while the model runs between cycles
REDRAW_S = 0.5
#: moves on when the session changed (per browser tab, as every `solara.reactive`): each
#: component reads it, so that each redraws (a component whose arguments did not change would not)
changes = solara.reactive(0)

CLASS_CSS = CSS + """
.class-code { font-size: 64px; font-weight: 800; letter-spacing: 8px; color: #0b4f8a; }
.class-url { font-size: 28px; font-weight: 700; word-break: break-all; }
.class-status { font-size: 22px; font-weight: 700; color: #a04000; }
.class-clock { font-size: 22px; font-weight: 700; color: #263238; }
.class-own { font-size: 18px; }
.class-options .v-btn { text-transform: none !important; white-space: normal !important; height: auto !important;
                        min-height: 40px; padding: 6px 10px !important; justify-content: flex-start; }
.class-reason { font-size: 14px; color: #455a64; margin: 0 0 8px 12px; }
.class-chosen { font-size: 18px; font-weight: 700; color: #1b5e20; }
.class-map { max-width: 840px; }
table.corridor-debrief { border-collapse: collapse; font-size: 14px; }
table.corridor-debrief td, table.corridor-debrief th { border: 1px solid #cfd8dc; padding: 3px 6px;
                                                        vertical-align: top; text-align: left; }
"""


def _follow(session: ClassSession, cancel: threading.Event) -> None:
    """Move `changes` on when the session changes (and every second, for the clock), at most
    every `REDRAW_S`, until the page closes."""
    closed = solara.kernel_closed_event()
    seen = -1
    while not cancel.is_set() and not closed.is_set():
        started = time.monotonic()
        seen = session.wait_change(seen, 1.0)
        changes.value += 1
        cancel.wait(max(0.0, REDRAW_S - (time.monotonic() - started)))


def _map(session: ClassSession, faction: int | None, units_shown: bool = True) -> str:
    """The map as `faction` sees it (None: every unit); no units at all without `units_shown`."""
    with session.cond:
        model = session.run.model
        if not units_shown:
            units = []
        else:
            units = visible_units(model, None if session.revealed else faction)
        return render_map(model, legend=True, units=units)


@solara.component
def Header(session: ClassSession, who: str):
    _ = changes.value
    with solara.AppBar():
        solara.AppBarTitle(children=[f"Corridor class session — {who}"])
        solara.HTML(tag="span", unsafe_innerHTML=DISCLAIMER, classes=["corridor-stamp"])
    with solara.Row(gap="20px"):
        solara.HTML(tag="span", unsafe_innerHTML=cv.e(session.run.model.clock()), classes=["class-clock"])
        solara.HTML(tag="span", unsafe_innerHTML=cv.e(cv.status_text(session)), classes=["class-status"])
    if problem.value:
        with solara.Row():
            solara.Error(problem.value, classes=["corridor-problem"], dense=True)
            solara.Button("Dismiss", on_click=lambda: problem.set(""), text=True)


@solara.component
def TeacherConsole(session: ClassSession, join_url: str):
    _ = changes.value
    debrief = solara.use_reactive("")

    def make_debrief() -> None:
        computer = planners_only(session.run)
        teams = {f: f"team {t.name}" for f in session.commandable if (t := session.team_of(f)) is not None}
        with session.cond:
            text = debrief_html(session.run, computer, teams)
            maps = render_map(session.run.model) + render_map(computer.model)
        debrief.value = text + '<h3>The class\'s map (left) and the computer planners\' (right)</h3>' + \
            f'<div style="display:flex;gap:10px">{maps}</div>'

    solara.use_thread(lambda: make_debrief() if session.ended and not debrief.value else None,
                      dependencies=[session.ended])
    Header(session, "teacher's console")
    with solara.Row(gap="30px", classes=["class-teacher"]):
        with solara.Column(gap="4px"):
            solara.HTML(tag="div", unsafe_innerHTML="Join at", classes=["class-own"])
            solara.HTML(tag="div", unsafe_innerHTML=cv.e(join_url), classes=["class-url"])
            solara.HTML(tag="div", unsafe_innerHTML="with the code", classes=["class-own"])
            solara.HTML(tag="div", unsafe_innerHTML=cv.e(session.join_code), classes=["class-code"])
            solara.HTML(tag="div", unsafe_innerHTML=cv.qr_svg(join_url), classes=["class-qr"])
        with solara.Column(gap="6px"):
            solara.HTML(unsafe_innerHTML=cv.teams_html(session))
            with solara.Row(gap="8px"):
                solara.Button("Start / next cycle", on_click=lambda: guard(session.advance),
                              disabled=session.ended, classes=["class-advance"], color="primary")
                solara.Button("Pause", on_click=lambda: guard(session.pause),
                              disabled=session.ended or session.paused, classes=["class-pause"])
                solara.Button("Hide the map" if session.revealed else "Reveal the whole map",
                              on_click=lambda: guard(lambda: session.reveal(not session.revealed)),
                              classes=["class-reveal"])
                solara.Button("End the session", on_click=lambda: guard(session.end), disabled=session.ended,
                              classes=["class-end"], color="error")
            with solara.Row(gap="8px"):
                solara.HTML(tag="div", unsafe_innerHTML=("Scores are shown to the teams." if session.show_scores
                                                         else "Scores are hidden from the teams."),
                            classes=["corridor-help"])
                solara.Button("Hide the scores" if session.show_scores else "Show the scores",
                              on_click=lambda: guard(lambda: session.show(not session.show_scores)),
                              classes=["class-scores"], text=True)
    if session.ended:
        heading("h2", "Debrief")
        if debrief.value:
            solara.HTML(unsafe_innerHTML=debrief.value, classes=["class-debrief"])
        else:
            solara.HTML(tag="div", unsafe_innerHTML="Running the computer planners on the same seed…",
                        classes=["class-status"])
        return
    note = "" if session.revealed else " (units hidden on the projector: Reveal shows them)"
    heading("h3", "The map" + note)
    solara.HTML(unsafe_innerHTML=_map(session, None, session.revealed), classes=["class-map"])


@solara.component
def ChooseFaction(session: ClassSession, seat: str):
    _ = changes.value
    labels = session.run.model.factions.labels
    heading("h3", "Choose your faction")
    with solara.Column(gap="6px", classes=["class-factions"]):
        for f, label in enumerate(labels):
            if f in session.commandable:
                holder = session.team_of(f)
                taken = f" (team {holder.name})" if holder is not None else ""
                solara.Button(f"Command {label}{taken}", disabled=holder is not None,
                              on_click=lambda f=f: guard(lambda: session.take(seat, f)), classes=["class-take"])
            else:
                solara.Button(f"Watch as {label}", on_click=lambda f=f: guard(lambda: session.take(seat, f)),
                              classes=["class-watch"], text=True)


@solara.component
def Orders(session: ClassSession, seat: str, faction: int):
    _ = changes.value
    options = session.options_for(faction)
    if options is None:
        return
    chosen = session.cycle.picks.get(faction) if session.cycle is not None else None
    heading("h3", "Your orders for this planning cycle")
    if chosen is not None:
        said = {WAIT: "hold (wait)", STAFF: "let the staff decide"}.get(chosen, chosen)
        solara.HTML(tag="div", unsafe_innerHTML=cv.e(f"Your order: {said}. You can change it until the time is up."),
                    classes=["class-chosen"])
    # keyed: the order said above it comes with the first pick, which would make the buttons anew
    with solara.Column(gap="2px", classes=["class-options"]).key("options"):
        for option in options:
            action, reason = cv.option_text(option, session.show_scores)
            solara.Button(action[:1].upper() + action[1:], classes=["class-option"],
                          on_click=lambda a=option.action: guard(lambda: session.pick(seat, a)))
            solara.HTML(tag="div", unsafe_innerHTML=cv.e(reason), classes=["class-reason"])
        with solara.Row(gap="8px"):
            solara.Button("Hold (wait)", on_click=lambda: guard(lambda: session.pick(seat, WAIT)),
                          classes=["class-hold"])
            solara.Button("Let the staff decide", on_click=lambda: guard(lambda: session.pick(seat, STAFF)),
                          classes=["class-staff"])


@solara.component
def TeamView(session: ClassSession, seat: str):
    _ = changes.value
    team = session.team(seat)
    Header(session, f"team {team.name}")
    if team.faction is None:
        ChooseFaction(session, seat)
        return
    commands = session.team_of(team.faction) is team
    with session.cond:  # the model's thread waits while the panels read the run
        figures = cv.own_figures_html(session, team.faction)
        log_text = cv.team_log_html(session, team.faction)
    with solara.Row(gap="14px", classes=["corridor-single"]):
        with solara.Column(gap="4px", classes=["corridor-mapcol"]):
            solara.HTML(unsafe_innerHTML=figures)
            solara.HTML(unsafe_innerHTML=_map(session, team.faction), classes=["class-map", "class-team-map"])
        with solara.Column(gap="4px", classes=["corridor-right"]):
            if commands:
                Orders(session, seat, team.faction)
            else:
                solara.HTML(tag="div", unsafe_innerHTML="You watch: another team or the rules command.",
                            classes=["corridor-help"])
            solara.HTML(unsafe_innerHTML=log_text, classes=["corridor-logbox"])


@solara.component
def Page():
    session = current()
    solara.use_thread(lambda cancel: session and _follow(session, cancel), dependencies=[],
                      intrusive_cancel=False)
    solara.Title("Corridor — class session")
    solara.Style(CLASS_CSS)
    if session is None:
        solara.Error("No class session is running here (start one with `python run.py viz --class`).")
        return
    _ = changes.value
    cookies = solara.lab.cookies.value or {}
    if session.check_teacher(cookies.get(TEACHER_COOKIE)):
        TeacherConsole(session, session.join_url)
    elif session.check_code(cookies.get(CODE_COOKIE)) and session.team(cookies.get(SEAT_COOKIE)) is not None:
        TeamView(session, cookies[SEAT_COOKIE])
    else:
        solara.Error("This class session needs its join code: open the join page (/join) and enter it.")
