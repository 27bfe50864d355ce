"""Corridor stands alone: the wheel holds the scenarios, the map and the agents as parts of the
one package `sim` (no top-level `agents`), the installed command runs outside the checkout, a
Mesa-style agents.py beside the user's code does not shadow Corridor's agents, and a missing
optional part is one clear line."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile

import pytest

from sim.experiments.engine import check_engine
from sim.program.errors import UserError
from sim.program.extras import EXTRAS, missing_extra

from conftest import ROOT

MESA_STYLE_AGENTS = "from mesa import Agent\n\n\nclass Wolf(Agent):\n    pass\n"


def test_pyproject_names_every_package_and_maps_agents_and_scenarios_into_sim():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    on_disk = {".".join(p.relative_to(ROOT).parts[:-1]) for p in (ROOT / "sim").rglob("__init__.py")}
    missing = on_disk - set(config["packages"])
    assert not missing, f"pyproject.toml [tool.setuptools] packages lacks {sorted(missing)}: they would not install"
    assert config["package-dir"] == {"sim.agents": "agents", "sim.library": "scenarios"}
    assert not any(p == "agents" or p.startswith("agents.") for p in config["packages"])


def test_no_module_imports_a_top_level_agents_package():
    offenders = []
    for folder in ("sim", "agents", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
                offenders += [f"{path.relative_to(ROOT)}:{node.lineno}" for n in names
                              if n == "agents" or n.startswith("agents.")]
    assert not offenders, f"import the agent kinds as sim.agents.*, not agents.*: {offenders}"


def test_a_mesa_style_agents_py_beside_the_user_does_not_break_corridor(tmp_path):
    (tmp_path / "agents.py").write_text(MESA_STYLE_AGENTS, encoding="utf-8")
    code = ("import agents, sim.model\nfrom agents import Wolf\nfrom sim.agents.convoy import Convoy\n"
            "import sim\nr = sim.run('open_road', overrides={'time.duration_days': 2, 'map.cell_km': 3})\n"
            "print(agents.__file__, Convoy.__module__, r.summary['convoy_R1'])")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert str(tmp_path / "agents.py") in done.stdout and "sim.agents.convoy" in done.stdout


@pytest.mark.xdist_group("wheel")
def test_the_wheel_ships_scenarios_and_map_and_runs_outside_the_checkout(tmp_path):
    source = tmp_path / "source"  # built from a copy, so the build leaves nothing in the checkout
    for part in ("sim", "agents", "scenarios"):
        shutil.copytree(ROOT / part, source / part, ignore=shutil.ignore_patterns("__pycache__"))
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / part, source / part)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w",
                            str(tmp_path / "dist")], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("corridor-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in ("sim/library/albu_kamal_blockade.yaml", "sim/library/maps/euphrates_corridor.geojson",
                    "sim/library/sweeps/airstrike_rate.yaml", "sim/agents/convoy.py", "sim/model.py",
                    "sim/library/record/ucdp_ged_euphrates_2017-11-19_2018-12-31.csv",
                    "sim/library/record/towns_2017-09_2018-12.csv", "sim/library/record/mapping.yaml"):
        assert shipped in names, f"the wheel lacks {shipped}"
    assert not any(n.startswith("agents/") for n in names), "the wheel must not install a top-level agents"
    site, work = tmp_path / "site", tmp_path / "work"
    work.mkdir()
    (work / "agents.py").write_text(MESA_STYLE_AGENTS, encoding="utf-8")
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
                                str(wheel)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    env = {**os.environ, "PYTHONPATH": str(site)}

    def corridor(*args):
        return subprocess.run([sys.executable, "-m", "sim", *args], cwd=work, env=env, capture_output=True,
                              text=True, timeout=300)

    listed = corridor("list")
    assert listed.returncode == 0, listed.stderr
    assert str(site / "sim" / "library" / "open_road.yaml") in listed.stdout, listed.stdout
    ran = corridor("run", "open_road", "--no-animation", "--set", "time.duration_days=2", "--set", "map.cell_km=3")
    assert ran.returncode == 0, ran.stderr
    folders = list((work / "outputs").iterdir())
    assert len(folders) == 1 and (folders[0] / "steps.csv").is_file(), "the run folder goes to ./outputs"


def test_a_missing_extra_is_one_line_naming_it(monkeypatch):
    message = missing_extra(ModuleNotFoundError(name="SALib.sample"))
    assert message is not None and "pip install 'corridor[sensitivity]'" in message and "\n" not in message
    assert missing_extra(ModuleNotFoundError(name="numpy")) is None, "a core package is not an extra"
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    named = {extra for extra, _ in EXTRAS.values()}
    assert {"app", "dask", "sensitivity", "bench"} <= named <= set(extras), "sim/program/extras.py names an unknown extra"
    assert all(f"{e}" in extras["all"][0] for e in named), "corridor[all] must include every extra"
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)
    with pytest.raises(UserError, match=r"corridor\[dask\]"):
        check_engine(1, "local")
