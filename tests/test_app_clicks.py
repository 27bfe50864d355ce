"""A click is not lost to a re-render: a button the page still shows keeps its widget, and so its
click handler, when the page around it changes (a background action starting and ending, a
problem shown, the drawer opened or closed, an export's result). reacton keys an element by its place
among the elements its component renders; an element that changes place (one shown before it),
or a component whose single root becomes a fragment of two, is made anew with every widget under
it, and the old button's handler is removed while the browser still shows it: its click raised
"KeyError: 'click'" in the server's log and was lost (the browser tests' Controls button, after a
background action ended, under load). The page is rendered in a Solara kernel context of its own,
as the server does for a tab; `click()` is what the browser's click runs on the server."""

from __future__ import annotations

import ipywidgets
import pytest
import solara
import solara.server.app  # noqa: F401 - patches ipywidgets so that widgets live in a kernel
from solara.server import kernel, kernel_context

import sim.app.page as page
from sim.app import actions, drawer


def _shown(root: ipywidgets.Widget) -> dict[str, ipywidgets.Widget]:
    """The widgets under `root` with a `corridor-` class (the page's buttons, boxes and panels),
    by the first such class."""
    found: dict[str, ipywidgets.Widget] = {}

    def walk(widget) -> None:
        names = [c for c in (getattr(widget, "class_", None) or "").split() if c.startswith("corridor-")]
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
def tab(monkeypatch):
    """(the page's root widget, its Controller) in a kernel context of its own, closed after."""
    made = []
    build = page.new_controller

    def tracked():
        made.append(build())
        return made[-1]

    monkeypatch.setattr(page, "new_controller", tracked)
    monkeypatch.setattr(page, "watch_tab", lambda ctl: None)  # its thread would outlive the test
    context = kernel_context.VirtualKernelContext(id="clicks-test", session_id="clicks-test", kernel=kernel.Kernel())
    kernel_context.contexts[context.id] = context
    context.page_status["clicks-test-page"] = kernel_context.PageStatus.CONNECTED
    try:
        with context:
            box, render_context = solara.render(page.Page(), handle_error=False)
            context.app_object = render_context
            yield box, made[0]
    finally:
        context.close("page-close")
        kernel_context.contexts.pop(context.id, None)


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
