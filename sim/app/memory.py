"""What a closed browser tab gives back: its runs are collected and the freed memory is handed
back to the system, so that a server that has served a class returns to its memory at rest.

When a tab's page loses its connection, Solara keeps its kernel for
`sim.app.command.CLOSED_TAB_KEPT` (for a page that reconnects) and then closes it; a tab the
browser closes is closed at once (the page's `beforeunload` sends a beacon). Then the tab's
widgets, render tree, `Controller` and models become garbage, but only garbage in reference
cycles, which Python's collector frees at its own pace (a full collection may not come for minutes on an idle server). And what is freed
stays in the process: glibc keeps freed heap pages for reuse until `malloc_trim` returns them.
Measured in a live server (docs/app.md, "Many browsers, one server"): three tabs closed, their
`Controller`s and models all collected, 475 MB resident until `malloc_trim` brought it to 322 MB.

Three more things keep memory after the runs are gone. A thread started in a tab holds the tab:
Solara runs every thread made inside a tab's kernel context in that context, and the thread
keeps it (and so the whole tab) alive until it ends. Matplotlib keeps the fonts it loaded per
drawing thread (up to 64 sets, FreeType faces and glyph caches in C memory), and every Play
starts a thread that draws. And glibc gives the many threads of a class heaps (arenas) of their
own, and `malloc_trim` returns the free pages inside every arena but trims the free end (the
"top") of the main one only: a closed class left 19 MB resident in two thread arenas that held
2 MB of live blocks between them (docs/app.md), hence one arena, the main one, for all threads.

And Python's own small-object allocator (pymalloc) holds memory in 1 MiB arenas that it hands
back only once every object in one is gone: the few hundred objects a class leaves behind (new
worker threads and their queues, caches filled during the lesson) sit scattered over arenas
that the tabs' short-lived objects filled, and keep them all. Counted in a live server after
four tabs had closed and every one of their objects was gone (docs/app.md, "What was still held
after ten tabs"), that was 20 of the 24 MB that stayed. With Python's objects on glibc's malloc
instead (`PYTHONMALLOC=malloc`), what is freed goes back page by page (4 KiB) at `malloc_trim`;
the model and the drawing pay a few per cent of CPU for it (docs/app.md).

Last, glibc keeps in each thread a cache of up to 7 freed blocks of each small size for that
thread's next malloc, counted as in use: an idle thread's cached blocks pin the heap pages they
sit on, which `malloc_trim` cannot return, until the thread ends. After ten tabs the main heap
kept 27 MB beyond its level at rest with the caches and 15-17 MB without (docs/app.md, fifth
pass).

So: `viz` calls `use_system_allocator` first (it runs the command again under
`PYTHONMALLOC=malloc`, `MALLOC_ARENA_MAX=1`, glibc's thread caches off and Arrow's buffers on
malloc); `watch_tab`, called as a tab closes with its `Controller`, hands it to the one watcher thread of the process (outside any tab),
which collects every `POLL_S` while a closed tab's `Controller` is still alive (each at most
`GIVE_UP_S`) and calls `give_back` whenever some were freed: the per-thread fonts dropped, a
collection, `malloc_trim(0)`. One thread for all closed tabs, not one each: ten tabs closed
together had ten threads each running a full collection of the server's ~900,000 objects every
second, competing for the interpreter with a loaded server that was closing the other tabs
(docs/app.md, fourth pass).
Nothing here imports Solara.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys
import threading
import time
import weakref

#: glibc heaps (arenas) the app's server may use. glibc's default, 8 per core, lets each of the
#: many threads a class makes (one per playing tab, Solara's and anyio's workers) fragment a heap
#: of its own, and `malloc_trim(0)` never trims the free top of a thread's arena (glibc 2.36,
#: `mtrim`: only the main arena's top is trimmed): with 2, four closed tabs left 19 MB resident in
#: the second and third arena for 2 MB of live blocks; with 1 every thread shares the main arena,
#: whose top and free pages the trim returns (docs/app.md). One arena costs a lock that the
#: threads mostly take in turns anyway, at the interpreter lock. Set in the environment
#: (`ARENA_ENV`) of the process from its start: `mallopt(M_ARENA_MAX)` called later does not move
#: the threads that allocated before it (OpenBLAS's, made as numpy loads) off the arenas they
#: made, and glibc then hands those arenas round to every later thread (docs/app.md, fourth pass).
ARENAS = 1
POLL_S = 1.0  # seconds between two collections while a closed tab's runs are still alive
GIVE_UP_S = 60.0  # after this long, trim anyway (something else holds the tab: a bug to find)


def _libc():
    """glibc, or None on a system without it."""
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


#: the environment variable that chooses Python's allocator at start-up, and the value for glibc's
ALLOCATOR_ENV, SYSTEM_ALLOCATOR = "PYTHONMALLOC", "malloc"
#: glibc's environment variable for the most heaps (arenas) a process may have, read at its start
ARENA_ENV = "MALLOC_ARENA_MAX"
#: glibc's tunables (`GLIBC_TUNABLES`, "name=value" pairs joined by ':', read at start-up), and
#: the one that turns off each thread's cache of freed blocks: glibc keeps up to 7 freed blocks of
#: each of 64 sizes (up to 1,032 bytes) per thread for that thread's next malloc, and counts them
#: as in use, so `malloc_trim` cannot return the pages they sit on. An idle thread (the anyio
#: workers and Solara threads a class leaves: 17-18 threads after ten tabs, 10-12 at rest) keeps
#: its cache, up to 448 blocks scattered over the heap, each pinning a page; a thread's cache is
#: freed only when the thread ends (glibc manual, "Memory Allocation Tunables"; docs/app.md, issue
#: 23's fifth pass). Without it every malloc goes to the (one) arena: no slower per frame (measured).
TUNABLES_ENV, NO_THREAD_CACHE = "GLIBC_TUNABLES", "glibc.malloc.tcache_count=0"
#: Arrow's environment variable for its default memory pool (read as pyarrow makes the pool), and
#: glibc's malloc for it: pandas 3 keeps text columns in Arrow, whose default pool (mimalloc) keeps
#: what Arrow frees for reuse in a memory reservation of its own, where `malloc_trim` does not reach
#: (+3.7 MB after ten tabs; docs/app.md, fifth pass); on malloc it is in the heap that is trimmed.
ARROW_POOL_ENV, ARROW_ON_MALLOC = "ARROW_DEFAULT_MEMORY_POOL", "system"


def use_system_allocator() -> None:
    """Run this process's command again (`os.execv`: same process id, arguments and
    environment) with Python's objects allocated by the C library's malloc, at most `ARENAS`
    glibc heaps (`MALLOC_ARENA_MAX`, unless set), no per-thread cache of freed blocks
    (`NO_THREAD_CACHE` added to `GLIBC_TUNABLES`, unless it names the cache's size already) and
    Arrow's buffers on malloc too (`ARROW_POOL_ENV`, unless set), unless `PYTHONMALLOC` was set (by this call or by the user, whose choice is kept). All are
    read only at start-up, hence the new start; call it before anything that cannot be done twice."""
    if ALLOCATOR_ENV in os.environ:
        return
    os.environ[ALLOCATOR_ENV] = SYSTEM_ALLOCATOR
    os.environ.setdefault(ARENA_ENV, str(ARENAS))
    os.environ.setdefault(ARROW_POOL_ENV, ARROW_ON_MALLOC)
    tunables = os.environ.get(TUNABLES_ENV, "")
    if NO_THREAD_CACHE.split("=")[0] not in tunables:
        os.environ[TUNABLES_ENV] = ":".join(filter(None, (tunables, NO_THREAD_CACHE)))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])


def give_back() -> None:
    """Drop the fonts matplotlib keeps per drawing thread, collect garbage, and return the
    heap's free pages to the system (glibc's `malloc_trim(0)`; skipped without glibc)."""
    from matplotlib import font_manager

    from sim.figures.lock import DRAWING

    with DRAWING:  # nobody is drawing with a font being dropped
        font_manager._get_font.cache_clear()
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


class _Watcher:
    """The closed tabs still alive (weak references and the time to give up on each) and the
    one thread that waits for them; `lock` guards both."""

    def __init__(self):
        self.lock = threading.Lock()
        self.tabs: list[tuple[weakref.ref, float, float]] = []  # (tab, poll_s, give up at)
        self.thread: threading.Thread | None = None

    def add(self, tab: object, poll_s: float, give_up_s: float) -> threading.Thread:
        with self.lock:
            self.tabs.append((weakref.ref(tab), poll_s, time.monotonic() + give_up_s))
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="corridor-give-back", daemon=True)
                # Solara's server patches `threading.Thread`: a thread made inside a tab's kernel
                # context adopts that context and holds it while it runs, which would keep alive
                # the very tab this thread waits for; this one must run outside any tab
                self.thread.current_context = None
                self.thread.start()
            return self.thread

    def _run(self) -> None:
        while True:
            with self.lock:
                if not self.tabs:
                    self.thread = None  # the next closed tab starts a new one
                    return
                poll_s = min(poll for _, poll, _ in self.tabs)
            time.sleep(poll_s)
            gc.collect()
            with self.lock:
                now, before = time.monotonic(), len(self.tabs)
                self.tabs = [(tab, poll, end) for tab, poll, end in self.tabs if tab() is not None and now < end]
                done = len(self.tabs) < before
            if done:
                give_back()


_WATCHER = _Watcher()


def watch_tab(tab: object, poll_s: float = POLL_S, give_up_s: float = GIVE_UP_S) -> threading.Thread:
    """Once `tab` (an object that owns everything of one browser tab: its kernel context) is
    collected, or after `give_up_s`, give the memory back (`give_back`). Holds `tab` only
    weakly. Every tab is watched by the same (daemon) thread, which collects every `poll_s`
    (the shortest asked for) while any is alive and ends when none is left; returns it."""
    return _WATCHER.add(tab, poll_s, give_up_s)
