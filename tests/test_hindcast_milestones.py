"""The hindcast's milestones (sim.hindcast.milestones) on hand-made series, and the hindcast
under a posterior: each replicate runs at the parameters its seed draws."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from sim.hindcast.milestones import Pocket, run_milestones, summarise_milestones
from sim.hindcast.posterior import read_posterior
from sim.hindcast.record import Mapping, Window
from sim.program.cli import main

MAPPING = Mapping(model={"insurgents": "isis", "coalition": "sdf_coalition"})
POCKET = Pocket(("Hajin", "Al-Susah"), dt.date(2018, 1, 3), dt.date(2017, 11, 19))
WINDOW = Window(dt.date(2018, 1, 1), dt.date(2018, 1, 4))


def series(hajin: list[str], susah: list[str], hostile: list[int]) -> pd.DataFrame:
    """Five kept days, 1–5 Jan 2018 (the launch is the 3rd, the window ends on the 4th)."""
    return pd.DataFrame({"date": [f"2018-01-0{d}" for d in range(1, 6)], "holder_Hajin": hajin,
                         "holder_Al-Susah": susah, "hostile_iran_militia_russia": hostile})


def test_the_pocket_stands_falls_and_the_rivals_turn_hostile_as_counted_by_hand():
    ins = "insurgents"
    taken = {"offensive.day_taken.Hajin": 47.5, "offensive.day_taken.Al-Susah": float("nan")}
    held = run_milestones(series([ins, ins, ins, "coalition", "coalition"], [ins] * 5, [0, 0, 0, 1, 0]),
                          POCKET, WINDOW, MAPPING, taken)
    assert held == {"pocket_stood": True, "lost_hold": "2018-01-04", "fell": "2018-01-05",
                    "hostile|iran_militia_russia": 1.0}, \
        "ISIS held both places on the 1st and 2nd (before the launch); the recorded holder was no longer ISIS on the " \
        "4th; the offensive took it on day 47.5 after 19 Nov 2017, 5 Jan 2018; hostile on the 4th"
    early = run_milestones(series([ins, "contested", ins, ins, ins], [ins] * 5, [0, 0, 0, 0, 1]),
                           POCKET, WINDOW, MAPPING, {"offensive.day_taken.Hajin": float("nan")})
    assert early == {"pocket_stood": False, "lost_hold": None, "fell": None, "hostile|iran_militia_russia": 0.0}, \
        "contested on the 2nd (before the launch): the pocket did not stand; ISIS held Hajin from the launch on " \
        "and the offensive never took it; hostile only on the 5th, after the window"
    summary = summarise_milestones([held, early, held], POCKET, WINDOW)
    assert summary["pocket"]["stood"] == 2 and summary["pocket"]["of"] == 3
    assert summary["pocket"]["fell"] == ["2018-01-05", "2018-01-05"] and summary["pocket"]["not_fallen"] == 1
    assert summary["pocket"]["median_fall"] == "2018-01-05", "2 of 3 runs fell on the 5th: the median run did"
    assert summary["pocket"]["median_lost_hold"] == "2018-01-04"
    h = summary["hostile|iran_militia_russia"]
    assert (h["runs"], h["of"], h["share"]) == (2, 3, pytest.approx(2 / 3)) and h["low"] < 2 / 3 < h["high"]
    assert summarise_milestones([early, early, held], POCKET, WINDOW)["pocket"]["median_fall"] is None, \
        "in 2 of 3 runs Hajin did not fall: the median run did not see it fall"


def test_the_hindcast_under_a_posterior_runs_each_replicate_at_its_seed_s_draw(tmp_path, capsys):
    folder = tmp_path / "posterior"
    folder.mkdir()
    key = "insurgents.ambush_rate_per_day"
    pd.DataFrame({"particle": [0, 1], key: [0.01, 0.05], "weight": [0.5, 0.5]}).to_csv(folder / "posterior.csv",
                                                                                       index=False)
    (folder / "manifest.json").write_text(json.dumps({"set": {"map.cell_km": 3, "time.step_hours": 4,
                                                              "time.duration_days": 99}}), encoding="utf-8")
    out = tmp_path / "hc"
    status = main(["hindcast", "corridor_2017_2019", "--replicates", "3", "--window", "2017-11-19:2017-12-08",
                   "--workers", "1", "--quiet", "--no-charts", "--out", str(out), "--posterior", str(folder),
                   "--set", "map.cell_km=4", "--set", "time.step_hours=4", "--set", "time.duration_days=20",
                   "--set", "rules.offensive.from_day=10", "--set", "rules.offensive/roundup.from_day=5"])
    assert status == 0, capsys.readouterr().err
    runs = pd.read_parquet(out / "runs.parquet")
    post = read_posterior(folder)
    for _, row in runs.iterrows():
        assert row[key] == post.draw(int(row["seed"]))[key], "each replicate runs at the draw of its own seed"
    s = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    assert s["posterior"]["keys"] == [key] and s["posterior"]["posterior_sha256"] == post.sha256
    assert [u.split(":")[0] for u in s["posterior"]["unlike_calibration"]] == ["map.cell_km"], \
        "calibrated at 3 km, run at 4 km: the one difference is named (the step, 4 h, matches; the duration is not one)"
    assert s["pocket"]["launch"] == "2017-11-29", "from_day 10 after 19 Nov 2017"
    assert len(pd.read_csv(out / "milestones.csv")) == 3, "one row of milestones per replicate"
    clash = main(["hindcast", "corridor_2017_2019", "--replicates", "2", "--posterior", str(folder), "--out",
                  str(tmp_path / "x"), "--set", f"{key}=0.02"])
    assert clash == 2 and not (tmp_path / "x").exists(), "a key both set and drawn is refused before anything runs"
