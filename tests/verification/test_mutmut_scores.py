"""The mutmut score table (tests/mutation/mutmut_scores.py): counts per module from mutmut's
results, equivalent mutants left out of the score, and a block of docs/verification.md that the
hand-written harness (tests/mutation/harness.py) never overwrites, nor it the harness's."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "mutation"))
import equivalents  # noqa: E402
import harness  # noqa: E402
import mutmut_scores  # noqa: E402
import mutmut_table  # noqa: E402


def results(tmp_path):
    """A mutants/ folder with two modules' verdicts (mutmut's .meta files: exit codes)."""
    mutants = tmp_path / "mutants"
    (mutants / "sim" / "submodels").mkdir(parents=True)
    (mutants / "agents").mkdir()
    codes = {  # 1 killed, 0 survived, 36 timeout, 33 no tests, None not run
        "sim/submodels/engagement.py": {"e.x_f__mutmut_1": 1, "e.x_f__mutmut_2": 1, "e.x_f__mutmut_3": 0,
                                        "e.x_f__mutmut_4": 0, "e.x_f__mutmut_5": 36},
        "agents/convoy.py": {"c.x_g__mutmut_1": 1, "c.x_g__mutmut_2": 33, "c.x_g__mutmut_3": None},
    }
    for path, exit_codes in codes.items():
        (mutants / f"{path}.meta").write_text(json.dumps({"exit_code_by_key": exit_codes}))
    # mutmut's mutated copy of engagement: the function and its mutants (the other module's is not needed)
    (mutants / "sim/submodels/engagement.py").write_text("".join(
        f"def x_f__mutmut_{n}(a, b):\n    if {test}:\n        return 0\n    return {value}\n\n\n"
        for n, test, value in [("orig", "a <= 0 or b <= 0", "a * b"), (1, "a < 0 or b <= 0", "a * b"),
                               (2, "a <= 0 or b < 0", "a * b"), (3, "a <= 0 or b <= 0", "a + b"),
                               (4, "a <= 0 or b <= 0", "a / b"), (5, "a <= 0 and b <= 0", "a * b")]))
    return mutants


PINNED = """\
e.x_f__mutmut_4:
  replaces: "return a * b"
  mutation: "return a / b"
  why: "a division the tests cannot tell from the product"
e.x_f__mutmut_3:
  replaces: "if a <= 0 or b <= 0:"
  mutation: "    if a < 0 or b <= 0:"
  why: "`a < 0` for `a <= 0`: a side of 0 fighters returns 0 either way"
gone__mutmut_9:
  replaces: "return a * b"
  mutation: "return b"
  why: "a mutant of code that is gone"
"""


def test_scores_count_timeouts_as_killed_and_leave_out_equivalents_untested_and_unrun(tmp_path):
    tallies = mutmut_scores.tally(results(tmp_path), {"e.x_f__mutmut_4"})
    engagement, agents = tallies["sim/submodels/engagement.py"], tallies["agents/*.py"]
    # engagement: 2 killed + 1 timeout of 4 non-equivalent (one survivor is equivalent): 3 / 4
    assert (engagement.generated, engagement.equivalent) == (5, 1), "all five counted, one equivalent"
    assert engagement.score() == 75.0, f"(2 killed + 1 timeout) / (3 + 1 survivor) = 75 %, not {engagement.score()}"
    # agents: 1 killed, 1 without tests (not killed), 1 not run (left out): 1 / 2
    assert agents.score() == 50.0, f"a mutant no test reaches counts as not killed, one not run is left out: {agents.score()}"


def test_an_equivalent_entry_counts_only_while_its_mutant_makes_the_recorded_mutation(tmp_path, capsys):
    """The list pins each entry to its mutation: mutant 4 still makes it; the entry naming mutant 3
    (a survivor) records `a < 0` (indented otherwise), which mutmut now numbers 1 (the function
    changed), so it is stale; gone__mutmut_9 was not generated. Only mutant 4 is left out."""
    mutants = results(tmp_path)
    listed = tmp_path / "equivalent.yaml"
    listed.write_text(PINNED)
    entries = equivalents.load(listed)
    confirmed, stale = equivalents.check(entries, mutants)
    assert list(confirmed) == ["e.x_f__mutmut_4"], "only the entry whose mutant makes the recorded mutation counts"
    assert stale == [
        "e.x_f__mutmut_3: expected `if a <= 0 or b <= 0:` → `if a < 0 or b <= 0:`, the mutant now makes "
        "`return a * b` → `return a + b`; the recorded change is now x_f__mutmut_1",
        "gone__mutmut_9: not a mutant mutmut generated (expected `return a * b` → `return b`)"], stale
    report = tmp_path / "verification.md"
    report.write_text(f"{mutmut_table.BEGIN}\n{mutmut_table.END}\n")
    assert mutmut_scores.main([], report=report, mutants_dir=mutants, equivalent_file=listed) == 1, (
        "a stale entry makes the table's command exit 1")
    assert capsys.readouterr().err.count("stale entry") == 2, "one line per stale entry"
    block = report.read_text()
    assert "| `sim/submodels/engagement.py` | 5 | 2 | 1 | 1 | 1 | 0 | 0 | 75.0 % |" in block, (
        f"mutant 3 (survived) is counted as a survivor, not as equivalent: (2 killed + 1 timeout) / 4:\n{block}")
    assert "* `e.x_f__mutmut_4` (`return a * b` → `return a / b`): a division" in block, block
    assert "e.x_f__mutmut_3`" not in block, "a stale entry is not listed as equivalent"


def test_a_run_skips_only_the_equivalent_entries_still_pinned_to_their_mutation(tmp_path, monkeypatch, capsys):
    mutants = results(tmp_path)
    listed = tmp_path / "equivalent.yaml"
    listed.write_text(PINNED)
    handed = []
    monkeypatch.setattr(mutmut_scores, "generate", lambda: 0)
    monkeypatch.setattr(mutmut_scores, "run", lambda modules, statuses, skip, only, nice: handed.append(skip) or 0)
    assert mutmut_scores.main(["--run", "sim"], mutants_dir=mutants, equivalent_file=listed) == 0
    assert handed == [frozenset({"e.x_f__mutmut_4"})], f"the stale entry's mutant 3 must run: {handed}"
    assert "e.x_f__mutmut_3: expected" in capsys.readouterr().err, "the run names the stale entry"


def test_a_change_that_two_mutants_of_a_function_make_cannot_pin_an_entry(tmp_path):
    """The same line twice in a function: `continue` → `break` is mutants 1 and 2, which a
    renumbering could swap unseen, so an entry naming either is stale; `x_g`'s `return b` → `return
    None` (mutant 3) is made once, so its entry counts."""
    mutants = tmp_path / "mutants"
    (mutants / "sim").mkdir(parents=True)
    body = "    for a in b:\n        if a:\n            {0}\n        if not a:\n            {1}\n    return {2}\n\n\n"
    (mutants / "sim/r.py").write_text("".join(
        f"def x_g__mutmut_{n}(b):\n" + body.format(*lines) for n, lines in
        [("orig", ("continue", "continue", "b")), (1, ("break", "continue", "b")),
         (2, ("continue", "break", "b")), (3, ("continue", "continue", "None"))]))
    (mutants / "sim/r.py.meta").write_text(json.dumps({"exit_code_by_key": {f"r.x_g__mutmut_{n}": 0 for n in (1, 2, 3)}}))
    listed = tmp_path / "equivalent.yaml"
    listed.write_text('r.x_g__mutmut_1:\n  replaces: "continue"\n  mutation: "break"\n  why: "w"\n'
                      'r.x_g__mutmut_3:\n  replaces: "return b"\n  mutation: "return None"\n  why: "w"\n')
    confirmed, stale = equivalents.check(equivalents.load(listed), mutants)
    assert list(confirmed) == ["r.x_g__mutmut_3"], confirmed
    assert stale == ["r.x_g__mutmut_1: `continue` → `break` is made by 2 mutants of the function "
                     "(x_g__mutmut_1, x_g__mutmut_2): the entry cannot tell which"], stale


def test_the_projects_equivalent_list_pins_every_entry_to_its_change(tmp_path):
    entries = equivalents.load()  # refuses an entry without `replaces`, `mutation` or `why`
    assert entries and all(e.change.replaces or e.change.mutation for e in entries.values())
    unpinned = tmp_path / "old.yaml"
    unpinned.write_text('e.x_f__mutmut_4: "a reason without the change"\n')
    with pytest.raises(ValueError, match="e.x_f__mutmut_4 needs `replaces`, `mutation`"):
        equivalents.load(unpinned)


def test_the_harness_and_the_mutmut_table_each_rewrite_only_their_own_block(tmp_path):
    tallies = mutmut_scores.tally(results(tmp_path), {})
    report = tmp_path / "verification.md"
    report.write_text(f"# V\n\n{harness.BEGIN}\nold table\n{harness.END}\n\n## Tool\n\n"
                      f"{mutmut_table.BEGIN}\nold scores\n{mutmut_table.END}\n\ntail\n")
    mutmut_table.write(mutmut_table.render(tallies, {}, "abc1234", "2026-12-06"), report)
    text = report.read_text()
    mutmut_block = text[text.index(mutmut_table.BEGIN):text.index(mutmut_table.END)]
    assert "| **total** | 8 | 3 | 2 | 0 | 1 | 1 | 1 | **57.1 %** |" in mutmut_block, (
        f"total: 8 generated, (3 killed + 1 timeout) / (4 + 2 survivors + 1 no tests) = 57.1 %:\n{mutmut_block}")
    assert f"{harness.BEGIN}\nold table\n{harness.END}" in text, "the scores must not touch the harness's block"
    harness.write_report([({"name": "m", "what": "w", "file": "f.py", "tests": ["t"]}, "caught", 1.0)], [], report)
    after = report.read_text()
    assert mutmut_block in after and after.endswith("\ntail\n"), "the harness must leave the mutmut block as it was"
    assert "old table" not in after, "the harness rewrote its own block"


def test_the_project_report_has_the_mutmut_block_outside_the_harness_block():
    text = (ROOT / "docs" / "verification.md").read_text()
    harness_block = text[text.index(harness.BEGIN):text.index(harness.END)]
    assert mutmut_table.BEGIN in text and mutmut_table.END in text, "docs/verification.md lacks the mutmut block"
    assert mutmut_table.BEGIN not in harness_block, "the mutmut block must lie outside the harness's block"


def test_the_sampled_table_counts_only_the_sample_and_gives_the_wilson_interval(tmp_path):
    mutants = results(tmp_path)
    found = mutmut_scores.verdicts(mutants)
    # a sample of every mutant (fraction 1) is the full set; minimum 2 of engagement's 5 at 0.2
    [everything] = mutmut_scores.draw(found, 1.0, [7], minimum=0)
    assert {m: len(v) for m, v in everything.items()} == {"sim/submodels/engagement.py": 5, "agents/*.py": 3}
    [small] = mutmut_scores.draw(found, 0.2, [7], minimum=2)
    assert len(small["sim/submodels/engagement.py"]) == 2, "ceil(0.2 × 5) = 1, raised to the minimum 2"
    assert set(small["sim/submodels/engagement.py"]) <= set(found["sim/submodels/engagement.py"])
    tallies = mutmut_scores.tally(mutants, {}, everything)
    design = mutmut_table.SampleDesign(1.0, 7, 0, {m: len(v) for m, v in found.items()})
    block = mutmut_table.render(tallies, {}, "abc1234", "2026-12-06", design)
    # engagement: (2 killed + 1 timeout) of 5 judged: 60 %; Wilson (z = 1.96, n = 5, p = 0.6):
    # centre (0.6 + 0.38416) / 1.76832 = 0.55648, half 1.96 × √(0.048 + 0.038416) / 1.76832 = 0.32577
    assert "| `sim/submodels/engagement.py` | 5 | 5 | 2 | 2 | 0 | 1 | 0 | 0 | 60.0 % [23.1, 88.2] |" in block, block
    assert "--sample 1 --seed 7" in block and "8 of the 8 mutants" in block, "the block says it is a sample, n of N"



def test_the_agents_mutants_are_named_after_the_module_they_are_imported_as():
    import mutmut_cli
    from mutmut.utils import format_utils

    assert format_utils.get_mutant_name(Path("agents/base.py"), "xǁUnitǁlose__mutmut_1") == (
        "sim.agents.base.xǁUnitǁlose__mutmut_1"), "agents/ is imported as sim.agents"
    assert mutmut_cli.get_mutant_name(Path("sim/rules/airstrikes.py"), "x_f__mutmut_2") == (
        "sim.rules.airstrikes.x_f__mutmut_2"), "a module under sim/ keeps its path's name"


def test_a_sample_beside_earlier_ones_draws_from_the_rest_and_takes_the_earlier_whole(tmp_path):
    mutants = results(tmp_path)
    found = mutmut_scores.verdicts(mutants)
    # seeds 1 and 2 pinned as recorded (seed 1 with a name no longer generated); seed 3 draws the rest
    pinned = {1: {"sim/submodels/engagement.py": ["e.x_f__mutmut_1", "e.x_f__mutmut_9"]},
              2: {"sim/submodels/engagement.py": ["e.x_f__mutmut_2"]}}
    one, two, fresh = mutmut_scores.draw(found, 1.0, [1, 2, 3], minimum=0, pinned=pinned)
    assert one["sim/submodels/engagement.py"] == ["e.x_f__mutmut_1"], "a pinned name no longer generated is dropped"
    assert two["sim/submodels/engagement.py"] == ["e.x_f__mutmut_2"] and not two["agents/*.py"], "seed 2 as pinned"
    assert fresh["sim/submodels/engagement.py"] == ["e.x_f__mutmut_3", "e.x_f__mutmut_4", "e.x_f__mutmut_5"], (
        "the fresh sample holds none of the earlier samples' mutants")
    earlier = {"sim/submodels/engagement.py": ["e.x_f__mutmut_1", "e.x_f__mutmut_2"]}
    tallies = mutmut_scores.tally(mutants, {}, fresh)
    known = mutmut_scores.tally(mutants, {}, earlier)
    design = mutmut_table.SampleDesign(1.0, 3, 0, {m: len(v) for m, v in found.items()}, (1, 2), known)
    # engagement: the earlier 2 (both killed) taken whole, the rest 3 (1 timeout = killed, 2 survived);
    # agents: 3, none earlier (1 killed, 1 no tests, 1 not run). Of 8: p̂ = 3/8·1/3 + 2/8·1 + 3/8·1/2
    # = 0.5625; variance from agents only (engagement's rest is sampled whole): (3/8)²·0.25/2·(1 − 2/3)
    # = 0.005859, half 1.96·0.076547 = 0.15003
    share, low, high = mutmut_table.estimate(tallies, design)
    assert share == pytest.approx(0.5625) and high - share == pytest.approx(0.15003, abs=1e-4), (share, low, high)
    block = mutmut_table.render(tallies, {}, "abc1234", "2026-12-06", design)
    assert "| `sim/submodels/engagement.py` | 5 | 2 / 2 | 3 | 0 | 2 | 0 | 1 | 0 | 0 |" in block, block
    assert "--known-seed 1 2" in block and "56.2 %" in block and "seeds 1 and 2" in block, (
        "the command, the column of the earlier samples and the combined estimate")


def test_a_run_records_the_samples_it_draws_and_a_later_run_takes_the_record_not_a_new_draw(tmp_path):
    record = tmp_path / "samples.json"
    drawn = {"sim/submodels/engagement.py": ["e.x_f__mutmut_4"]}
    mutmut_scores.record({3: drawn}, 0.05, 30, "abc1234", record)
    assert mutmut_scores.recorded(0.05, 30, record) == {3: drawn}, "the record gives back the names drawn"
    assert mutmut_scores.recorded(0.1, 30, record) == {}, "a sample of another fraction is another sample"
    mutmut_scores.record({4: {}}, 0.05, 30, "def5678", record)
    assert set(mutmut_scores.recorded(0.05, 30, record)) == {3, 4}, "a new seed is added beside the earlier ones"
    assert mutmut_scores.SAMPLES.name == "samples.json" and 1 in mutmut_scores.recorded(0.05, 30), (
        "the project records seed 1's sample (the seed-1 and seed-2 runs' mutants)")


def test_forgetting_verdicts_resets_only_the_named_mutants_already_run(tmp_path):
    mutants = results(tmp_path)
    assert mutmut_scores.forget(frozenset({"e.x_f__mutmut_1", "c.x_g__mutmut_3"}), mutants) == 1, (
        "one verdict forgotten: c.x_g__mutmut_3 had none")
    found = mutmut_scores.verdicts(mutants)
    assert found["sim/submodels/engagement.py"]["e.x_f__mutmut_1"] == mutmut_table.NOT_RUN
    assert found["sim/submodels/engagement.py"]["e.x_f__mutmut_2"] == mutmut_table.KILLED, "others kept"


def test_an_unfinished_sample_is_bounded_by_its_not_run_mutants_all_survived_or_all_killed(tmp_path):
    mutants = results(tmp_path)
    found = mutmut_scores.verdicts(mutants)
    [everything] = mutmut_scores.draw(found, 1.0, [7], minimum=0)
    tallies = mutmut_scores.tally(mutants, {}, everything)
    design = mutmut_table.SampleDesign(1.0, 7, 0, {m: len(v) for m, v in found.items()})
    # engagement 3 of 5 killed (5 mutants, weight 5/8); agents: 1 killed, 1 no tests, 1 not run (3/8):
    # left out 5/8·3/5 + 3/8·1/2 = 0.5625; not run survived: 3/8·1/3 → 0.5; killed: 3/8·2/3 → 0.625
    assert mutmut_table.estimate(tallies, design)[0] == pytest.approx(0.5625)
    assert mutmut_table.estimate(tallies, design, mutmut_table.SURVIVED)[0] == pytest.approx(0.5)
    assert mutmut_table.estimate(tallies, design, mutmut_table.KILLED)[0] == pytest.approx(0.625)
    block = mutmut_table.render(tallies, {}, "abc1234", "2026-12-06", design)
    assert "**Unfinished**: 1 sampled mutants not run yet" in block and "50.0 %" in block and "62.5 %" in block, block


def seed_1_pinned(tmp_path, monkeypatch):
    """`results(tmp_path)` with seed 1's sample recorded as engagement's mutants 1–4, no
    equivalents (`none.yaml`) and mutmut's generation stubbed: (mutants folder, samples file, the
    list a stubbed `run` appends to)."""
    mutants = results(tmp_path)
    samples = tmp_path / "samples.json"
    mutmut_scores.record({1: {"sim/submodels/engagement.py": [f"e.x_f__mutmut_{i}" for i in range(1, 5)]}},
                         0.5, 0, "abc1234", samples)
    (tmp_path / "none.yaml").write_text("{}\n")
    monkeypatch.setattr(mutmut_scores, "generate", lambda: 0)
    return mutants, samples, []


def test_fresh_sample_forgets_only_the_fresh_samples_verdicts_and_runs_the_earlier_samples_unkilled(
        tmp_path, monkeypatch):
    """`--run … --fresh-sample --survivors` with seed 1 pinned as engagement's mutants 1–4: seed 2
    (the rest: engagement's 5, the agents' three) has its stored verdicts forgotten and runs whole;
    seed 1 keeps its two kills (1, 2) and runs only its survivors (3, 4)."""
    mutants, samples, handed = seed_1_pinned(tmp_path, monkeypatch)
    monkeypatch.setattr(mutmut_scores, "run", lambda modules, statuses, skip, only, nice: handed.append(
        sorted(n for m in modules for n in mutmut_scores.names(m, statuses, mutants) if n in only and n not in skip)) or 0)
    assert mutmut_scores.main(["--sample", "0.5", "--minimum", "0", "--seed", "2", "--known-seed", "1",
                               "--fresh-sample", "--survivors", "--run", "sim", "agents"],
                              mutants_dir=mutants, samples_file=samples, equivalent_file=tmp_path / "none.yaml") == 0
    found = mutmut_scores.verdicts(mutants)
    assert found["sim/submodels/engagement.py"]["e.x_f__mutmut_1"] == mutmut_table.KILLED, "seed 1's kill kept"
    assert found["sim/submodels/engagement.py"]["e.x_f__mutmut_5"] == mutmut_table.NOT_RUN, "seed 2's verdict forgotten"
    (run,) = handed
    assert "e.x_f__mutmut_1" not in run and {"e.x_f__mutmut_3", "e.x_f__mutmut_4", "e.x_f__mutmut_5"} <= set(run), run


def test_a_part_runs_the_fresh_samples_mutants_alone_or_the_earlier_ones_alone(tmp_path, monkeypatch):
    """`--part fresh`: seed 2's mutants run (engagement's 5, the one left outside seed 1, and
    ⌈0.5 × 3⌉ = 2 of the agents' three), none of seed 1's; `--part earlier`: seed 1's four alone."""
    mutants, samples, handed = seed_1_pinned(tmp_path, monkeypatch)
    monkeypatch.setattr(mutmut_scores, "run", lambda modules, statuses, skip, only, nice: handed.append(only) or 0)
    assert mutmut_scores.main(["--sample", "0.5", "--minimum", "0", "--seed", "2", "--known-seed", "1",
                               "--fresh-sample", "--part", "fresh", "--run", "sim", "agents"],
                              mutants_dir=mutants, samples_file=samples, equivalent_file=tmp_path / "none.yaml") == 0
    ((only,),) = [handed]
    assert "e.x_f__mutmut_5" in only and len(only) == 3 and all(
        n == "e.x_f__mutmut_5" or n.startswith("c.x_g") for n in only), only
    assert mutmut_scores.main(["--sample", "0.5", "--minimum", "0", "--seed", "2", "--known-seed", "1",
                               "--part", "earlier", "--survivors", "--run", "sim", "agents"],
                              mutants_dir=mutants, samples_file=samples, equivalent_file=tmp_path / "none.yaml") == 0
    assert handed[1] == frozenset(f"e.x_f__mutmut_{i}" for i in range(1, 5)), (
        f"--part earlier: seed 1's four, none of seed 2's: {handed[1]}")
