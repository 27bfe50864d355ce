"""Shared helpers: the project root, and running seeded replicates of a scenario."""

from __future__ import annotations

import io
import os
import subprocess
from contextlib import redirect_stderr, redirect_stdout
from functools import cache
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


@pytest.fixture
def root() -> Path:
    return ROOT


@cache
def replicate_summaries(scenario: str, n: int, overrides: tuple = ()) -> list[dict]:
    """Summaries of `n` runs of a shipped scenario with seeds 1..n (common random numbers:
    the same seeds in every arm, so differences between arms are paired)."""
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    loaded = load_scenario(SCENARIOS / scenario, overrides=dict(overrides))
    return [CorridorModel(loaded, seed).run().summary for seed in range(1, n + 1)]


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`python run.py ARGS` run from `cwd`, in this process: its exit status and what it prints
    to stdout and stderr, for tests of what a command says (a process costs about 1 s of
    imports; tests/test_cli_run.py and tests/test_sweep_errors.py start real ones)."""
    from sim.program.cli import main

    out, err, previous = io.StringIO(), io.StringIO(), os.getcwd()
    os.chdir(cwd)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as stop:  # argparse refuses a flag by exiting, as the process would
                code = stop.code
    finally:
        os.chdir(previous)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


COARSE = {"map.cell_km": 2.0, "time.step_hours": 2.0}  # fast settings for unit tests of a mechanism


@cache
def _coarse_loaded(scenario: str, days: float, overrides: tuple):
    from sim.scenario import load_scenario

    return load_scenario(SCENARIOS / scenario, overrides={**COARSE, "time.duration_days": days, **dict(overrides)})


def coarse_model(scenario: str, days: float = 2.0, seed: int = 1, **overrides):
    """A fresh `CorridorModel` of a shipped scenario at 2 km cells and 2 h steps (loaded once)."""
    from sim.model import CorridorModel

    return CorridorModel(_coarse_loaded(scenario, days, tuple(sorted(overrides.items()))), seed)


def faction_pair(model, a: str = "iran_militia", b: str = "russia") -> tuple[int, int]:
    """The faction indices of `a` and `b` in `model`."""
    return model.factions.index(a), model.factions.index(b)


def paired_difference(a: list[float], b: list[float]) -> tuple[float, float]:
    """Mean of b − a over paired replicates, and its standard error."""
    d = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0


def group_for_xdist(config, items) -> None:
    """Under `pytest -n N --dist loadgroup` (a worker has `config.option.loadgroup`), suffix each
    test marked `xdist_group(NAME)` with `@NAME`, which is how xdist's scheduler sends a group to
    one worker. pytest-xdist 3.8 does this by setting `item._nodeid`, which pytest 9 no longer
    reads (a node's id lives in `item._id`, a `_pytest.nodeid.NodeId`): every group was silently
    ignored, so a group's cached replicates and module fixtures (one app server for the browser
    tests) were built again in the other worker. Under pytest 8 xdist's own suffix works and
    this does nothing."""
    if not getattr(config.option, "loadgroup", False):
        return
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # pytest 8
        return
    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        suffix = f"@{'_'.join(names)}"
        if names and not item.nodeid.endswith(suffix):
            item._id = NodeId.parse(item.nodeid + suffix)


def pytest_collection_modifyitems(config, items):
    """The xdist groups (`group_for_xdist`); and under mutmut (a mutant's run:
    `MUTANT_UNDER_TEST` names a mutant), the cheapest tests first, by the durations mutmut
    recorded in its one instrumented run, so that `-x` stops at the first cheap failure. mutmut
    3.8 hands a mutant's tests to pytest in the order of a Python set, so a mutant a 0.1 s unit
    test kills could first sit through a 20 s scenario test."""
    import os

    group_for_xdist(config, items)
    if "__mutmut_" not in os.environ.get("MUTANT_UNDER_TEST", ""):
        return
    from mutmut.state import state

    durations = state().duration_by_test
    items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """(address, server log) of one `run.py viz` for the browser tests of tests/test_app_browser.py
    and tests/test_app_browser_play.py (tests/browser.py): they are one xdist group, so one worker
    starts it once, when the first of them asks, and stops it at the end of the session (a second
    server cost ~21 s of CPU more than the balance it bought, docs/performance.md)."""
    from browser import serve_app

    yield from serve_app(tmp_path_factory)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for a browser test module, or skip (fail in CI) (tests/browser.py).
    Per module, not per session: Playwright's sync API runs an event loop in this thread while it
    is open, and tests/test_app_class_browser.py opens its own."""
    from browser import launch_chromium

    yield from launch_chromium()


@pytest.fixture
def page(browser):
    """A page at 1280 × 720 in a fresh context of the module's Chromium (tests/browser.py)."""
    from browser import open_page

    yield from open_page(browser)
