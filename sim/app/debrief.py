"""The debrief of a class session: every command decision of the class's run (the teams' and the
staff's, with their reasons, as the planners log them) beside what the computer planners did on
the same seed, in a second run with planners only, to the same time; then where each run ended.

Both runs are the same model on the same seed: until the first cycle where a team chose
differently from its planner they are identical, so every difference in the table and the
outcome follows from the class's decisions (and from the chance that those changed).
"""

from __future__ import annotations

import html

from sim.app.state import LiveRun


def planners_only(class_run: LiveRun) -> LiveRun:
    """The same scenario, settings and seed with the computer planners deciding, run to the
    step the class's run reached."""
    run = LiveRun(class_run.info.path, class_run.values, class_run.seed, class_run.extra_overrides)
    run.advance(class_run.model.steps)
    return run


def decisions(run: LiveRun) -> dict[tuple[float, str], list[str]]:
    """(hours, faction id) -> the texts of the decisions its command logged then, in order."""
    out: dict[tuple[float, str], list[str]] = {}
    for entry in run.model.log.entries:
        if entry.kind == "decision":
            out.setdefault((entry.hours, entry.factions[0] if entry.factions else ""), []).append(entry.text)
    return out


def _cell(texts: list[str] | None, label: str) -> str:
    if not texts:
        return '<span class="corridor-off">no new decision (it waits as before)</span>'
    return "<br>".join(html.escape(t.removeprefix(f"{label} command ")) for t in texts)


def outcome(run: LiveRun) -> dict[str, tuple[float, float]]:
    """Faction label -> (share of the land held, fighters) at the end of `run`."""
    model, rec = run.model, run.model.recorder
    last = rec.rows - 1
    return {label: (float(rec.area_km2[last, j]) / run.land_km2, float(rec.strength[last, j]))
            for j, label in enumerate(model.factions.labels)}


def debrief_html(class_run: LiveRun, computer: LiveRun, teams: dict[int, str]) -> str:
    """The debrief as HTML: a row per planning time and commanded faction (`teams`: faction
    index -> team name), the class's decision beside the planners', then both outcomes."""
    model = class_run.model
    ids, labels = model.factions.ids, model.factions.labels
    ours, theirs = decisions(class_run), decisions(computer)
    keys = sorted(set(ours) | set(theirs), key=lambda k: (k[0], ids.index(k[1]) if k[1] in ids else -1))
    rows = []
    for hours, fid in keys:
        if fid not in ids:
            continue
        f = ids.index(fid)
        when = model.log.calendar.datetime_at_hours(hours)
        who = html.escape(teams.get(f, "the staff (no team)"))
        rows.append(f"<tr><td>{when:%Y-%m-%d %H:%M} (day {int(hours // 24)})</td>"
                    f"<td>{html.escape(labels[f])}<br><small>{who}</small></td>"
                    f"<td>{_cell(ours.get((hours, fid)), labels[f])}</td>"
                    f"<td>{_cell(theirs.get((hours, fid)), labels[f])}</td></tr>")
    table = ('<table class="corridor-debrief"><tr><th>when</th><th>command</th><th>this class decided</th>'
             "<th>the computer planners decided (same seed)</th></tr>" + "".join(rows) + "</table>")
    a, b = outcome(class_run), outcome(computer)
    ends = "".join(f"<tr><td>{html.escape(label)}</td><td>{a[label][0]:.1%}</td><td>{a[label][1]:,.0f}</td>"
                   f"<td>{b[label][0]:.1%}</td><td>{b[label][1]:,.0f}</td></tr>" for label in labels)
    outcome_table = ('<table class="corridor-debrief"><tr><th>faction</th><th>land held (class)</th>'
                     "<th>fighters (class)</th><th>land held (planners)</th><th>fighters (planners)</th></tr>"
                     + ends + "</table>")
    return (f"<h3>Every command decision, {html.escape(model.clock())}</h3>{table}"
            f"<h3>Where each run stands</h3>{outcome_table}")
