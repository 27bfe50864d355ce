"""A closed browser tab frees its runs (issue 23): the page is rendered in a Solara kernel
context of its own, as the server does for a tab, played, and the context closed as when the
tab's page goes away; after a garbage collection nothing may still hold the tab's
`Controller` or its models (a play loop still running, a cache, a module-level dict would), and
the tab hands its `Controller` to `sim.app.memory.watch_tab`, which gives the memory back once
it is collected."""

from __future__ import annotations

import gc
import time
import weakref

import pytest
import solara
import solara.server.app  # noqa: F401 - patches ipywidgets so that widgets live in a kernel
from solara.server import kernel, kernel_context

import sim.app.page as page
from sim.app import actions, state

WAIT_S = 20.0  # for the play loop to take a step, and for the closed tab's threads to end


def _wait(condition, seconds: float = WAIT_S) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.slow
def test_a_closed_tab_frees_its_runs(monkeypatch):
    made: list[weakref.ref] = []
    build = state.Controller.__init__

    def tracked(self, *args, **kwargs):
        build(self, *args, **kwargs)
        made.append(weakref.ref(self))

    monkeypatch.setattr(state.Controller, "__init__", tracked)
    watched: list[weakref.ref] = []
    monkeypatch.setattr(page, "watch_tab", lambda tab: watched.append(weakref.ref(tab)))
    context = kernel_context.VirtualKernelContext(id="memory-test", session_id="memory-test",
                                                  kernel=kernel.Kernel())
    kernel_context.contexts[context.id] = context
    try:
        with context:
            box, render_context = solara.render(page.Page(), handle_error=False)
            context.app_object = render_context
            assert len(made) == 1, f"expected the page to build one Controller, found {len(made)}"
            ctl = made[0]()
            models = [weakref.ref(side.run.model) for side in ctl.sides]
            actions.playing.value = True  # a tab closed while playing, as the load test does
            assert _wait(lambda: made[0]().steps > 0), "expected the play loop to step the run"
        del ctl, box, render_context  # what the server would no longer hold either
        context.close("page-close")
        assert len(watched) == 1 and watched[0]() is made[0](), (
            f"expected the closed tab to hand its Controller to watch_tab once, found {len(watched)} calls")
    finally:
        kernel_context.contexts.pop(context.id, None)

    def freed() -> bool:
        gc.collect()
        return made[0]() is None and all(m() is None for m in models)

    assert _wait(freed), ("expected the closed tab's Controller and models to be collected; still alive: "
                          f"Controller {made[0]() is not None}, models {[m() is not None for m in models]}")
