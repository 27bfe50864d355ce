"""The text panels of a class session as HTML (no widgets): the state of the session in words,
a team's own figures and its own log (fog of war: only what involves its faction, and the public
timeline), the teacher's list of teams, an option as a team reads it, and the QR code of the join
address. Everything a student's browser shows comes from here or `sim.app.fog`.
"""

from __future__ import annotations

import html
import re

import segno

from sim.app.session import ClassSession

e = html.escape
#: the score in a planner's reasons ("… (score 1.00)" or "(5.1 : 1; score 1.00)"), hidden
#: unless the teacher shows scores
SCORE_ALONE, SCORE_IN = re.compile(r"\s*\(score -?[\d.]+\)"), re.compile(r";\s*score -?[\d.]+\)")
#: log kinds every team reads (the scenario's timeline: public news)
PUBLIC_KINDS = ("event",)


def status_text(session: ClassSession) -> str:
    """What the session is doing, in words ('Decide now: 73 s left', 'Paused by the teacher' …)."""
    if session.ended:
        return "The session has ended: the debrief is on the teacher's screen."
    left = session.seconds_left()
    if left is not None:
        return (f"Decide now: {left:.0f} s left" + (" (paused by the teacher)" if session.paused else ""))
    if session.paused:
        return "Paused by the teacher." if session.cycles else "Waiting for the teacher to start."
    return "The model runs on to the next planning cycle…"


def option_text(option, show_scores: bool) -> tuple[str, str]:
    """(what the order does, why the staff scored it so) as a team reads them; the score is
    cut from the reasons unless `show_scores`."""
    if show_scores:
        return option.action, option.reason + ("" if "score" in option.reason else f" (score {option.score:.2f})")
    return option.action, SCORE_IN.sub(")", SCORE_ALONE.sub("", option.reason))


def own_figures_html(session: ClassSession, faction: int) -> str:
    """The team's own faction: its colour and name, land held and fighters now."""
    model = session.run.model
    rec = model.recorder
    last = rec.rows - 1
    share = float(rec.area_km2[last, faction]) / session.run.land_km2
    colour = model.factions.colors[faction]
    return (f'<div class="class-own"><span class="corridor-swatch" style="background:{e(colour)}"></span>'
            f"<b>{e(model.factions.labels[faction])}</b>: holds {share:.1%} of the land, "
            f"{float(rec.strength[last, faction]):,.0f} fighters</div>")


def team_log_html(session: ClassSession, faction: int, limit: int = 40) -> str:
    """The log lines that involve `faction` (its command's decisions, its convoys, its fights)
    and the public timeline, newest first."""
    model = session.run.model
    fid = model.factions.ids[faction]
    lines = [entry for entry in reversed(model.log.entries)
             if fid in entry.factions or entry.kind in PUBLIC_KINDS][:limit]
    def text(entry) -> str:
        said = entry.narrative()
        return said if session.show_scores else SCORE_IN.sub(")", SCORE_ALONE.sub("", said))

    body = "".join(f'<div class="k-{e(x.kind)}">{e(text(x))}</div>' for x in lines)
    return f'<div class="corridor-log class-log">{body or "<i>Nothing yet.</i>"}</div>'


def teams_html(session: ClassSession) -> str:
    """The teacher's list: each team, what it commands or watches, and whether it has decided."""
    labels = session.run.model.factions.labels
    cycle = session.cycle
    rows = []
    for team in session.teams.values():
        if team.faction is None:
            role, state = "choosing a faction", ""
        elif session.team_of(team.faction) is team:
            role = f"commands {labels[team.faction]}"
            open_ = cycle is not None and not cycle.closed and team.faction in cycle.options
            state = ("decided" if team.faction in cycle.picks else "deciding…") if open_ else ""
        else:
            role, state = f"watches as {labels[team.faction]}", ""
        rows.append(f"<tr><td>{e(team.name)}</td><td>{e(role)}</td><td>{e(state)}</td></tr>")
    if not rows:
        return '<div class="class-teams"><i>No team has joined yet.</i></div>'
    return ('<table class="corridor-monitors class-teams"><tr><th>team</th><th>role</th><th>this cycle</th></tr>'
            + "".join(rows) + "</table>")


def qr_svg(url: str, scale: int = 7) -> str:
    """The QR code of `url` as inline SVG (segno; error correction M, readable off a projector)."""
    return segno.make(url, error="m").svg_inline(scale=scale, border=2)
