"""Where the suite's CPU goes: a pytest plugin that records each test's CPU time, and a summary.

Record (one JSON line per test, appended, so a suite measured in chunks adds up in one file):

    pytest -p cpuclock --cpuclock=/tmp/cpu.jsonl tests/test_x.py -q

Each line: `test` (node id), `file`, `cpu_s` (this process's user + system CPU, seconds, over the
test's setup, call and teardown: a module or session fixture is charged to the first test that
uses it, its teardown to the test after which it ends: a session fixture's to a worker's last test),
`children_s` (user + system CPU of the subprocesses reaped meanwhile: CLI processes,
servers, browsers, pool workers that exited; a worker still alive is not counted), `outcome`,
`worker` (`PYTEST_XDIST_WORKER`, or `main`), and `start`, `end` (wall clock, Unix seconds: how
a run's tests fell on its workers over time, and where a worker waited). Summarise:

    python tests/cpuclock.py /tmp/cpu.jsonl [--top 40]

prints the slowest tests and the per-file totals as Markdown tables (docs/performance.md keeps them).
CPU time, not wall time: on a shared machine wall time measures the other users.

The plugin misses processes orphaned before they are reaped (a fork server's pool workers in a
Jupyter kernel or an xdist worker, some of Chromium's). The CPU of a command and of every process
it starts, orphans included (this process becomes their child subreaper, Linux only):

    python tests/cpuclock.py --every-process -- python -m pytest tests/test_x.py -q
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pytest_addoption(parser) -> None:
    parser.addoption("--cpuclock", metavar="PATH", default=None,
                     help="append each test's CPU seconds (its own and its reaped subprocesses') to PATH as JSON lines")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    path = item.config.getoption("cpuclock")
    if path is None:
        yield
        return
    own, children, start = time.process_time(), _children_cpu(), time.time()
    reports = []
    item.stash[_REPORTS] = reports
    yield
    line = {"test": item.nodeid, "file": item.nodeid.split("::")[0],
            "cpu_s": round(time.process_time() - own, 3), "children_s": round(_children_cpu() - children, 3),
            "outcome": "failed" if "failed" in reports else ("skipped" if "skipped" in reports else "passed"),
            "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"), "start": round(start, 3), "end": round(time.time(), 3)}
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


_REPORTS = pytest.StashKey[list]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    reports = item.stash.get(_REPORTS, None)
    if reports is not None:
        rep = outcome.get_result()
        if rep.failed or rep.skipped:
            reports.append(rep.outcome)


def summarise(lines: list[dict], top: int) -> str:
    """The `top` costliest tests, each worker's tests, CPU and span of wall time, and the per-file
    totals (CPU seconds, own + children) as Markdown."""
    def total(line):
        return line["cpu_s"] + line["children_s"]

    rows = sorted(lines, key=total, reverse=True)
    grand = sum(map(total, lines))
    out = [f"{len(lines)} tests, {grand:.1f} s of CPU ({sum(x['children_s'] for x in lines):.1f} s of it in subprocesses)", "",
           "| # | test | CPU s | of which subprocesses |", "|---:|---|---:|---:|"]
    out += [f"| {i} | `{x['test'].removeprefix('tests/')}` | {total(x):.1f} | {x['children_s']:.1f} |"
            for i, x in enumerate(rows[:top], 1)]
    files: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    for x in lines:
        files[x["file"]][0] += total(x)
        files[x["file"]][1] += 1
    workers: dict[str, list[dict]] = defaultdict(list)
    for x in lines:
        workers[x["worker"]].append(x)
    if all("start" in x for x in lines):  # lines of an older plugin have no clock
        out += ["", "| worker | tests | CPU s | wall s, first start to last end |", "|---|---:|---:|---:|"]
        out += [f"| {name} | {len(xs)} | {sum(map(total, xs)):.1f} | "
                f"{max(x['end'] for x in xs) - min(x['start'] for x in xs):.1f} |" for name, xs in sorted(workers.items())]
    out += ["", "| file | tests | CPU s |", "|---|---:|---:|"]
    out += [f"| `{name.removeprefix('tests/')}` | {n} | {cpu:.1f} |"
            for name, (cpu, n) in sorted(files.items(), key=lambda kv: kv[1][0], reverse=True)]
    return "\n".join(out)


def every_process(command: list[str]) -> int:
    """Run `command` as a child subreaper (prctl PR_SET_CHILD_SUBREAPER), reap every descendant,
    and print the user and system CPU seconds of them all; its exit status.

    Orphans are reaped as they exit, as init would, not once the command has ended: an orphan left
    a zombie looks alive to whoever waits for it to exit (psutil.wait_procs in
    tests/robustness/test_robustness_signals.py waits for a killed sweep's pool workers)."""
    import ctypes

    if ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
        print("--every-process: prctl(PR_SET_CHILD_SUBREAPER) failed (Linux only)", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        main_pid = os.posix_spawnp(command[0], command, os.environ)
    except OSError as err:
        print(f"--every-process: {command[0]}: {err.strerror}", file=sys.stderr)
        return 2
    code = 2
    while True:  # the command, and the orphans adopted meanwhile, as each exits
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if pid == main_pid:
            code = os.waitstatus_to_exitcode(status)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"every process: {usage.ru_utime:.1f} s user + {usage.ru_stime:.1f} s sys CPU, "
          f"{time.monotonic() - started:.0f} s wall, exit status {code}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--every-process"]:
        command = argv[2:] if argv[1:2] == ["--"] else argv[1:]
        if not command:
            print("--every-process: expected a command after it", file=sys.stderr)
            return 2
        return every_process(command)
    parser = argparse.ArgumentParser(description="Summarise the CPU seconds `pytest -p cpuclock --cpuclock=PATH` recorded "
                                     "(or, with --every-process -- CMD, the CPU of CMD and every process it starts).")
    parser.add_argument("paths", nargs="+", type=Path, help="JSON-lines files written by the plugin")
    parser.add_argument("--top", type=int, default=40, help="how many of the costliest tests to list (default 40)")
    args = parser.parse_args(argv)
    lines = []
    for path in args.paths:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            print(f"{path}: {err.strerror}", file=sys.stderr)
            return 2
        lines += [json.loads(row) for row in text.splitlines() if row.strip()]
    last = {x["test"]: x for x in lines}  # a test measured twice: its last run
    print(summarise(list(last.values()), args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
