"""The README's scenario example is valid and runs, so the documentation cannot rot."""

from __future__ import annotations

import re

from sim.model import CorridorModel
from sim.scenario import load_scenario

from conftest import ROOT, SCENARIOS


def test_readme_example_scenario_validates_and_runs(tmp_path):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    assert "extends: albu_kamal_blockade.yaml" in block
    block = block.replace("extends: albu_kamal_blockade.yaml", f"extends: {SCENARIOS / 'albu_kamal_blockade.yaml'}")
    path = tmp_path / "half_checkpoint.yaml"
    path.write_text(block, encoding="utf-8")
    loaded = load_scenario(path, overrides={"time.duration_days": 11})
    assert loaded.spec.time.step_hours == 2
    assert loaded.rule("checkpoint_blockade").params.stop_probability == 0.5
    assert loaded.rule("checkpoint_blockade").params.by == "iran_militia", "inherited from the parent"
    result = CorridorModel(loaded, seed=1).run()
    assert result.summary["convoy_R1"] in ("arrived", "withdrew", "halted")


def test_readme_mentions_every_command():
    from sim.program.cli import build_parser

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    missing = [c for c in commands if f"run.py {c}" not in text]
    assert not missing, f"README does not document: {missing}"
