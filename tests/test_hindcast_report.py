"""The hindcast command: replicates against the record, the summary of the patterns, the scores
(coverage of the observed counts by the 90 % bands, agreement of holders) on hand-made cases,
and its errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from faults import NOWHERE, folder_bytes, scheduler_out_of_reach

from sim.experiments.runfolder import RunFolder
from sim.hindcast.regions import countries_at
from sim.hindcast.report import record_counts, scores, summarise
from sim.program.cli import main
from sim.program.errors import UserError
from sim.scenario import load_scenario

QUICK = ["--set", "map.cell_km=4", "--set", "time.step_hours=4", "--set", "time.duration_days=43"]


def test_summary_and_scores_by_hand():
    """Three replicates; the band is the 5–95 % quantiles (linear interpolation): for 0, 2, 10
    it is 0.2 to 9.2, so 4 is covered and 12 is not; holders: the most likely is the one with
    the highest share of replicates."""
    observed = {"events|2018-03|east_bank|all": 4.0, "events|2018-04|east_bank|all": 12.0,
                "events|2018-03|valley|all": 5.0, "events|2018-04|valley|all": 12.0,
                "events|2018-03|badia|all": 0.0,
                "holder|2018-03|Hajin|isis": 1.0, "holder|2018-03|Hajin|sdf_coalition": 0.0,
                "holder|2018-04|Hajin|isis": 0.0, "holder|2018-04|Hajin|sdf_coalition": 1.0}
    simulated = pd.DataFrame([
        {"events|2018-03|east_bank|all": 0, "events|2018-04|east_bank|all": 0, "events|2018-03|badia|all": 0,
         "events|2018-03|valley|all": 1, "events|2018-04|valley|all": 1,
         "holder|2018-03|Hajin|isis": 1, "holder|2018-03|Hajin|sdf_coalition": 0,
         "holder|2018-04|Hajin|isis": 1, "holder|2018-04|Hajin|sdf_coalition": 0},
        {"events|2018-03|east_bank|all": 2, "events|2018-04|east_bank|all": 2, "events|2018-03|badia|all": 0,
         "events|2018-03|valley|all": 3, "events|2018-04|valley|all": 3,
         "holder|2018-03|Hajin|isis": 1, "holder|2018-03|Hajin|sdf_coalition": 0,
         "holder|2018-04|Hajin|isis": 0, "holder|2018-04|Hajin|sdf_coalition": 1},
        {"events|2018-03|east_bank|all": 10, "events|2018-04|east_bank|all": 10, "events|2018-03|badia|all": 0,
         "events|2018-03|valley|all": 11, "events|2018-04|valley|all": 11,
         "holder|2018-03|Hajin|isis": 0, "holder|2018-03|Hajin|sdf_coalition": 1,
         "holder|2018-04|Hajin|isis": 1, "holder|2018-04|Hajin|sdf_coalition": 0}], dtype=float)
    table = summarise(observed, simulated).set_index("key")
    row = table.loc["events|2018-03|east_bank|all"]
    assert (row["median"], row["q05"], row["q95"], row["n"]) == (2.0, pytest.approx(0.2), pytest.approx(9.2), 3)
    assert table.loc["holder|2018-03|Hajin|isis", "mean"] == pytest.approx(2 / 3), "the model's probability"
    s = scores(table.reset_index())
    assert s["coverage_90_map_regions|all"] == {"share": pytest.approx(2 / 3), "of": 3, "both_zero": 1}, \
        "4 in [0.2, 9.2] and 0 in [0, 0] are covered, 12 is not; the Badia's 0 is covered only by nothing happening"
    # the scores proper count the valley (both banks) instead of the banks: 1, 3, 11 → [1.2, 10.2];
    # March's 5 is inside, April's 12 is not; with the Badia's 0, 2 of 3
    assert s["coverage_90|all"] == {"share": pytest.approx(2 / 3), "of": 3, "both_zero": 1}, \
        "over the valley and the Badia: 5 in [1.2, 10.2] and 0 in [0, 0] covered, 12 not"
    assert table.loc["events|2018-03|valley|all", "q05"] == pytest.approx(1.2), "the valley's own band"
    assert s["holder_agreement"] == {"share": 0.5, "of": 2}, \
        "March: ISIS in the record and in 2 of 3 runs; April: the SDF in the record, ISIS in 2 of 3 runs"


@pytest.mark.slow  # two 43-day runs and the report's charts: about a minute on the shared machine
def test_the_hindcast_command_writes_a_report_against_the_record(tmp_path, capsys):
    out = tmp_path / "hc"
    status = main(["hindcast", "corridor_campaign", "--replicates", "2", "--window", "2017-11-19:2017-12-31",
                   "--workers", "1", "--quiet", "--out", str(out), *QUICK])
    assert status == 0
    printed = capsys.readouterr().out
    assert "90 % bands cover the observed month × region counts" in printed
    assert "null (climatology: a Poisson at each series' window mean)" in printed and "(null, persistence: " in printed, \
        "the command gives the null models beside the scores"
    assert "note: with 2 replicates the 90 % band is the 5–95 % quantiles of 2 runs" in printed, \
        "two runs' band is narrower than 90 %: the scores are low by construction, and the user is told"
    assert "**Few replicates:** with 2 replicates" in (out / "report.md").read_text(encoding="utf-8")
    scored = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    assert {"climatology_90|isis-sdf_coalition", "holder_persistence", "holder_changes"} <= set(scored), \
        "scores.json has the nulls beside the scores"
    assert "null: persistence" in (out / "report.md").read_text(encoding="utf-8"), "report.md too"
    for name in ("report.md", "scores.json", "patterns.csv", "simulated_patterns.parquet", "events_east_bank.png",
                 "strikes.png", "event_density.png", "holders.png", "runs.parquet"):
        assert (out / name).is_file(), f"the hindcast writes {name}"
    table = pd.read_csv(out / "patterns.csv").set_index("key")
    raw = pd.read_csv("scenarios/record/ucdp_ged_euphrates_2017-11-19_2018-12-31.csv")
    corridor_map = load_scenario("scenarios/corridor_campaign.yaml", {"map.cell_km": 4}).map
    in_syria = countries_at(corridor_map, raw["longitude"], raw["latitude"]) == "Syria"
    assert table.loc["events|2017-11|all|all", "observed"] == ((raw["date_start"] < "2017-12-01") & in_syria).sum(), \
        "the observed count of November 2017 is the record's events in Syrian cells (at 4 km a few, " \
        "near Albu Kamal, fall in a border cell of Iraq's and are left out on both sides)"
    per_run = pd.read_parquet(out / "simulated_patterns.parquet")
    col = per_run["events|2017-12|all|all"].to_numpy()
    assert table.loc["events|2017-12|all|all", "median"] == pytest.approx(np.median(col)), \
        "the simulated median is the replicates' median"
    s = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    assert s["coverage_90|all"]["of"] == 4, \
        "2 months × 2 regions (the valley, the Badia): the record is UCDP's Syria file, the Iraqi side is not observed"
    assert s["regions_observed"] == ["valley", "badia"], "the Iraqi side is outside the countries the record covers"
    assert s["coverage_90_map_regions|all"]["of"] == 6, "2 months × the map's 3 regions in Syria"
    assert np.isnan(table.loc["events|2017-12|iraqi_side|all", "observed"]), "not observed: NaN, not 0"
    assert s["holder_agreement"]["of"] == 24, "one first-of-month (1 Dec 2017) × the 24 places the record names"
    assert "not a forecast" in (out / "report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("window", "message"), [
    ("2018-01-01", "--window: expected START:END as ISO dates"),
    ("2018-02-01:2018-01-01", "--window: the window ends (2018-01-01) before it starts (2018-02-01)"),
    ("2019-01-01:2019-02-01", "--window 2019-01-01:2019-02-01: outside the run, which covers 2017-11-19 to 2017-12-31"),
    # 43 days from 19 Nov end at 00:00 on 1 Jan: the run's last day is 31 Dec, and 1 Jan is outside it (it was
    # refused as "outside the run, which covers 2017-11-19 to 2018-01-01", found by session 14's fresh tester)
    ("2018-01-01:2018-01-01", "--window 2018-01-01:2018-01-01: outside the run, which covers 2017-11-19 to 2017-12-31"),
    # a window that starts before the run: its months before 19 Nov 2017 would count as months without
    # events on both sides and be "covered" (a fresh reviewer's 2017-01-01:2017-12-31 scored 88 %, 20 of 24 zero)
    ("2017-01-01:2017-12-31", "--window 2017-01-01:2017-12-31: starts before the run, which covers 2017-11-19"),
])
def test_a_bad_window_is_one_line_and_exit_status_2(tmp_path, capsys, window, message):
    status = main(["hindcast", "corridor_campaign", "--replicates", "2", "--window", window, "--out",
                   str(tmp_path / "x"), *QUICK])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and err[-1].startswith(message), err
    assert "Traceback" not in "\n".join(err) and not (tmp_path / "x").exists(), "nothing is written"


def test_a_window_is_checked_against_the_runs_last_simulated_day():
    """A run of 3 days from 19 Nov ends at 00:00 on the 22nd: its last day is the 21st (it was said to
    cover "2017-11-19 to 2017-11-22" while refusing the 22nd). A window ending after that day runs, with a
    note that its record days after the run meet days no run simulated (the report had said "hostile by
    2017-11-26 in 0 of 2 runs" without a word; both found by session 14's fresh tester)."""
    import datetime as dt

    from sim.hindcast.window import Window

    start = dt.date(2017, 11, 19)
    assert Window.parse("2017-11-19:2017-11-21").within_run(start, 3) is None, "the whole run: nothing to say"
    assert Window.parse("2017-11-21:2017-11-21").within_run(start, 2.5) is None, "2.5 days end at noon on the 21st"
    with pytest.raises(UserError, match=r"^--window 2017-11-22:2017-11-22: outside the run, which covers 2017-11-19 to "
                                        r"2017-11-21 \(time.start_date and time.duration_days\)$"):
        Window.parse("2017-11-22:2017-11-22").within_run(start, 3)
    note = Window.parse("2017-11-19:2017-11-26").within_run(start, 3)
    assert note == ("--window 2017-11-19:2017-11-26 ends after the run's last day, 2017-11-21: the record's days after "
                    "it are compared with days no run simulated; end the window on 2017-11-21, or run to its end with "
                    "--set time.duration_days=8"), note


def test_force_with_a_scheduler_out_of_reach_leaves_the_earlier_hindcast_as_it_was(tmp_path, monkeypatch, capsys):
    """`hindcast --force --dask ADDRESS` on a finished hindcast, the scheduler out of reach: the
    folder was deleted first, then the line said it was one "which this command created, is
    removed" (session 14's fresh review, F12). The engine is started before the folder is
    replaced: exit 2, one line saying it is left as it was, and it is, byte for byte."""
    out = tmp_path / "hc"
    earlier = RunFolder(out, "hindcast", "an earlier hindcast")
    with earlier.writing(resume=False, force=False):
        earlier.write_manifest({}, status="complete")
        (out / "report.md").write_text("# the earlier hindcast's report\n", encoding="utf-8")
    before = folder_bytes(out)
    asked = scheduler_out_of_reach(monkeypatch)
    status = main(["hindcast", "corridor_campaign", "--replicates", "2", "--window", "2017-11-19:2017-12-31",
                   "--quiet", "--out", str(out), "--force", "--dask", NOWHERE, *QUICK])
    assert asked == [NOWHERE], "the scheduler was not asked for: the test tests nothing"
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and err == [f"--dask {NOWHERE}: cannot reach the Dask scheduler (Timed out trying to connect to "
                                   f"{NOWHERE} after 15 s); nothing was run, and {out} is left as it was (complete)"], err
    assert folder_bytes(out) == before, "the earlier hindcast was touched"


def test_the_misses_script_lists_the_wrong_place_months_and_the_counts_outside_the_bands():
    """tests/hindcast_misses.py on a hand-made patterns table: Hajin's March is right (ISIS in the
    record, 0.8 of runs), April wrong (the SDF in the record, ISIS 0.6); the valley's 12 events
    lie above their band [1, 10], the Badia's 0 inside [0, 0]."""
    from hindcast_misses import event_misses, holder_misses

    table = pd.DataFrame([
        ("holder|2018-03|Hajin|isis", 1.0, np.nan, np.nan, np.nan, 0.8),
        ("holder|2018-03|Hajin|sdf_coalition", 0.0, np.nan, np.nan, np.nan, 0.2),
        ("holder|2018-04|Hajin|isis", 0.0, np.nan, np.nan, np.nan, 0.6),
        ("holder|2018-04|Hajin|sdf_coalition", 1.0, np.nan, np.nan, np.nan, 0.4),
        ("events|2018-03|valley|isis-sdf_coalition", 12.0, 4.0, 1.0, 10.0, 4.5),
        ("events|2018-03|badia|isis-sdf_coalition", 0.0, 0.0, 0.0, 0.0, 0.0),
    ], columns=["key", "observed", "median", "q05", "q95", "mean"])
    misses = holder_misses(table)
    assert misses[["place", "month", "record", "model"]].values.tolist() == [
        ["Hajin", "2018-04", "sdf_coalition", "isis"]], f"only April is missed: {misses}"
    assert misses["p_record"].tolist() == [0.4], "the model's share for the record's holder"
    out = event_misses(table, "isis-sdf_coalition", regions=("valley", "badia"))
    assert out[["month", "region", "observed"]].values.tolist() == [["2018-03", "valley", 12.0]], out


def test_the_misses_script_measures_how_bursty_the_record_and_each_run_are():
    """The index of dispersion by hand: the record's 0, 0, 6 (mean 2, sample variance 12) is 6.0,
    two zero months; a run of 2, 2, 2 is 0.0 (no variance), a run of 1, 2, 3 is 1 / 2 = 0.5. A
    month a run does not cover (NaN) is left out of every count."""
    from hindcast_misses import dispersion

    keys = [f"events|2018-0{m}|badia|government_russia-isis" for m in (1, 2, 3, 4)]
    table = pd.DataFrame({"key": keys, "observed": [0.0, 0.0, 6.0, 9.0]})
    runs = pd.DataFrame([[2.0, 2.0, 2.0, np.nan], [1.0, 2.0, 3.0, 5.0]], columns=keys)
    r = dispersion(table, runs, "government_russia-isis", "badia")
    assert r["months"] == ["2018-01", "2018-02", "2018-03"], "April is left out: the first run does not cover it"
    assert r["record"] == pytest.approx(6.0), "variance 12 (ddof 1) over mean 2"
    assert r["runs"].tolist() == pytest.approx([0.0, 0.5]), "2, 2, 2: no variance; 1, 2, 3: 1 over 2"
    assert r["record_zeros"] == 2 and r["run_zeros"].tolist() == [0, 0], r


def test_hindcast_misses_refuses_a_patterns_table_it_cannot_read_in_one_line(tmp_path, capsys):
    """tests/hindcast_misses.py on an empty patterns.csv or one without the pattern columns: exit
    status 2 and one line naming the file, no traceback."""
    import hindcast_misses

    for text in ("", "a,b\n1,2\n"):
        (tmp_path / "patterns.csv").write_text(text)
        assert hindcast_misses.main([str(tmp_path)]) == 2, f"a patterns.csv of {text!r} is refused"
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"{tmp_path / 'patterns.csv'}: not a hindcast's patterns table") and "\n" not in err, err


def test_the_report_counts_the_records_violent_events_and_strikes_apart():
    """The shipped record has 631 UCDP events and 1 air strike: the report said "632 events"."""
    events = pd.DataFrame({"kind": ["clash", "strike", "one_sided", "clash"]})
    assert record_counts(events) == "3 violent events and 1 air strike", record_counts(events)
    assert record_counts(events.iloc[:1]) == "1 violent event and 0 air strikes", "singular and plural by count"


def test_a_region_the_record_does_not_observe_is_drawn_over_the_window_saying_so(tmp_path, monkeypatch):
    """The Iraqi side outside a Syria-only record: observed and simulated are NaN (both left out),
    so the chart has nothing to plot; its axis must still span the window (an empty axis showed
    'Jan 1970', a fresh reviewer found) and say why it is empty."""
    import matplotlib.dates as mdates

    import sim.figures.hindcast as figures
    from sim.hindcast.record import Window

    drawn = {}
    monkeypatch.setattr(figures, "save", lambda fig, path, title: drawn.setdefault(path.name, fig))
    window = Window.parse("2017-11-19:2018-01-31")
    keys = [f"events|{m}|{r}|all" for m in window.months() for r in ("iraqi_side", "valley")] + \
        [f"strikes|{m}" for m in window.months()]
    table = pd.DataFrame({"key": keys, "observed": [np.nan if "iraqi" in k else 1.0 for k in keys],
                          "median": [np.nan if "iraqi" in k else 2.0 for k in keys], "q05": 0.0, "q95": 3.0})
    figures.draw_events_by_region(tmp_path, table, window, replicates=2)
    ax = drawn["events_iraqi_side.png"].axes[0]
    start, end = (d.date() for d in mdates.num2date(ax.get_xlim()))
    assert (start, end) == (window.start, window.end), f"the axis spans the window, not {start} to {end}"
    assert any("not observed" in t.get_text() for t in ax.texts), "the empty panel says why"
    assert not drawn["events_valley.png"].axes[0].texts, "an observed region is drawn as before"


def test_a_window_without_a_first_of_a_month_draws_the_holders_saying_there_are_none(tmp_path, monkeypatch):
    """Holders are compared on the 1st of each month: a window from the 19th to the 26th has no
    holder rows. The chart is still drawn, each panel saying why it is empty (it ended the
    command in a traceback, KeyError: 1, found in session 14)."""
    import sim.figures.hindcast as figures
    from sim.hindcast.record import Window

    drawn = {}
    monkeypatch.setattr(figures, "save", lambda fig, path, title: drawn.setdefault(path.name, fig))
    table = pd.DataFrame({"key": ["events|2017-11|valley|all", "strikes|2017-11"], "observed": [1.0, 0.0],
                          "median": [2.0, 0.0], "mean": [2.0, 0.0], "q05": 0.0, "q95": 3.0})
    figures.draw_holders(tmp_path / "holders.png", table, Window.parse("2017-11-19:2017-11-26"), replicates=2)
    panels = drawn["holders.png"].axes[:2]
    assert all(any("no 1st of a month in the window" in t.get_text() for t in ax.texts) for ax in panels), \
        "both panels say there is no month to compare"


def test_the_few_replicates_note_stops_at_twenty_one():
    """The 5 % quantile of n runs (linear interpolation at 0.05 × (n − 1)) falls between the lowest
    run and the next until 0.05 × (n − 1) reaches 1, at n = 21: the note is given at 20, not at 21."""
    from sim.hindcast.report import few_replicates_note

    assert few_replicates_note(20) is not None and "20 runs" in few_replicates_note(20)
    assert few_replicates_note(21) is None and few_replicates_note(30) is None


def test_ctrl_c_after_every_run_finished_says_resume_writes_the_tables(tmp_path, monkeypatch, capsys):
    """Ctrl-C after a hindcast's last run, while its tables were built, said "--resume runs the
    rest" though no run was left (session 14's fresh review): the hindcast's manifest does not
    count its runs, so the line counted against nothing. The folder now counts against the runs
    the command planned."""
    def ran(task):  # a run that costs nothing: the line is about the runs saved, not what they hold
        return {"outcomes": {}, "series": {}, "seconds": 0.0, "load_seconds": 0.0, "events": {},
                "factions": {"ids": [], "labels": [], "colors": []}}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("sim.experiments.engine.run_one", ran)
    monkeypatch.setattr("sim.experiments.engine.assemble", interrupted)
    out = tmp_path / "hc"
    status = main(["hindcast", "corridor_campaign", "--replicates", "2", "--window", "2017-11-19:2017-12-31",
                   "--workers", "1", "--quiet", "--out", str(out), *QUICK])
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("note:")]
    assert (status, err) == (130, [f"interrupted: the 2 runs are all saved in {out}; --resume writes the tables, "
                                   "charts and report"])


def test_a_window_past_the_runs_says_the_days_its_milestones_and_deaths_compare(tmp_path, capsys):
    """A window ending after the runs' last day: the milestones said "hostile by <the window's end>"
    and deaths per event set the record's whole window beside the runs' days, without a word
    (session 14's fresh review); with --no-charts the report kept an empty "## Charts" heading.
    Now the milestones are by the runs' last day, the deaths line names both spans, and a report
    without charts has no such heading."""
    out = tmp_path / "hc"
    status = main(["hindcast", "corridor_campaign", "--replicates", "2", "--window", "2017-11-19:2017-11-26",
                   "--workers", "1", "--quiet", "--no-charts", "--out", str(out), "--set", "map.cell_km=4",
                   "--set", "time.step_hours=6", "--set", "time.duration_days=3"])
    printed = capsys.readouterr().out
    assert status == 0
    hostile = [line for line in printed.splitlines() if " hostile by " in line]
    assert hostile and all(" hostile by 2017-11-21 in " in line for line in hostile), hostile
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "turned hostile by 2017-11-21 |" in report and "by 2017-11-26" not in report
    assert ("| deaths per event: record / simulated median (the record's events from 2017-11-19 to 2017-11-26, "
            "the runs' to 2017-11-21) |") in report
    assert "## Charts" not in report
    assert json.loads((out / "scores.json").read_text(encoding="utf-8"))["runs_end"] == "2017-11-21"
