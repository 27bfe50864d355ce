"""docs/lessons.md stays true: every scenario it names exists and validates, every lesson has
its parts, and what it tells the class to notice happens when the scenario is run as it says."""

from __future__ import annotations

import re

from sim.app.state import LiveRun
from sim.scenario import load_scenario

from conftest import ROOT

LESSONS = ROOT / "docs" / "lessons.md"
PARTS = ("**Learning goal.**", "**Show, in this order.**", "**Ask.", "**What the class should notice.**",
         "**What the model leaves out.**")


def _lessons() -> dict[str, str]:
    text = LESSONS.read_text(encoding="utf-8")
    chunks = re.split(r"^## (Lesson .+)$", text, flags=re.M)
    return dict(zip(chunks[1::2], chunks[2::2], strict=True))


def _named(text: str) -> set[str]:
    return set(re.findall(r"scenarios/([\w.-]+\.yaml)", text))


def test_every_named_scenario_exists_and_validates():
    names = _named(LESSONS.read_text(encoding="utf-8"))
    assert len(names) >= 4
    for name in sorted(names):
        path = ROOT / "scenarios" / name
        assert path.is_file(), f"docs/lessons.md names {path.relative_to(ROOT)}, which does not exist"
        load_scenario(path)  # raises InputErrors if it does not validate


def test_each_lesson_has_its_parts_and_a_scenario():
    lessons = _lessons()
    assert len(lessons) >= 4
    for title, body in lessons.items():
        for part in PARTS:
            assert part in body, f"{title}: missing {part}"
        assert _named(body), f"{title}: names no scenario file"
    topics = " ".join(lessons).lower()
    for topic in ("checkpoint", "co-opting", "agreement", "insurgents"):
        assert topic in topics, f"no lesson on {topic}"


def _log(session: LiveRun, kind: str) -> list[str]:
    return [e.narrative() for e in session.model.log.entries if e.kind == kind]


def test_lesson_1_the_checkpoint_standoff():
    blockade = LiveRun(ROOT / "scenarios/albu_kamal_blockade.yaml")
    blockade.advance(36)
    assert blockade.convoys() == [("R1", "withdrawn")]
    assert _log(blockade, "standoff")[0].startswith("day 1 02:00")
    assert "after a 2 h standoff (outnumbered): 490 militia fighters against 60 (8.2 : 1)" in _log(blockade, "withdrawal")[0]
    assert not _log(blockade, "clash"), "the convoy turns back without a shot"
    open_road = LiveRun(ROOT / "scenarios/open_road.yaml")
    open_road.advance(36)
    assert open_road.convoys() == [("R1", "arrived")]
    assert _log(open_road, "arrival")[0].startswith("day 1 02:00")
    outcomes = {}
    for seed in (None, 1):
        half = LiveRun(ROOT / "scenarios/albu_kamal_blockade.yaml", {"stop_probability": 0.5}, seed)
        half.advance(36)
        outcomes[seed] = half.convoys()[0][1]
    assert outcomes == {None: "arrived", 1: "withdrawn"}, "the lesson's seeds at stop probability 0.5"


def test_lesson_2_co_optation():
    session = LiveRun(ROOT / "scenarios/russian_co_optation.yaml")
    session.advance(130 * 24)
    switches = _log(session, "defection")
    assert switches[0].startswith("day 62 09:00") and "near Al-Asharah" in switches[0], switches
    assert len(switches) == 7, switches
    last_day = int(switches[-1].split()[1])
    assert last_day >= 100, f"switches should spread out with distance from the advisers: {switches}"


def test_lesson_3_agreement_stops_growth():
    runs = {}
    for on in (True, False):
        runs[on] = LiveRun(ROOT / "scenarios/agreement_curtails_iran.yaml", {"agreement": on})
        runs[on].advance(30 * 24)
    with_it, without = (runs[on].shares()["iran_militia"] for on in (True, False))
    assert (with_it[: 5 * 24] == without[: 5 * 24]).all(), "identical until the agreement on day 5"
    assert without[-1] - with_it[-1] > 0.01, "by day 30 the militias hold less ground under the agreement"
    strength = [runs[on].model.faction_strength(0) for on in (True, False)]
    assert strength[1] - strength[0] > 150, f"unpaid fighters desert under the agreement: {strength}"


def test_lesson_4_insurgents_grow_in_ungoverned_desert():
    cells = {}
    for name in ("baseline", "insurgent_resurgence"):
        session = LiveRun(ROOT / "scenarios" / f"{name}.yaml")
        session.advance(30 * 24)
        model = session.model
        alive = [u for u in model.agents if u.alive and u.kind == "insurgent"]
        assert all(model.map.terrain[u.rc] == 0 for u in alive), "insurgent cells live on desert"
        cells[name] = (len(alive), model.faction_strength(model.factions.index("insurgents")))
    assert cells["insurgent_resurgence"][0] >= cells["baseline"][0] + 2, cells
    assert cells["insurgent_resurgence"][1] >= cells["baseline"][1] + 20, "more fighters, slowly: months, not weeks"
