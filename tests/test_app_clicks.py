"""A click is not lost to a re-render: a button the page still shows keeps its widget, and so its
click handler, when the page around it changes (a background action starting and ending, a
problem shown, the drawer opened or closed, an export's result; in a class session, a team's
first pick of an order). reacton keys an element by its place among the elements its component
renders; an element that changes place (one shown before it), or a component whose single root
becomes a fragment of two, is made anew with every widget under it, and the old button's handler
is removed while the browser still shows it: a click on it then raised "KeyError: 'click'" in the
server's log, or found its widget closed, and was lost (the browser tests' Controls button,
clicked as the server started a Reset, under load). The page is rendered in a Solara kernel
context of its own, as the server does for a tab; `click()` is what the browser's click runs on
the server. Widgets are told apart by their first `corridor-` or `class-` CSS class."""

from __future__ import annotations

import ipywidgets
import pytest
import solara
import solara.server.app  # noqa: F401 - patches ipywidgets so that widgets live in a kernel
from solara.server import kernel, kernel_context

import sim.app.page as page
from sim.app import actions, drawer


def _shown(root: ipywidgets.Widget) -> dict[str, ipywidgets.Widget]:
    """The widgets under `root` with a `corridor-` or `class-` class (the page's buttons, boxes
    and panels), by the first such class."""
    found: dict[str, ipywidgets.Widget] = {}

    def walk(widget) -> None:
        classes = getattr(widget, "class_", None) or (getattr(widget, "attributes", None) or {}).get("class") or ""
        names = [c for c in classes.split() if c.startswith(("corridor-", "class-"))]
        if names:
            found.setdefault(names[0], widget)
        for child in getattr(widget, "children", None) or ():
            if isinstance(child, ipywidgets.Widget):
                walk(child)

    walk(root)
    return found


def _kept(before: dict, root: ipywidgets.Widget, what: str) -> None:
    now = _shown(root)
    remade = sorted(name for name, widget in before.items() if name in now and now[name] is not widget)
    assert not remade, f"expected {what} to keep the widgets still shown, these were made anew: {remade}"


@pytest.fixture
def kernel_tab():
    """A Solara kernel context of its own, as the server makes for a tab, closed after."""
    context = kernel_context.VirtualKernelContext(id="clicks-test", session_id="clicks-test", kernel=kernel.Kernel())
    kernel_context.contexts[context.id] = context
    context.page_status["clicks-test-page"] = kernel_context.PageStatus.CONNECTED
    try:
        with context:
            yield context
    finally:
        context.close("page-close")
        kernel_context.contexts.pop(context.id, None)


@pytest.fixture
def tab(kernel_tab, monkeypatch):
    """(the app page's root widget, its Controller), rendered in `kernel_tab`."""
    made = []
    build = page.new_controller

    def tracked():
        made.append(build())
        return made[-1]

    monkeypatch.setattr(page, "new_controller", tracked)
    monkeypatch.setattr(page, "watch_tab", lambda ctl: None)  # its thread would outlive the test
    box, render_context = solara.render(page.Page(), handle_error=False)
    kernel_tab.app_object = render_context
    return box, made[0]


def test_a_button_keeps_its_widget_and_its_click_while_the_page_changes(tab, tmp_path):
    box, ctl = tab
    before = _shown(box)
    assert {"corridor-play", "corridor-step", "corridor-reset", "corridor-drawer-toggle", "corridor-right"} <= set(before)

    actions.busy.value = "Resetting…"  # as `background` starts an action: the busy notice shows
    _kept(before, box, "the busy notice's coming")
    before["corridor-drawer-toggle"].click()  # the Controls button the browser showed before
    assert actions.drawer_open.value, "expected the click on Controls to open the drawer"
    _kept(before, box, "the drawer's opening")
    actions.busy.value = ""  # the action is done: the notice goes
    _kept(before, box, "the busy notice's going")

    shown = _shown(box)
    assert "corridor-export" in shown, shown
    actions.problem.value = "Seed: expected a whole number"  # a problem shown above the map
    _kept(shown, box, "a problem shown")
    drawer.exported.value = (drawer._runs(ctl), tmp_path)  # an export's result under its button
    _kept(shown, box, "an export's result")
    actions.problem.value = ""
    _kept(shown, box, "a problem dismissed")

    before["corridor-drawer-toggle"].click()
    assert not actions.drawer_open.value, "expected the click on Hide to close the drawer"
    _kept(shown, box, "the drawer's closing")


def test_a_teams_order_buttons_keep_their_widgets_once_it_picked(kernel_tab):
    """The class session's orders: the first pick shows "Your order: …" above the buttons."""
    from types import SimpleNamespace

    from sim.app import class_page
    from sim.app.session import WAIT

    picks: dict[int, str] = {}
    option = SimpleNamespace(action="reinforce Al-Mayadin", reason="the staff's reason", score=0.5)
    session = SimpleNamespace(options_for=lambda faction: [option], cycle=SimpleNamespace(picks=picks),
                              show_scores=False, pick=lambda seat, action: picks.__setitem__(0, action))
    box, _ = solara.render(class_page.Orders(session, "seat", 0), handle_error=False)
    before = _shown(box)
    assert {"class-option", "class-hold", "class-staff"} <= set(before), before
    before["class-option"].click()
    class_page.changes.value += 1  # as the session's thread says the cycle changed
    assert picks == {0: option.action} and "class-chosen" in _shown(box)
    _kept(before, box, "the team's first pick")
    before["class-hold"].click()  # the team changes its mind at once
    assert picks == {0: WAIT}, "expected the click on Hold to change the order"


def test_an_export_shows_its_share_done_not_an_endless_animation(kernel_tab, monkeypatch, tmp_path):
    """While an export runs, its bar shows the share done, and the page changes only when the share
    does; Vuetify's indeterminate bar kept the browser drawing 60 frames a second for as long as the
    export took (1.5-1.8 s of Chromium's CPU in an export of 7-9 s, 0.5 s with the share:
    docs/performance.md, `make test`, session 15)."""
    import threading
    import time
    from types import SimpleNamespace

    told, release = threading.Event(), threading.Event()

    def export_runs(runs, progress):
        progress(0.25, "frame 3 of 12")
        told.set()
        release.wait(60)
        return tmp_path

    monkeypatch.setattr(drawer, "export_runs", export_runs)
    ctl = SimpleNamespace(sides=[], lock=threading.Lock())
    box, _ = solara.render(drawer.Export(ctl), handle_error=False)
    drawer.export_job(ctl)
    try:
        assert told.wait(60), "the export never told its progress"
        deadline = time.monotonic() + 30
        while "corridor-export-bar" not in _shown(box) and time.monotonic() < deadline:
            time.sleep(0.01)
        shown = _shown(box)
        bar = shown["corridor-export-bar"]
        assert not bar.indeterminate and bar.value == 25, (bar.indeterminate, bar.value)
        assert shown["corridor-export-progress"].children == ["Exporting 25%: frame 3 of 12"]
    finally:
        release.set()
    deadline = time.monotonic() + 30
    while drawer.export_job.pending and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "corridor-export-bar" not in _shown(box) and "corridor-export-done" in _shown(box)
