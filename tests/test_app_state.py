"""The app's state logic without a browser: what reset, the sliders, side by side and export do
to the models, and what the live pictures draw."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from sim.app.controls import overrides_for, scenario_info
from sim.app.export import INCIDENT_KINDS, export_runs, frame_steps, result_so_far
from sim.app.interventions import AIRSTRIKE, SET
from sim.app.lessons import lesson_for, parse_lessons, worksheet_html
from sim.app.monitors import convoy_status, faction_table, latest_row, pair_table, what_happened
from sim.app.state import Controller, LiveRun
from sim.figures.live import LiveMap
from sim.figures.live_charts import LiveCharts
from sim.program.cli import main
from sim.program.errors import UserError
from sim.program.output import MARKER
from sim.program.written import RECORD
from sim.submodels.influence import CONTESTED

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
    assert run.key_place_name == "Albu Kamal", "the checkpoint's place, taken from the scenario"
    assert run.key_place_holder() == "Iran-backed militias"
    assert [(c.label, c.state) for c in convoy_status(run.model)] == [("R1", "waiting")]
    run.advance(27)  # to day 1 03:00: halted at day 1 02:00
    [r1] = convoy_status(run.model)
    assert (r1.state, r1.since_hours, r1.hours_in_state) == ("standoff", 26.0, 1.0)
    run.advance(45)
    log = run.log_newest_first()
    assert log, "three days of the blockade log something"
    hours = [e.hours for e in run.model.log.entries]
    assert log[0][1] == run.model.log.entries[-1].narrative(), "newest first"
    assert log[0][2] == run.model.log.entries[-1].step
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
    assert dark.mean() > 0.75, "contested cells are drawn with dark hatching (labels and lines cover the rest)"
    assert (area[~live.stripes] > 90).mean() > 0.6, "between the hatch lines the terrain shows"


def test_live_map_and_chart_labels_are_legible_on_a_projector():
    """Every text on the live map and chart is at least LABEL_PT (14.5 px on a 1280 × 720 screen;
    the browser test checks the shown size), and places never share a marker with units."""
    from matplotlib.text import Text

    from sim.figures.live import LABEL_PT
    from sim.figures.style import PLACE_STYLE, UNIT_MARKERS

    run = LiveRun(BLOCKADE)
    run.advance(27)
    live, charts = LiveMap(run.model), LiveCharts(run)
    live.render()
    charts.render()
    for fig in (live.fig, charts.fig):
        texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
        small = sorted({(t.get_fontsize(), t.get_text()) for t in texts if t.get_fontsize() < LABEL_PT})
        assert not small, small
    assert not {m for m, _, _ in PLACE_STYLE.values()} & set(UNIT_MARKERS.values())
    assert [t.get_text() for t in live.convoy_labels] == ["R1: standoff"], "the convoy is labelled with its state"


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
    names = sorted(p.name for p in out.iterdir() if p.name not in (MARKER, RECORD))
    assert names == ["animation.gif", "charts.png", "map.png", "narrative.txt", "screen_charts.png", "screen_map.png"]
    from sim.program.written import foreign_file

    assert foreign_file(out, "export") is None, foreign_file(out, "export")  # every file it wrote is in its kind's list (sim.program.written): --force may replace it
    gif = Image.open(out / "animation.gif")
    steps, near = frame_steps(run.model.step_hours, 33, [e.hours for e in run.model.log.entries
                                                          if e.kind in INCIDENT_KINDS])
    assert gif.n_frames == len(steps) and steps[-1] == 33, "a frame for every step chosen, ending now"
    assert gif.size == (840, 500), f"the GIF is drawn at the app's presenter size, not {gif.size}"
    assert "not a forecast" in (out / "narrative.txt").read_text()
    with pytest.raises(UserError, match="already exists"):
        export_runs([run], out)



def test_a_live_run_keeps_no_map_snapshots_on_the_way():
    """The app draws the model as it stands and the export replays its own frames, so a live
    run keeps only its first snapshot (a year of 6-hourly ones was 79 MB a run, docs/performance.md)."""
    run = LiveRun(BLOCKADE)
    run.advance(30)  # 30 h of 1 h steps: 6-hourly snapshots would have kept 6
    kept = [f["hours"] for f in run.model.recorder.frames]
    assert kept == [0.0], f"expected only the snapshot at hour 0 after 30 steps, found those at hours {kept}"
    last = result_so_far(run).frames[-1]
    assert last["hours"] == run.model.hours == 30.0, "expected the export's last frame to be the state now"
    assert np.array_equal(last["controller"], run.model.influence.controller), (
        "expected the export's last frame to hold the control map now")

def test_export_and_viz_commands(tmp_path, capsys, monkeypatch):
    import sim.app.memory

    monkeypatch.setattr(sim.app.memory, "use_system_allocator", lambda: None)  # it would start pytest again
    out = tmp_path / "export"
    assert main(["export", "open_road", "--days", "0.5", "--out", str(out),  # a library name, as `run` takes
                 "--set", "rules.reinforcement.max_per_day=5"]) == 0
    assert (out / "map.png").is_file() and (out / "animation.gif").is_file()
    assert "2017-11-19 12:00 (day 0)" in capsys.readouterr().out, "the clock gives the date, time and day"
    assert main(["export", str(OPEN_ROAD), "--days", "0.5", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["viz", str(tmp_path / "missing.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["viz", "open_raod"]) == 2
    refused = capsys.readouterr().err
    assert "open_raod" in refused and "open_road" in refused, f"a misspelt library name gets a suggestion: {refused}"
    assert main(["viz", str(OPEN_ROAD), "--bench", "3"]) == 0
    printed = capsys.readouterr().out
    assert "3 steps" in printed and "Reset: " in printed and "scenario change" in printed


def test_monitor_row_is_the_step_tables_row_and_new_columns_show_up():
    run = LiveRun(BLOCKADE)
    run.advance(30)
    row = latest_row(run.model)
    table = run.model.recorder.result().steps.iloc[-1].to_dict()
    assert row.keys() == table.keys()
    assert all(row[k] == table[k] for k in row if k not in ("step",)), "same values as `run` writes"
    ids = ["iran_militia", "russia"]
    metrics, by_faction = faction_table({"share_iran_militia": 0.1, "support_russia": 0.4, "area_km2_russia": 9,
                                         "tension_iran_militia_russia": 0.7, "contested_share": 0.0}, ids)
    assert metrics == ["share", "support"], "a new per-faction column appears; area is not shown"
    assert by_faction["russia"] == {"support": 0.4}
    assert pair_table({"tension_iran_militia_russia": 0.7}, ids) == [("tension", "iran_militia", "russia", 0.7)]


class _StopAfter:
    """A stop that is set once `is_set` has been asked `n` times (Pause during a frame)."""

    def __init__(self, n: int):
        self.asked, self.n = 0, n

    def is_set(self) -> bool:
        self.asked += 1
        return self.asked > self.n


def test_pause_during_a_frame_stops_both_sides_between_two_steps_in_step():
    """A frame of 24 h at 1 h steps, side by side, with Pause coming after 7 steps: both sides
    stop after step 7, at the same time; without a stop the frame runs its 24 steps."""
    ctl = Controller(BLOCKADE, seed=11)
    ctl.compare(True)
    ctl.advance(24, stop=_StopAfter(7))
    assert [side.run.model.steps for side in ctl.sides] == [7, 7], "Pause after 7 steps: both sides at step 7"
    ctl.advance(24)
    assert [side.run.model.steps for side in ctl.sides] == [31, 31], "no stop: the whole frame, 7 + 24 steps"


def test_bad_seed_is_refused_with_a_message_and_side_by_side_turns_off():
    ctl = Controller(BLOCKADE)
    for bad in (-1, 2**32, 1.5, True):
        with pytest.raises(UserError, match="Seed: expected a whole number"):
            ctl.set_seed(bad)
    assert ctl.seed is None, "a refused seed changes nothing"
    ctl.compare(True)
    ctl.compare(False)
    assert len(ctl.sides) == 1 and ctl.sides[0].run.model.steps == 0


def test_rewind_replays_the_same_run_with_its_interventions():
    ctl = Controller(SCENARIOS / "airstrike_campaign.yaml")
    run = ctl.sides[0].run
    ctl.advance(10)
    ctl.intervene(0, SET, "airstrikes", "rate_per_day", 0.9)
    ctl.intervene(0, AIRSTRIKE, "airstrikes")
    assert ctl.sides[0].pending["airstrike_rate"] == 0.9, "a slider applied now is kept for the next reset"
    ctl.advance(40)
    log = [e.narrative() for e in run.model.log.entries]
    assert any("teacher's intervention: airstrikes: rate per day set to 0.9" in line for line in log)
    assert any("airstrike by Israel hit" in line for line in log)
    controller = run.model.influence.controller.copy()
    ctl.go_to(20)
    replay = ctl.sides[0].run
    assert replay is not run and replay.model.steps == 20
    assert [e.narrative() for e in replay.model.log.entries] == [line for line, e in
                                                                  zip(log, run.model.log.entries, strict=True)
                                                                  if e.step <= 20]
    ctl.go_to(50)
    assert np.array_equal(ctl.sides[0].run.model.influence.controller, controller), "replayed exactly"
    assert [e.narrative() for e in ctl.sides[0].run.model.log.entries] == log
    with pytest.raises(UserError, match="rate_per_day"):
        ctl.intervene(0, SET, "airstrikes", "rate_per_day", -1.0)
    assert "Intervention at 2017-11-19 10:00 (day 0)" in " ".join(what_happened(replay.model, replay.interventions))


def test_lessons_are_found_per_scenario_and_make_a_worksheet():
    lesson = lesson_for("albu_kamal_blockade")
    assert lesson is not None and lesson.title.startswith("Lesson 1")
    assert "<li>" in lesson.html("Ask.")
    assert lesson_for("insurgent_resurgence").title.startswith("Lesson 4"), "shown in lesson 4's B side"
    assert lesson_for("campaign_russia_expands").title.startswith("Lesson 6"), "shown in lesson 6's step 3"
    assert parse_lessons("## Lesson 9 — x\n\n**Learning goal.** Learn.\n") == [], "no scenario, no lesson"
    page = worksheet_html("Blockade", lesson, ["Why?"], ["land held % (a)", "fighters (a)"])
    assert page.count("<tr>") == 9 and "Why?" in page and "not a forecast" in page


def test_the_screen_map_names_every_unit_on_hover_and_marks_closed_bridges():
    from types import SimpleNamespace

    from sim.app.page import render_map
    from sim.figures.style import CLOSED_BRIDGE_STYLE, PLACE_STYLE, place_is_closed

    run = LiveRun(BLOCKADE)
    run.advance(25)
    page = render_map(run.model)
    alive = [u for u in run.model.agents if u.alive]
    assert page.count("<circle ") == len(alive) and '<img class="corridor-map"' in page
    assert "<title>R1 (Russian forces), 60 fighters</title>" in page
    assert place_is_closed(SimpleNamespace(status="destroyed")) and not place_is_closed(SimpleNamespace())
    assert PLACE_STYLE["bridge"] != CLOSED_BRIDGE_STYLE, "a closed bridge is not drawn as an open one"


def test_viz_starts_again_on_the_system_allocator_before_it_reads_the_scenario(monkeypatch):
    """`viz` starts itself again (`os.execv`, `sim.app.memory.use_system_allocator`) before it reads
    the scenario: what came before the new start was done twice (2 of a start's 5 CPU seconds)."""
    import sim.app.command
    import sim.app.controls
    import sim.app.memory

    done = []

    class StartedAgain(Exception):
        pass

    def start_again():
        done.append("started again")
        raise StartedAgain  # as os.execv: nothing after it runs in this process

    def read(path, *args, **kwargs):
        done.append("read the scenario")
        return scenario_info(path, *args, **kwargs)

    monkeypatch.setattr(sim.app.memory, "use_system_allocator", start_again)
    monkeypatch.setattr(sim.app.controls, "scenario_info", read)
    def serve(*args):
        raise AssertionError(f"viz went on to serve without starting again: {done}")

    monkeypatch.setattr(sim.app.command, "_check_port", serve)
    with pytest.raises(StartedAgain):
        main(["viz", str(OPEN_ROAD)])
    assert done == ["started again"], done


def test_viz_seed_is_the_seed_every_tab_starts_with(monkeypatch, capsys):
    """`viz --seed N` (without --class too): the server's tabs start their runs at seed N; without
    it, at the scenario's own seed. The server itself is not started (uvicorn.run stubbed)."""
    import socket

    import uvicorn

    import sim.app.memory
    from sim.app.command import SCENARIO_ENV, SEED_ENV
    from sim.app.page import new_controller

    for name in (SCENARIO_ENV, SEED_ENV, "SOLARA_APP", "SOLARA_TELEMETRY_MIXPANEL_ENABLE",
                 "SOLARA_THEME_SHOW_BANNER", "SOLARA_KERNEL_CULL_TIMEOUT"):
        # recorded, so that what viz sets is undone after the test (delenv of a name that is not
        # set records nothing: viz's CORRIDOR_APP_SCENARIO and SOLARA_* stayed in the process, and
        # the later delenv of the seed recorded viz's 77, which a later tab would have started at)
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    monkeypatch.setattr(sim.app.memory, "use_system_allocator", lambda: None)  # it would start pytest again
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["viz", str(OPEN_ROAD), "--seed", "77", "--port", str(port)]) == 0
    assert new_controller().run_seed == 77, "a tab opened on this server starts at viz's --seed"
    monkeypatch.delenv(SEED_ENV)
    own = scenario_info(OPEN_ROAD).seed
    assert own != 77 and new_controller().run_seed == own, "without --seed, the scenario's own seed"
    capsys.readouterr()
