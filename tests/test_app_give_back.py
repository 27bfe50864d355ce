"""A closed tab's memory is given back (sim.app.memory): `watch_tab` waits, collecting garbage,
until the tab's objects are gone, and only then returns the freed heap to the system."""

from __future__ import annotations

import gc
import time
import weakref

import pytest

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


def test_tabs_closed_together_are_watched_by_one_thread_and_given_back_once(monkeypatch):
    """Ten tabs closed at once: one watcher thread for all (one collection per poll, not one per
    tab: ten threads each collecting the whole server every second starved it), and the
    memory given back once, by the collection that freed them all."""
    tabs = [_Tab() for _ in range(10)]
    calls = _record_give_back(monkeypatch, tabs[0])
    gc.disable()  # only the watcher's own collections free the tabs: all ten in the same one
    try:
        threads = []
        for tab in tabs:
            threads.append(memory.watch_tab(tab, poll_s=0.05, give_up_s=30.0))
        del tab, tabs
        threads[0].join(timeout=20.0)
    finally:
        gc.enable()
    assert len({id(t) for t in threads}) == 1, (
        f"expected the ten tabs watched by one thread, found {len({id(t) for t in threads})} threads")
    assert not threads[0].is_alive(), "expected the watcher to end once every tab was collected"
    assert [gone for _, gone in calls] == [True], (
        f"expected the memory given back once, after the tabs were collected; found {calls}")


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


class _Libc:
    """Stands for glibc: records its calls to `malloc_trim` into `order`."""

    def __init__(self, order: list):
        self.order = order

    def malloc_trim(self, pad: int) -> int:
        self.order.append(("malloc_trim", pad))
        return 1


def test_giving_back_collects_then_trims_the_heap_where_glibc_is(monkeypatch):
    """What a closed tab frees is returned to the system by glibc's `malloc_trim(0)`, after a
    collection (a tab's objects are garbage only in reference cycles); without glibc, no trim."""
    tab, order = _Tab(), []
    ref, libc = weakref.ref(tab), _Libc(order)
    del tab  # only a collection frees it
    monkeypatch.setattr(memory, "_libc", lambda: libc)
    collect = gc.collect
    monkeypatch.setattr(memory.gc, "collect", lambda: order.append(("collect", ref() is None)) or collect())
    gc.disable()
    try:
        memory.give_back()
    finally:
        gc.enable()
    assert ref() is None, "expected giving back to collect the tab held in a reference cycle"
    assert order == [("collect", False), ("malloc_trim", 0)], (
        f"expected one collection, then malloc_trim(0) (all free pages back), found {order}")
    monkeypatch.setattr(memory, "_libc", lambda: None)
    memory.give_back()  # no glibc (macOS, musl): a collection and nothing else, no error


def test_the_server_keeps_every_thread_on_the_main_arena_from_its_start(monkeypatch):
    """`malloc_trim` trims the free top of glibc's main arena only, never a thread arena's: `viz`
    starts itself again with `MALLOC_ARENA_MAX=1`, so that no thread, not even one made before
    the server (OpenBLAS's, as numpy loads), gets an arena of its own (docs/app.md)."""
    import os

    seen: list[str | None] = []
    for name in ("PYTHONMALLOC", "MALLOC_ARENA_MAX", "GLIBC_TUNABLES", "ARROW_DEFAULT_MEMORY_POOL"):
        monkeypatch.setenv(name, "")  # recorded, so that the value the call sets is undone too
        monkeypatch.delenv(name)
    monkeypatch.setattr(memory.os, "execv", lambda exe, argv: seen.append(os.environ.get("MALLOC_ARENA_MAX")))
    memory.use_system_allocator()
    assert seen == ["1"], f"expected the new start under MALLOC_ARENA_MAX=1, found {seen}"
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")  # the user's own cap is kept
    monkeypatch.delenv("PYTHONMALLOC")
    memory.use_system_allocator()
    assert seen == ["1", "4"], f"expected the user's MALLOC_ARENA_MAX=4 kept, found {seen[1:]}"


def test_the_server_keeps_no_thread_cache_of_freed_blocks(monkeypatch):
    """glibc keeps up to 7 freed blocks of each small size per thread, counted as in use, so
    `malloc_trim` cannot return their pages while the thread lives: `viz` starts itself again with
    glibc's thread cache off (`GLIBC_TUNABLES=glibc.malloc.tcache_count=0`), added to the user's
    tunables, and a cache size the user chose is kept (docs/app.md, issue 23's fifth pass)."""
    import os

    seen: list[str | None] = []
    for name in ("PYTHONMALLOC", "MALLOC_ARENA_MAX", "GLIBC_TUNABLES", "ARROW_DEFAULT_MEMORY_POOL"):
        monkeypatch.setenv(name, "")  # recorded, so that the value the call sets is undone too
        monkeypatch.delenv(name)
    monkeypatch.setattr(memory.os, "execv", lambda exe, argv: seen.append(os.environ.get("GLIBC_TUNABLES")))
    for user in (None, "glibc.malloc.mmap_threshold=65536", "glibc.malloc.tcache_count=3"):
        monkeypatch.delenv("PYTHONMALLOC", raising=False)
        if user is None:
            monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
        else:
            monkeypatch.setenv("GLIBC_TUNABLES", user)
        memory.use_system_allocator()
    assert seen == ["glibc.malloc.tcache_count=0",
                    "glibc.malloc.mmap_threshold=65536:glibc.malloc.tcache_count=0",
                    "glibc.malloc.tcache_count=3"], (
        f"expected the thread cache turned off (alone, after the user's own tunable) and the user's "
        f"cache size kept; found {seen}")


def test_the_server_keeps_arrows_buffers_on_malloc(monkeypatch):
    """pandas keeps text columns in Arrow, whose default pool (mimalloc) keeps freed memory outside
    the heap that `malloc_trim` returns: `viz` starts itself again with
    `ARROW_DEFAULT_MEMORY_POOL=system`, and a pool the user chose is kept."""
    import os

    seen: list[str | None] = []
    for name in ("PYTHONMALLOC", "MALLOC_ARENA_MAX", "GLIBC_TUNABLES", "ARROW_DEFAULT_MEMORY_POOL"):
        monkeypatch.setenv(name, "")  # recorded, so that the value the call sets is undone too
        monkeypatch.delenv(name)
    monkeypatch.setattr(memory.os, "execv",
                        lambda exe, argv: seen.append(os.environ.get("ARROW_DEFAULT_MEMORY_POOL")))
    memory.use_system_allocator()
    monkeypatch.delenv("PYTHONMALLOC")
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
    memory.use_system_allocator()
    assert seen == ["system", "jemalloc"], (
        f"expected Arrow's pool on the system allocator, and the user's jemalloc kept; found {seen}")


def test_viz_runs_itself_again_with_python_objects_on_the_system_allocator(monkeypatch):
    """Python's own allocator keeps a 1 MiB arena for any one object left in it; `viz` runs
    itself again (same command) with `PYTHONMALLOC=malloc`, whose freed pages go back one by one."""
    import os
    import sys

    started: list[tuple[str, list[str], str | None]] = []
    for name in ("PYTHONMALLOC", "MALLOC_ARENA_MAX", "GLIBC_TUNABLES", "ARROW_DEFAULT_MEMORY_POOL"):
        monkeypatch.setenv(name, "")  # recorded, so that the value the call sets is undone too
        monkeypatch.delenv(name)
    monkeypatch.setattr(memory.os, "execv",
                        lambda exe, argv: started.append((exe, argv, os.environ.get("PYTHONMALLOC"))))
    memory.use_system_allocator()
    assert started == [(sys.executable, [sys.executable, *sys.orig_argv[1:]], "malloc")], (
        f"expected the same command started again once under PYTHONMALLOC=malloc, found {started}")
    memory.use_system_allocator()  # the new start sees its own setting and serves
    assert len(started) == 1, f"expected no second start once PYTHONMALLOC is set, found {len(started)}"


def test_an_allocator_the_user_chose_is_kept(monkeypatch):
    started: list[list[str]] = []
    monkeypatch.setenv("PYTHONMALLOC", "pymalloc_debug")
    monkeypatch.setattr(memory.os, "execv", lambda exe, argv: started.append(argv))
    memory.use_system_allocator()
    assert started == [], f"expected no new start when PYTHONMALLOC is set by the user, found {started}"


@pytest.mark.slow
def test_viz_serves_on_the_system_allocator(tmp_path):
    """`python run.py viz` as a class starts it: the process that serves has PYTHONMALLOC=malloc."""
    import os
    import socket
    import subprocess
    import sys
    from pathlib import Path

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONMALLOC", "MALLOC_ARENA_MAX", "GLIBC_TUNABLES", "ARROW_DEFAULT_MEMORY_POOL")}
    root = Path(__file__).resolve().parents[1]
    with (tmp_path / "viz.log").open("w") as log:
        server = subprocess.Popen([sys.executable, "run.py", "viz", "--port", str(port)], cwd=root, env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert server.poll() is None and time.monotonic() < deadline, (
                f"expected viz to serve on port {port}; its log: {(tmp_path / 'viz.log').read_text()}")
            time.sleep(0.5)
        environ = Path(f"/proc/{server.pid}/environ").read_bytes().split(b"\0")
        assert {b"PYTHONMALLOC=malloc", b"MALLOC_ARENA_MAX=1", b"GLIBC_TUNABLES=glibc.malloc.tcache_count=0",
                b"ARROW_DEFAULT_MEMORY_POOL=system"} <= set(environ), (
            "expected the serving process (same pid, started again) to run under PYTHONMALLOC=malloc, "
            "MALLOC_ARENA_MAX=1, GLIBC_TUNABLES=glibc.malloc.tcache_count=0 and ARROW_DEFAULT_MEMORY_POOL=system")
    finally:
        server.terminate()
        server.wait(timeout=60)


#: Threads that each malloc, for each of glibc's cached sizes from 256 to 1,024 bytes, 7 blocks
#: with a 16 KiB block after each (so no two small ones share a page), free them all and wait;
#: prints the main heap's resident KiB beyond its level before them, after a `malloc_trim(0)`.
_IDLE_THREADS = """
import ctypes, threading
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes, libc.free.argtypes = ctypes.c_void_p, [ctypes.c_size_t], [ctypes.c_void_p]
def heap_kib():
    kib, inside = 0, False
    for line in open("/proc/self/smaps"):
        first = line.split()[0]
        if "-" in first and not first.endswith(":"):
            inside = line.rstrip().endswith("[heap]")
        elif inside and first == "Rss:":
            kib += int(line.split()[1])
    return kib
THREADS = {threads}
idle, ready = threading.Event(), threading.Barrier(THREADS + 1)
def work():
    blocks = []
    for size in range(256, 1025, 16):
        for _ in range(7):
            blocks += [libc.malloc(size), libc.malloc(16384)]
    for block in blocks:
        libc.free(block)
    ready.wait()
    idle.wait()
libc.malloc_trim(0)
before = heap_kib()
threads = [threading.Thread(target=work) for _ in range(THREADS)]
for thread in threads:
    thread.start()
ready.wait()
libc.malloc_trim(0)
print(heap_kib() - before)
idle.set()
"""


@pytest.mark.slow
def test_idle_threads_keep_heap_pages_through_their_caches_unless_viz_turns_them_off():
    """What `NO_THREAD_CACHE` is for, on this machine's glibc: an idle thread that freed 343 small
    blocks (7 of each of 49 sizes, a page apart) keeps the pages of the blocks its cache holds,
    which `malloc_trim` cannot return (all 343 fit in the cache: 343 pages, 1,372 KiB); with
    `viz`'s tunable it keeps none (every block went back to the arena: the trim returns all).
    (With several threads at once their blocks share pages: 4 threads kept ~2,100 KiB.)"""
    import os
    import subprocess
    import sys

    if memory._libc() is None:
        pytest.skip("needs glibc")
    threads, most_kib = 1, 49 * 7 * 4  # one page of 4 KiB for each cached block

    def kept_kib(tunables: str) -> int:
        env = {**os.environ, "MALLOC_ARENA_MAX": "1", memory.TUNABLES_ENV: tunables}
        env.pop("PYTHONMALLOC", None)
        out = subprocess.run([sys.executable, "-c", _IDLE_THREADS.format(threads=threads)], env=env,
                             capture_output=True, text=True, check=True).stdout
        return int(out)

    cached, uncached = kept_kib("glibc.malloc.tcache_count=7"), kept_kib(memory.NO_THREAD_CACHE)
    assert cached - uncached > most_kib / 2, (
        f"expected an idle thread's cache to keep more than half of the {most_kib} KiB its blocks pin "
        f"(glibc's default cache) beyond what they keep under {memory.NO_THREAD_CACHE}; kept {cached} against "
        f"{uncached} KiB")
    assert uncached < 256, (
        f"expected an idle thread without a cache to keep almost nothing of the heap after the trim (< 256 KiB), "
        f"kept {uncached} KiB")
