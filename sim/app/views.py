"""The app's text panels as HTML: the status line under the map, the monitors table beside it,
the event log, the end-of-run summary, the teaching questions and the lesson panel.

Every function takes a `LiveRun` (or its parts) and returns escaped HTML; `sim.app.page` only
places them. Nothing here imports Solara.
"""

from __future__ import annotations

import html
from collections import Counter

from sim.app.controls import CONTROLS
from sim.app.lessons import PARTS, lesson_for
from sim.app.monitors import (
    KIND_GLYPHS,
    KIND_LABELS,
    convoy_status,
    duration_text,
    faction_table,
    format_value,
    latest_row,
    metric_label,
    pair_table,
    units_by_kind,
    what_happened,
)
from sim.app.state import LiveRun
from sim.figures.style import CONVOY_STATE_COLORS
from sim.results.event_log import clock_text

e = html.escape
STATE_COLOURS = {s.value: c for s, c in CONVOY_STATE_COLORS.items()}
#: a convoy whose journey is over, as the status line counts them: (several, one)
ENDED_WORDS = {"arrived": ("now posts", "now a post"), "withdrawn": ("turned back", "turned back"),
               "destroyed": ("destroyed", "destroyed")}


def _swatch(colour: str) -> str:
    return f'<span class="corridor-swatch" style="background:{e(colour)}"></span>'


def status_html(run: LiveRun) -> str:
    """Clock, key place holder, the convoys on the road now with time in state (those whose
    journey is over in one count: so many posts, turned back, destroyed), and the parameters in
    force."""
    model = run.model
    place = e(run.key_place_name or "key place")
    convoys, ended = [], Counter()
    for c in convoy_status(model):
        if not c.current:
            ended[c.state] += 1
            continue
        colour = STATE_COLOURS.get(c.state, "#ffffff")
        convoys.append(f'<span class="corridor-convoy">{_swatch(colour)}<b>{e(c.label)}</b> '
                       f'({c.strength:,.0f} fighters): <b>{e(c.words())}</b> for {duration_text(c.hours_in_state)} '
                       f'(since {clock_text(c.since_hours, model.calendar)})</span>')
    if ended:
        done = ", ".join(f"{n} {ENDED_WORDS[state][n == 1]}" for state, n in ended.items())
        convoys.append(f'<span class="corridor-convoys-ended">{"" if convoys else "none on the road; "}'
                       f'earlier ones: {e(done)}</span>')
    params = []
    for control in CONTROLS:
        value = run.parameter(control.name)
        if value is not None:
            shown = ("on" if value else "off") if control.is_switch else f"{value:g}"
            params.append(f'<span class="corridor-param-{control.name}">{e(control.label)}: {shown}</span>')
    return (
        f'<div class="corridor-status"><span class="corridor-clock">{e(model.clock())}</span> '
        f'<span class="corridor-date">{e(model.calendar.date_at_hours(model.hours).isoformat())}</span> '
        f'<span><b>{place} held by:</b> <span class="corridor-holder">{e(run.key_place_holder())}</span></span> '
        f'<span><b>Convoys:</b> <span class="corridor-convoys">{" · ".join(convoys) or "none"}</span></span>'
        f'<div class="corridor-params">Seed <span class="corridor-seed">{run.seed}</span> · '
        + " · ".join(params) + "</div></div>")


def monitors_html(run: LiveRun) -> str:
    """Per faction: every `<metric>_<faction>` column of the step table now (land held,
    fighters, land bridge, and whatever the model adds), units by kind; then per-pair columns
    (e.g. tension) and the contested and ungoverned shares."""
    model = run.model
    ids, labels, colours = model.factions.ids, model.factions.labels, model.factions.colors
    row = latest_row(model)
    metrics, table = faction_table(row, ids)
    units = units_by_kind(model)
    head = "".join(f"<th>{e(metric_label(m))}</th>" for m in metrics)
    rows = []
    for j, fid in enumerate(ids):
        cells = "".join(f'<td class="corridor-m-{e(m)}">{e(format_value(m, table[fid].get(m, "")))}</td>'
                        if m in table[fid] else "<td>–</td>" for m in metrics)
        kinds = " ".join(f'<span title="{e(KIND_LABELS.get(kind, kind))}" class="corridor-kind-{e(kind)}">{n}'
                         f'{KIND_GLYPHS.get(kind, kind)}</span>' for (f, kind), (n, _) in units.items() if f == j)
        rows.append(f'<tr class="corridor-faction-{e(fid)}"><td>{_swatch(colours[j])}{e(labels[j])}</td>{cells}'
                    f'<td class="corridor-units">{kinds or "–"}</td></tr>')
    by_pair: dict[tuple[str, str], dict[str, object]] = {}
    for metric, a, b, value in pair_table(row, ids):
        by_pair.setdefault((a, b), {})[metric] = value
    # one line for every pair: only pairs with some tension or fighting, so that the log stays in view
    shown = [(a, b, v) for (a, b), v in by_pair.items() if float(v.get("tension", 0) or 0) > 0.05 or v.get("hostile")]
    pairs = ""
    if by_pair:
        items = " · ".join(
            f'{e(labels[ids.index(a)])} – {e(labels[ids.index(b)])} <b>{e(format_value("tension", v.get("tension", 0)))}</b>'
            + (' <b class="corridor-hostile">hostile</b>' if v.get("hostile") else "")
            + "".join(f" {e(metric_label(m))} {e(format_value(m, x))}" for m, x in v.items()
                      if m not in ("tension", "hostile"))
            for a, b, v in shown)
        pairs = f'<div class="corridor-pair">tension between rivals: {items or "none yet"}</div>'
    rest = (f'<div class="corridor-rest">contested {format_value("share", row.get("contested_share", 0.0))} · '
            f'ungoverned {format_value("share", row.get("ungoverned_share", 0.0))}</div>')
    return (f'<table class="corridor-monitors"><tr><th>faction</th>{head}<th>units</th></tr>'
            f'{"".join(rows)}</table>{pairs}{rest}')


def key_html(run: LiveRun) -> str:
    """The monitors' key in words, shown on screen (a class cannot hover): the units' shapes and
    what an open land bridge means."""
    key = " ".join(f"{g} {KIND_LABELS[k]}" for k, g in KIND_GLYPHS.items())
    return (f'<div class="corridor-help"><b>units</b>: {e(key)} · <b>bridge</b> open: a convoy could drive '
            f'{e(run.land_bridge_route())} on friendly ground</div>')


def log_html(run: LiveRun, limit: int) -> str:
    """The event log, newest first; before the first step, what the first step will bring."""
    lines = run.log_newest_first(limit)
    if not lines:
        due = run.due_at_start()
        soon = "".join(f"<div>day 0 00:00 (in the first step) — {e(text)}</div>" for text in due)
        return (f'<div class="corridor-log"><i>Nothing yet: press Play or Step.</i>{soon}</div>')
    rows = "".join(f'<div class="k-{e(kind)}">{e(text)}</div>' for kind, text, _ in lines)
    return f'<div class="corridor-log">{rows}</div>'


def summary_html(run: LiveRun) -> str:
    """'What happened': the run so far in a few sentences (see `monitors.what_happened`)."""
    done = [iv for iv in run.interventions if iv.step <= run.model.steps]
    items = "".join(f"<li>{e(line)}</li>" for line in what_happened(run.model, done)[1:])
    head = e(what_happened(run.model, ())[0])
    return f'<div class="corridor-summary"><b>What happened.</b> {head}<ul>{items}</ul></div>'


def questions_html(run: LiveRun) -> str:
    items = "".join(f"<li>{e(q)}</li>" for q in run.info.questions)
    return f'<ol class="corridor-questions">{items}</ol>' if items else "<i>No questions in this scenario.</i>"


def lesson_html(run: LiveRun) -> str:
    """The scenario's lesson from docs/lessons.md, part by part, then its teaching questions."""
    lesson = lesson_for(run.info.stem)
    questions = f"<h4>Ask the class ({e(run.info.name)})</h4>{questions_html(run)}"
    if lesson is None:
        return f'<div class="corridor-lesson"><p>No lesson in docs/lessons.md uses this scenario.</p>{questions}</div>'
    parts = "".join(f"<h4>{e(part.rstrip('.'))}</h4>{lesson.html(part)}" for part in PARTS if part in lesson.parts)
    return f'<div class="corridor-lesson"><h3>{e(lesson.title)}</h3>{parts}{questions}</div>'
