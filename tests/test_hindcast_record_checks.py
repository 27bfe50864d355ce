"""A record that names no faction the patterns score is refused, in one line naming the file, the
line and the key (issue 18, a reviewer's bad input): a mapping that leaves a scenario's faction
unmapped (``insurgentz: isis`` scored "100 %" on all-zero counts), a holders file naming an
unknown holder, an event id given twice, a record whose actors are mapped to none of the scored
factions."""

from __future__ import annotations

import shutil

import pytest

from sim.hindcast.record import read_mapping, read_record
from sim.program.cli import main
from sim.program.errors import UserError
from sim.scenario import load_scenario

from conftest import ROOT, SCENARIOS

FIXTURES = ROOT / "tests" / "fixtures" / "record"
SHIPPED = SCENARIOS / "record"
QUICK = ["--set", "map.cell_km=4", "--set", "time.step_hours=4", "--set", "time.duration_days=43"]
#: the factions of corridor_campaign and what the shipped record names
IDS = ("iran_militia", "russia", "coalition", "insurgents", "syrian_army", "iraq_pmf")
RECORD = {"isis", "sdf_coalition", "government_russia", "iraq_pmf", "civilians", "israel"}


@pytest.fixture(scope="module")
def corridor_map():
    return load_scenario(SCENARIOS / "open_road.yaml", overrides={"map.cell_km": 2.0}).map


def _shipped_mapping(tmp_path, old: str, new: str):
    text = (SHIPPED / "mapping.yaml").read_text(encoding="utf-8")
    assert old in text, f"the shipped mapping has {old!r}"
    path = tmp_path / "mapping.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    line = next(i + 1 for i, s in enumerate(text.splitlines()) if s == old)
    return read_mapping(path), path, line


def test_a_scenario_faction_the_mapping_leaves_unmapped_is_refused_at_the_misspelt_line(tmp_path):
    read_mapping(SHIPPED / "mapping.yaml").check_names(IDS, RECORD)  # the shipped mapping maps every faction
    mapping, path, line = _shipped_mapping(tmp_path, "  insurgents: isis", "  insurgentz: isis")
    with pytest.raises(UserError, match=rf"^{path}:{line}: model.insurgentz: not a faction id of the scenario "
                                        rf"\(expected one of iran_militia, .*'insurgents' is left unmapped\)$"):
        mapping.check_names(IDS, RECORD)
    mapping, path, line = _shipped_mapping(tmp_path, "  insurgents: isis", "  insurgents: isiss")
    with pytest.raises(UserError, match=rf"^{path}:{line}: model.insurgents: maps to 'isiss', a faction the record "
                                        r"does not name \(expected one of "):
        mapping.check_names(IDS, RECORD)
    mapping, path, _ = _shipped_mapping(tmp_path, "  insurgents: isis", "  rebels: isis")
    with pytest.raises(UserError, match=rf"^{path}:\d+: model: the scenario's faction 'insurgents' maps to no faction "
                                        r"the record names: add `insurgents: FACTION`"):
        mapping.check_names(IDS, RECORD)


def test_an_actor_mapped_to_the_misspelling_of_a_scored_faction_is_refused_at_its_line(tmp_path):
    """`SDF: sdf_coaliton` would move every IS – SDF event of the record out of the counts (a
    fresh user's finding: the dyad then scored 0 and "100 %"); an actor mapped to an unscored
    faction that resembles none (`Civilians: civilians`, `Israel: israel`) stays allowed."""
    mapping, path, line = _shipped_mapping(tmp_path, "  SDF: sdf_coalition", "  SDF: sdf_coaliton")
    with pytest.raises(UserError, match=rf"^{path}:{line}: actors.SDF: maps to 'sdf_coaliton', which no scored or "
                                        r"model faction is; expected 'sdf_coalition'\?$"):
        mapping.check_names(IDS, RECORD)


def test_the_hindcast_refuses_the_misspelt_mapping_in_one_line_with_status_2(tmp_path, capsys):
    record = tmp_path / "record"
    shutil.copytree(SHIPPED, record)
    _, path, line = _shipped_mapping(record, "  insurgents: isis", "  insurgentz: isis")
    status = main(["hindcast", "corridor_campaign", "--replicates", "2", "--window", "2017-11-19:2017-12-31",
                   "--record", str(record), "--out", str(tmp_path / "x"), "--quiet", *QUICK])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and err[-1].startswith(f"{path}:{line}: model.insurgentz: not a faction id"), err
    assert "Traceback" not in "\n".join(err) and not (tmp_path / "x").exists(), "refused before anything is run"


def test_a_holders_file_naming_an_unknown_holder_is_refused_at_its_line(tmp_path, corridor_map):
    shutil.copy(FIXTURES / "ucdp_sample.csv", tmp_path / "ucdp.csv")
    shutil.copy(FIXTURES / "mapping.yaml", tmp_path / "mapping.yaml")
    rows = (FIXTURES / "holders.csv").read_text(encoding="utf-8").splitlines()
    rows[2] = rows[2].replace(",sdf_coalition,", ",martians,")
    (tmp_path / "holders.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(UserError, match=rf"^{tmp_path / 'holders.csv'}:3: holder_after: expected one of "
                                        r"government_russia, .*ungoverned, found 'martians'$"):
        read_record(tmp_path, corridor_map)


def test_an_event_id_given_twice_is_refused_in_a_file_and_across_files(tmp_path, corridor_map):
    """Refused, not counted once: a repeated id is the same event read twice (a file concatenated
    twice, two versions of a download), and which of two differing rows is right is the user's call."""
    shutil.copy(FIXTURES / "mapping.yaml", tmp_path / "mapping.yaml")
    rows = (FIXTURES / "ucdp_sample.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "ucdp.csv").write_text("\n".join([*rows[:3], rows[1]]) + "\n", encoding="utf-8")
    with pytest.raises(UserError, match=rf"^{tmp_path / 'ucdp.csv'}:4: id: '1' is already the id of line 2: each event once"):
        read_record(tmp_path, corridor_map)
    (tmp_path / "ucdp.csv").write_text("\n".join(rows[:3]) + "\n", encoding="utf-8")
    (tmp_path / "ucdp_again.csv").write_text("\n".join([rows[0], rows[3], rows[2]]) + "\n", encoding="utf-8")
    with pytest.raises(UserError, match=rf"^{tmp_path / 'ucdp_again.csv'}:3: event_id: '2' is also an event of "
                                        rf"{tmp_path / 'ucdp.csv'}: each event once"):
        read_record(tmp_path, corridor_map)


def test_a_record_whose_actors_map_to_no_scored_faction_is_refused(tmp_path, corridor_map):
    shutil.copy(FIXTURES / "ucdp_sample.csv", tmp_path / "ucdp.csv")
    (tmp_path / "mapping.yaml").write_text("# no actors\nactors:\n  ISIS: isis\n", encoding="utf-8")
    with pytest.raises(UserError, match=rf"^{tmp_path / 'mapping.yaml'}:2: actors: no event of the record is between "
                                        r"the factions the patterns score \(.*\); its sides are .*IS.*: map them"):
        read_record(tmp_path, corridor_map)
