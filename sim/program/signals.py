"""Stopping cleanly: SIGTERM (what `timeout`, systemd, Slurm and `kill` send) is handled like
Ctrl-C, and pool worker processes never outlive the command that started them.

* :func:`termination_handled` (around each command of the command line) makes SIGTERM and
  SIGHUP raise :class:`Terminated`, a :class:`KeyboardInterrupt`, in the main thread: every
  ``finally`` runs, so temporary files and staging folders are removed, finished runs stay
  saved, the pool's workers are stopped, and the command exits with 128 + the signal's number.
  A signal the process was started ignoring stays ignored (`nohup` ignores SIGHUP: logging out
  does not stop the sweep, nor its workers). The handlers before it are put back when the
  command ends: a command called in-process (a script, a test) leaves its caller's handlers as
  they were. A stop that lands where Python cannot raise it (in a garbage collector's callback) is
  delivered again in the main thread instead of printed as "Exception ignored" and dropped.
* :func:`stops_held` (around a process pool's shutdown) delays a Ctrl-C or SIGTERM to the end
  of a wait that an interrupt would leave broken.
* :func:`finished` (after the process's command succeeded): a Ctrl-C while the process exits
  is said in one line and the exit status stays 0, the work being done and saved.
* :func:`worker_started` (the initializer of every pool worker) lets the parent alone decide
  about Ctrl-C (the terminal sends it to the whole process group), and asks the kernel to end
  the worker if its parent dies (Linux `PR_SET_PDEATHSIG`); elsewhere a watchdog thread
  checks once a second whether the parent is still there.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator

_PR_SET_PDEATHSIG = 1
_WATCH_SECONDS = 1.0
_RESEND_SECONDS = 0.01  # after the unraisable hook has returned


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by a signal (SIGTERM, SIGHUP)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise(signum, frame) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def termination_handled() -> Iterator[None]:
    """Inside: SIGTERM and SIGHUP raise Terminated in the main thread (no-op in other threads),
    unless ignored (`nohup`); on leaving, the handlers they had before (the default where
    Python installed none)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signums = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    before = {signum: signal.getsignal(signum) for signum in signums}
    for signum in signums:
        if before[signum] is not signal.SIG_IGN:  # ignored by whoever started us (`nohup`): stays ignored
            signal.signal(signum, _raise)
    unraisable, sys.unraisablehook = sys.unraisablehook, _redeliver(sys.unraisablehook)
    try:
        yield
    finally:
        sys.unraisablehook = unraisable
        for signum, handler in before.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


@contextlib.contextmanager
def stops_held() -> Iterator[None]:
    """Inside: a Ctrl-C (or SIGTERM, SIGHUP, where a Python handler raises them) waits for the
    block's end and is then raised as it would have been; a second one is raised at once. For
    a wait that an exception must not cut short: a process pool's shutdown, whose join of the
    pool's manager thread Python 3.12 abandons on an interrupt, taking the thread for ended while
    it still holds the pool's lock; the interpreter then stops the thread as it exits and waits
    forever on that lock at its last garbage collection (`sim.experiments.engine.open_executor`).
    Only in the main thread (signals reach no other); a block left by its own exception raises
    that one."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signums = [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]
    before = {signum: handler for signum in signums if callable(handler := signal.getsignal(signum))}
    held: list[int] = []

    def hold(signum, frame) -> None:
        if held:  # asked again: at once
            before[signum](signum, frame)
        held.append(signum)

    for signum in before:
        signal.signal(signum, hold)
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
    if held:
        before[held[0]](held[0], None)


def _redeliver(hook):
    """`sys.unraisablehook` that sends again a stop which landed where Python cannot raise it (a
    garbage collector's callback, a `__del__`), which Python would print as "Exception ignored" and
    drop, carrying on: the same signal goes to the process again, from a thread a moment later (not
    from the hook, where it would land the same way), so the command stops as for any Ctrl-C or
    SIGTERM. Anything else goes to `hook`."""

    def resend(signum: int) -> None:
        time.sleep(_RESEND_SECONDS)
        os.kill(os.getpid(), signum)

    def redeliver(unraisable) -> None:
        err = unraisable.exc_value
        if isinstance(err, KeyboardInterrupt):
            signum = err.signum if isinstance(err, Terminated) else signal.SIGINT
            threading.Thread(target=resend, args=(signum,), daemon=True, name="stop-again").start()
        else:
            hook(unraisable)

    return redeliver


def interrupt_behind(err: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or termination that `err` was raised while handling, if any: a library's
    clean-up that fails because it was interrupted (matplotlib's GIF writer raises IndexError
    when stopped before its first frame) must not hide the interrupt."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, KeyboardInterrupt):
            return err
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return None


def stop_word(err: KeyboardInterrupt) -> str:
    """How a command stopped by `err` says so: "terminated" (SIGTERM, SIGHUP) or "interrupted" (Ctrl-C)."""
    return "terminated" if isinstance(err, Terminated) else "interrupted"


def say_stopped(err: KeyboardInterrupt, what: str, *, after_bar: bool = False) -> None:
    """Print, on stderr, the one message of a command stopped by `err`: its word (`stop_word`)
    followed by `what` (where it stopped, what is saved, how to go on: " after 6 of 12 runs: …",
    ": …"). It starts on a line of its own: after a progress bar still drawn (`after_bar`) or a
    terminal's echoed ^C, not after a blank line (--quiet, a log). The command line then prints
    no bare word of its own (`said`)."""
    lead = "\n" if after_bar or sys.stderr.isatty() else ""
    print(f"{lead}{stop_word(err)}{what}", file=sys.stderr, flush=True)
    err.said = True


def said(err: KeyboardInterrupt) -> bool:
    """Whether the message of the command stopped by `err` was printed (`say_stopped`)."""
    return getattr(err, "said", False)


def exit_status(err: KeyboardInterrupt) -> int:
    """The exit status of a command stopped by `err`: 128 + the signal (130 for Ctrl-C)."""
    return 128 + (err.signum if isinstance(err, Terminated) else signal.SIGINT)


def finished() -> None:
    """Once the process's command has finished with status 0 (everything written, its last line
    printed), a Ctrl-C while the process exits (pool workers and threads being joined) can undo
    nothing: it is said in one line on stderr and the process still exits 0; a second one is
    ignored (SIGTERM still ends it). From the interpreter's last steps on (after its `atexit`
    calls), where Python puts the default action back and no handler of Python's can run (its
    last garbage collection, which takes a while in a process that ran a hindcast), a Ctrl-C is
    ignored, not the end of the process with status 130 and no word. Only for the process's own
    command line, in its main thread."""
    if threading.current_thread() is not threading.main_thread():
        return

    def said_finished(signum, frame) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("interrupted after the command had finished: everything it wrote is saved", file=sys.stderr, flush=True)

    signal.signal(signal.SIGINT, said_finished)
    atexit.unregister(_ignore_ctrl_c)  # once, however many commands this process ran
    atexit.register(_ignore_ctrl_c)


def _ignore_ctrl_c() -> None:
    """Ignore SIGINT from now on: the interpreter leaves an ignored signal ignored as it exits."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _die_with_parent() -> bool:
    """Ask the kernel to send SIGTERM to this process when its parent dies; False if it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(_WATCH_SECONDS)
        if os.getppid() != parent:
            os._exit(1)


def worker_started() -> None:
    """Initializer of a pool worker: default SIGTERM (it ends the worker), Ctrl-C ignored (the
    parent stops its workers), SIGHUP default unless the parent ignores it (`nohup`), and the
    worker ends when its parent dies."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with contextlib.suppress(ValueError, OSError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP") and signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:  # `nohup`: stays ignored
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    parent = os.getppid()
    if not _die_with_parent():
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="parent-watch").start()
    if parent == 1 or os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
