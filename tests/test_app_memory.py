"""A closed browser tab frees its runs (issue 23): the page is rendered in a Solara kernel
context of its own, as the server does for a tab, played, and the context closed as when the
tab's page goes away; after a garbage collection nothing may still hold the tab's
`Controller` or its models (a play loop still running, a cache, a module-level dict would), and
the tab hands its `Controller` to `sim.app.memory.watch_tab`, which gives the memory back once
it is collected (and whose thread, waiting up to a minute, must not itself keep the tab alive)."""

from __future__ import annotations

import gc
import time
import weakref

import pytest
import solara
import solara.server.app  # noqa: F401 - patches ipywidgets so that widgets live in a kernel
from solara.server import kernel, kernel_context

import sim.app.page as page
from sim.app import actions, memory, state

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

    def watch(tab):  # the real watcher, which must not itself keep the tab alive (it runs 60 s)
        watched.append(weakref.ref(tab))
        return memory.watch_tab(tab)

    monkeypatch.setattr(page, "watch_tab", watch)
    context = kernel_context.VirtualKernelContext(id="memory-test", session_id="memory-test",
                                                  kernel=kernel.Kernel())
    kernel_context.contexts[context.id] = context
    context.page_status["memory-test-page"] = kernel_context.PageStatus.CONNECTED  # as the tab's page is
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


def test_the_watcher_of_a_closed_tab_does_not_itself_keep_the_tab_alive():
    """Solara runs a thread made inside a tab's kernel context in that context, holding it while
    it runs: the watcher, made as the tab closes and waiting up to a minute, must not."""
    context = kernel_context.VirtualKernelContext(id="watcher-test", session_id="watcher-test",
                                                  kernel=kernel.Kernel())
    tab = weakref.ref(context)

    class Runs:  # stands for the tab's runs, which the watcher waits for
        pass

    runs = Runs()
    with context:
        thread = memory.watch_tab(runs, poll_s=0.05, give_up_s=30.0)
    context.close("page-close")
    del context
    assert _wait(lambda: gc.collect() is not None and tab() is None, 10.0), (
        "expected the closed tab's kernel context to be collected while the watcher still waits")
    assert thread.is_alive(), "expected the watcher to wait on for the runs still alive"
    del runs
    thread.join(timeout=20.0)
    assert not thread.is_alive(), "expected the watcher to end once the runs were collected"


def test_play_stops_once_no_page_of_the_tab_is_connected():
    """A tab whose browser went away stops playing at once, not when Solara closes the tab 30 s
    later: the loop takes no step, asks for no frame, and a page that reconnects shows Play."""
    import threading

    from sim.app import toolbar

    context = kernel_context.VirtualKernelContext(id="gone-test", session_id="gone-test", kernel=kernel.Kernel())
    context.page_status["gone-test-page"] = kernel_context.PageStatus.DISCONNECTED
    ctl = state.Controller()
    try:
        with context:
            actions.playing.value = True
            frames = actions.frame.value
            cancel = threading.Event()
            threading.Timer(5.0, cancel.set).start()  # only a loop that plays on needs it: it ends the test
            toolbar.play_loop(ctl, threading.Event(), cancel)
            assert ctl.steps == 0, f"expected no step for a tab without a connected page, took {ctl.steps}"
            assert actions.frame.value == frames, "expected no frame asked for a tab without a connected page"
            assert actions.playing.value is False, "expected Play shown again to a page that reconnects"
    finally:
        context.close("page-close")
