"""A closed tab's memory is given back (sim.app.memory): `watch_tab` waits, collecting garbage,
until the tab's objects are gone, and only then returns the freed heap to the system."""

from __future__ import annotations

import gc
import time
import weakref

from sim.app import memory


class _Tab:
    """Stands for a tab's runs: held in a reference cycle, as a closed tab's widgets hold theirs."""

    def __init__(self):
        self.me = self


def _record_give_back(monkeypatch, tab: _Tab) -> list[tuple[float, bool]]:
    """Replace `give_back` by a recorder of (time called, whether `tab` was collected by then)."""
    calls: list[tuple[float, bool]] = []
    ref = weakref.ref(tab)
    monkeypatch.setattr(memory, "give_back", lambda: calls.append((time.monotonic(), ref() is None)))
    return calls


def test_memory_is_given_back_once_a_tab_in_a_cycle_is_collected(monkeypatch):
    tab = _Tab()
    calls = _record_give_back(monkeypatch, tab)
    gc.disable()  # only the watcher's own collections may free the cycle
    try:
        started = time.monotonic()
        thread = memory.watch_tab(tab, poll_s=0.05, give_up_s=30.0)
        del tab
        thread.join(timeout=20.0)
    finally:
        gc.enable()
    assert not thread.is_alive(), "expected the watcher to end once the tab was collected"
    assert len(calls) == 1, f"expected the memory given back once, found {len(calls)} calls"
    when, gone = calls[0]
    assert gone, "expected the memory given back only after the tab's objects were collected"
    assert when - started < 20.0, f"expected it well before giving up (30 s), took {when - started:.1f} s"


def test_a_tab_still_alive_is_waited_for_until_the_watcher_gives_up(monkeypatch):
    tab = _Tab()
    calls = _record_give_back(monkeypatch, tab)
    started = time.monotonic()
    memory.watch_tab(tab, poll_s=0.05, give_up_s=0.5).join(timeout=20.0)
    assert len(calls) == 1, f"expected the memory given back once, at the give-up time; found {len(calls)} calls"
    when, gone = calls[0]
    assert not gone and when - started >= 0.5, (
        f"expected the watcher to wait the whole 0.5 s for a tab still alive, gave back after {when - started:.2f} s")


def test_giving_back_drops_the_fonts_of_threads_that_drew():
    """Each thread that draws gets matplotlib fonts of its own, kept after it ends: a Play's
    thread in the app. Giving back drops them (the next drawing loads its own again)."""
    import threading

    from matplotlib import font_manager
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    def draw() -> None:
        figure = Figure(figsize=(2, 1))
        figure.text(0.1, 0.5, "Albu Kamal")
        FigureCanvasAgg(figure).draw()

    thread = threading.Thread(target=draw)
    thread.start()
    thread.join()
    assert font_manager._get_font.cache_info().currsize > 0, "expected the drawing thread's fonts to be cached"
    memory.give_back()
    assert font_manager._get_font.cache_info().currsize == 0, (
        f"expected no font kept after giving back, found {font_manager._get_font.cache_info().currsize}")
