"""Record the rivals' escalation before and after a change in docs/verification.md (issue 18).

Reads two finished `python run.py hindcast … --out FOLDER` folders of the same scenario, seeds and
window (`before`, `after`), and prints the section "Rivals' escalation": in how many runs Iran-backed
militias and Russia were hostile by the window's end (the milestone `hostile|iran_militia_russia`,
with its Wilson 95 % interval from scores.json), which seeds and from which date, and the other
pattern scores beside it so that a fix of one pattern is seen not to break the others. With
`--write` it replaces the section between `<!-- escalation:begin -->` and `<!-- escalation:end -->`:

    .venv/bin/python tests/verify_escalation.py outputs/hindcast/esc-before outputs/hindcast/esc-after --write

Target (issue 18): hostile in < 10 % of runs through 2018.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from verify_common import write_doc  # noqa: E402

PAIR = "iran_militia_russia"
BEGIN, END = "<!-- escalation:begin -->", "<!-- escalation:end -->"
HEADING = "Rivals' escalation (issue 18)"


def escalated_runs(folder: Path, by: str) -> list[tuple[str, int, str]]:
    """(run id, seed, first date hostile) of every run in which the pair was hostile on a day up
    to `by` (ISO date), in run order; from the runs' daily series (`hostile_<pair>`, `date`)."""
    out = []
    for path in sorted((folder / "runs").glob("r*.json")):
        run = json.loads(path.read_text(encoding="utf-8"))
        series = run["series"]
        flags = series[f"hostile_{PAIR}"]
        first = next((series["date"][i] for i, v in enumerate(flags) if v), None)
        if first is not None and first <= by:
            out.append((run["columns"]["run_id"], run["columns"]["seed"], first))
    return out


def figures(folder: Path) -> dict:
    """The folder's scores and manifest, and its escalated runs."""
    scores = json.loads((folder / "scores.json").read_text(encoding="utf-8"))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return {"scores": scores, "manifest": manifest,
            "escalated": escalated_runs(folder, scores[f"hostile|{PAIR}"]["by"])}


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def section(before: Path, after: Path) -> str:
    """The section's Markdown text."""
    arms = {"before": figures(before), "after": figures(after)}
    lines = []
    for name, arm in arms.items():
        m = arm["manifest"]
        sessions = ", ".join(sorted({s["code_version"] for s in m.get("sessions", [])})) or m["code_version"]
        first = (m.get("sessions") or [m])[0]["command"]  # the command that started it (not a resume)
        lines += [f"* **{name}** — `{arm_folder(before if name == 'before' else after)}`, code {sessions}: "
                  f"`python {shlex.join(first)}`"]
    lines += ["", "| | before | after |", "|---|---|---|"]
    h = {k: a["scores"][f"hostile|{PAIR}"] for k, a in arms.items()}
    lines.append("| runs in which Iran-backed militias and Russia were hostile by " + h["after"]["by"] + " | " + " | ".join(
        f"**{x['runs']} of {x['of']}** ({_pct(x['share'])}; Wilson 95 % {_pct(x['low'])}–{_pct(x['high'])})"
        for x in h.values()) + " |")
    lines.append("| those runs: seed, first day hostile | " + " | ".join(
        "; ".join(f"{seed} ({first})" for _, seed, first in a["escalated"]) or "none" for a in arms.values()) + " |")
    for key, label in (("coverage_90|government_russia-isis", "90 % bands cover IS – government month × region counts"),
                       ("coverage_90|isis-sdf_coalition", "90 % bands cover IS – SDF month × region counts"),
                       ("holder_agreement", "most likely holder = the record's, place-months")):
        lines.append(f"| {label} | " + " | ".join(
            f"{_pct(a['scores'][key]['share'])} of {a['scores'][key]['of']}" for a in arms.values()) + " |")
    lines.append("| air strikes a month, runs' mean (record " +
                 f"{arms['after']['scores']['strikes_per_month']['observed']:.2f}) | " + " | ".join(
                     f"{a['scores']['strikes_per_month']['simulated_mean']:.2f}" for a in arms.values()) + " |")
    lines.append("| Hajin taken, median run | " + " | ".join(
        a["scores"]["pocket"]["median_fall"] for a in arms.values()) + " |")
    verdict = "PASS" if h["after"]["share"] < 0.10 else "FAIL"
    upper = "below" if h["after"]["high"] < 0.10 else "above"
    lines += ["", f"Target (< 10 % of runs through 2018), after: **{verdict}** on the point estimate; the "
              f"interval's upper end ({_pct(h['after']['high'])}) is {upper} 10 %, so 30 runs "
              f"{'confirm' if upper == 'below' else 'cannot confirm'} it.", ""]
    return "\n".join(lines) + "\n"


def arm_folder(folder: Path) -> str:
    """The folder as given on the command line, relative to the repository where it lies in it."""
    root = Path(__file__).resolve().parent.parent
    try:
        return str(folder.resolve().relative_to(root))
    except ValueError:
        return str(folder)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path, help="the hindcast folder before the change")
    ap.add_argument("after", type=Path, help="the hindcast folder after it (same scenario, seeds, window)")
    ap.add_argument("--write", action="store_true", help="rewrite the section of docs/verification.md")
    args = ap.parse_args()
    text = section(args.before, args.after)
    print(text)
    if args.write:
        write_doc(text, BEGIN, END, HEADING)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
