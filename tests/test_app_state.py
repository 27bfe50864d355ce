"""The app's state logic without a browser: what reset, the sliders, side by side and export do
to the models, and what the live pictures draw."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from sim.app.state import Controller, LiveRun, export_runs, overrides_for, scenario_info
from sim.cli import main
from sim.errors import UserError
from sim.figures.live import LiveCharts, LiveMap
from sim.influence import CONTESTED
from sim.output import MARKER

from conftest import SCENARIOS

BLOCKADE = SCENARIOS / "albu_kamal_blockade.yaml"
OPEN_ROAD = SCENARIOS / "open_road.yaml"


def test_controls_follow_the_scenarios_rules():
    blockade, open_road = scenario_info(BLOCKADE), scenario_info(OPEN_ROAD)
    assert blockade.defaults["stop_probability"] == pytest.approx(0.9)
    assert blockade.rule_keys["stop_probability"] == "checkpoint_blockade"
    assert "stop_probability" not in open_road.defaults, "open_road has no checkpoint rule to control"
    assert scenario_info(SCENARIOS / "agreement_curtails_iran.yaml").defaults["agreement"] is True
    # only values that differ from the scenario become overrides
    assert overrides_for(blockade, {"stop_probability": 0.9}) == {}
    assert overrides_for(blockade, {"stop_probability": 0.4}) == {"rules.checkpoint_blockade.stop_probability": 0.4}


def test_reset_with_a_moved_slider_rebuilds_the_model_with_the_override():
    ctl = Controller(BLOCKADE)
    side = ctl.sides[0]
    ctl.advance(5)
    assert side.run.parameter("stop_probability") == pytest.approx(0.9)
    ctl.set_value(0, "stop_probability", 0.25)
    assert side.changed, "a moved slider waits for reset"
    assert side.run.parameter("stop_probability") == pytest.approx(0.9), "applied only on reset"
    old_model = side.run.model
    ctl.reset()
    model = side.run.model
    assert model is not old_model and model.steps == 0
    assert model.rules_by_key["checkpoint_blockade"].params.stop_probability == pytest.approx(0.25)
    assert side.run.overrides == {"rules.checkpoint_blockade.stop_probability": 0.25}
    assert not side.changed
    with pytest.raises(KeyError, match="airstrike_rate"):
        ctl.set_value(0, "airstrike_rate", 1.0)  # the blockade scenario has no airstrikes rule


def test_side_by_side_runs_share_the_seed_and_step_together():
    ctl = Controller(BLOCKADE, seed=11)
    ctl.compare(True)
    a, b = (side.run for side in ctl.sides)
    assert a.seed == b.seed == 11
    ctl.advance(30)
    assert a.model.steps == b.model.steps == 30
    # same scenario, same settings, same seed: the same run, draw for draw
    assert np.array_equal(a.model.influence.controller, b.model.influence.controller)
    assert [e.text for e in a.model.log.entries] == [e.text for e in b.model.log.entries]

    ctl.choose_scenario(1, OPEN_ROAD)
    assert ctl.sides[1].path == OPEN_ROAD and "stop_probability" not in ctl.sides[1].pending
    assert [side.run.seed for side in ctl.sides] == [11, 11]
    assert [side.run.model.steps for side in ctl.sides] == [0, 0], "both start again, in step"
    ctl.set_seed(None)
    ctl.reset()
    seeds = {side.run.seed for side in ctl.sides}
    assert seeds == {scenario_info(BLOCKADE).seed}
    ctl.compare(False)
    assert len(ctl.sides) == 1


def test_monitors_read_the_running_model():
    run = LiveRun(BLOCKADE)
    assert run.key_place_holder() == "Iran-backed militias"
    assert run.convoys() == [("R1", "waiting")]
    assert run.land_bridge() in ("closed",) or run.land_bridge().startswith("open for ")
    run.advance(72)
    log = run.log_newest_first()
    assert log, "three days of the blockade log something"
    hours = [e.hours for e in run.model.log.entries]
    assert log[0][1] == run.model.log.entries[-1].narrative(), "newest first"
    assert hours == sorted(hours)
    shares = run.shares()
    assert len(shares["day"]) == run.model.recorder.rows == 73
    total = sum(shares[f] for f in run.model.factions.ids) + shares["contested"] + shares["ungoverned"]
    assert np.allclose(total, 1.0)
    assert run.advance(10_000) == run.model.n_steps - 72 and run.finished


def test_live_map_draws_control_and_hatches_contested_ground():
    run = LiveRun(BLOCKADE)
    live = LiveMap(run.model)
    first = Image.open(io.BytesIO(live.render())).convert("RGB")
    assert first.size == live.canvas.get_width_height()
    controller = run.model.influence.controller
    saved = controller.copy()
    controller[:] = CONTESTED
    hatched = np.asarray(Image.open(io.BytesIO(live.render())).convert("RGB"), dtype=float)
    controller[:] = saved
    rows, cols = live.region
    area = hatched[rows, cols].mean(axis=2)
    dark = area[live.stripes] < 90
    assert dark.mean() > 0.8, "contested cells are drawn with dark hatching"
    assert (area[~live.stripes] > 90).mean() > 0.6, "between the hatch lines the terrain shows"


def test_live_charts_follow_the_run():
    run = LiveRun(BLOCKADE)
    charts = LiveCharts(run)
    before = charts.render()
    run.advance(48)
    after = charts.render()
    assert before != after
    assert charts.filled == 49
    assert not np.isnan(charts.states[0, :49]).any(), "the convoy's state is drawn for every step so far"


def test_export_writes_pictures_and_refuses_to_overwrite(tmp_path):
    run = LiveRun(BLOCKADE)
    run.advance(33)
    out = export_runs([run], tmp_path / "slides")
    names = sorted(p.name for p in out.iterdir() if p.name != MARKER)
    assert names == ["animation.gif", "charts.png", "map.png", "narrative.txt", "screen_charts.png", "screen_map.png"]
    gif = Image.open(out / "animation.gif")
    kept = [f["hours"] for f in run.model.recorder.frames]
    assert 33.0 not in kept and gif.n_frames == len(kept) + 1, "the snapshots kept so far, then now"
    assert "not a forecast" in (out / "narrative.txt").read_text()
    with pytest.raises(UserError, match="already exists"):
        export_runs([run], out)


def test_export_and_viz_commands(tmp_path, capsys):
    out = tmp_path / "export"
    assert main(["export", str(OPEN_ROAD), "--days", "0.5", "--out", str(out),
                 "--set", "rules.reinforcement.max_per_day=5"]) == 0
    assert (out / "map.png").is_file() and (out / "animation.gif").is_file()
    assert "day 0 12:00" in capsys.readouterr().out
    assert main(["export", str(OPEN_ROAD), "--days", "0.5", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["viz", str(tmp_path / "missing.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["viz", str(OPEN_ROAD), "--bench", "3"]) == 0
    assert "3 steps" in capsys.readouterr().out
