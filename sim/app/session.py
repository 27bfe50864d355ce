"""A class session (`python run.py viz SCENARIO --class`), apart from any widget: student teams
join with a code, each takes one faction's command (or watches), and at each planning cycle of
the faction planners (`planner.every_hours`) the model waits while every team picks one of the
options its planner scores, within a time limit; an undecided team gets the planner's choice.

How a team's pick reaches the model: the model's `chooser` hook (`sim.model.CorridorModel`,
called by `FactionPlanner.decide` with the options it scored). At the first planner of a
cycle, the session publishes the options of every team's planner due now (so that the teams
decide at the same time, as commands issuing orders for the same day), waits until every team
has decided, the time is up or the teacher moves on, then returns each planner its team's pick,
found again among the options it scores at its turn by the option's wording (a command deciding
after another sees what the other did; an option that is gone meanwhile falls to the staff,
and the log says so). The option is carried out by the planner itself (`carry_out`): the
session has no copy of the options' code.

The model steps in one thread of the session (`start`); the pages read it under `cond`, which
the chooser releases while it waits, so that every page can draw the situation the teams decide
on. `version` moves on every change, for pages to redraw. Nothing here imports Solara.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sim.app.state import LiveRun
from sim.program.errors import UserError

#: letters and digits of a join code (no look-alikes: 0/O, 1/I/L, 2/Z, 5/S, 8/B)
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6
#: seconds a team has to decide by default (the teacher's `--decide-seconds`)
DECIDE_SECONDS = 90.0
#: seconds between two model steps while the run goes on between cycles (a class sees it move)
STEP_PAUSE_S = 0.03
TEAM_NAME_MAX = 30
#: a team's choices besides the options: hold (wait), or let the staff (the planner) decide
WAIT, STAFF = "wait", "staff"


@dataclass
class Team:
    """A browser that joined: its secret seat (kept in its cookie), its name and the faction whose
    eyes it sees through (None: not chosen yet); it commands that faction when the faction has a
    planner, and watches through its eyes otherwise (e.g. ISIS, whose cells follow rules)."""

    seat: str
    name: str
    faction: int | None = None


@dataclass
class Cycle:
    """One planning cycle: the options each team's faction was shown and the teams' picks
    (an option's `action`, `WAIT` or `STAFF`)."""

    hours: float
    deadline: float  # time.monotonic() by which the teams must decide
    options: dict[int, list] = field(default_factory=dict)  # faction -> the planner's options
    picks: dict[int, str] = field(default_factory=dict)
    closed: bool = False


def new_code(length: int = CODE_LENGTH) -> str:
    """A random join code, e.g. 'K7MRCX' (`secrets`: not guessable from earlier codes)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


class ClassSession:
    """One class: the run the teams command, its join code and teacher key, the teams, the
    decision cycle under way and the teacher's controls (pause, advance, reveal, end)."""

    def __init__(self, scenario: str | Path, seed: int | None = None, decide_seconds: float = DECIDE_SECONDS,
                 show_scores: bool = False, step_pause_s: float = STEP_PAUSE_S):
        self.run = LiveRun(scenario, seed=seed)
        if not self.run.model.planners:
            raise UserError(f"{Path(scenario).name}: no faction has a planner (factions.<id>.planner), so a "
                            "class has nothing to command; use e.g. scenarios/corridor_campaign.yaml")
        self.run.model.chooser = self._choose
        self.join_code = new_code()
        self.teacher_key = secrets.token_urlsafe(16)
        self.decide_seconds = float(decide_seconds)
        self.show_scores = show_scores
        self.join_url = ""  # the address students open, shown on the console (set by `viz --class`)
        self.step_pause_s = step_pause_s
        self.cond = threading.Condition(threading.RLock())
        self.teams: dict[str, Team] = {}
        self.paused = True  # until the teacher starts
        self.revealed = False  # the teacher showed every team the whole map
        self.ended = False
        self.cycle: Cycle | None = None
        self.cycles = 0
        self.version = 0
        self._paused_at: float | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ who is in the class
    @property
    def commandable(self) -> dict[int, str]:
        """Faction index -> label of every faction with a planner (a team can command it)."""
        labels = self.run.model.factions.labels
        return {f: labels[f] for f in sorted(self.run.model.planners)}

    def check_code(self, code: str | None) -> bool:
        return code is not None and secrets.compare_digest(code.strip().upper().encode(), self.join_code.encode())

    def check_teacher(self, key: str | None) -> bool:
        return key is not None and secrets.compare_digest(key.encode(), self.teacher_key.encode())

    def join(self, name: str) -> Team:
        """A new team called `name` (1–30 printable characters); UserError otherwise."""
        name = " ".join(str(name).split())
        if not name or len(name) > TEAM_NAME_MAX or not name.isprintable():
            raise UserError(f"Team name: 1 to {TEAM_NAME_MAX} letters, digits or spaces, please")
        with self.cond:
            if any(t.name.lower() == name.lower() for t in self.teams.values()):
                raise UserError(f"Team name: '{name}' has joined already; choose another")
            team = Team(secrets.token_urlsafe(12), name)
            self.teams[team.seat] = team
            self._changed()
            return team

    def team(self, seat: str | None) -> Team | None:
        return self.teams.get(seat or "")

    def take(self, seat: str, faction: int | None) -> None:
        """The team at `seat` takes the command of `faction` (an index; a faction without a
        planner: it watches through its eyes); UserError if another team commands it."""
        with self.cond:
            team = self.teams.get(seat)
            if team is None:
                raise UserError("This browser has not joined the class; open the join page again")
            if faction is not None:
                if not 0 <= faction < len(self.run.model.factions):
                    raise UserError("No such faction in this scenario")
                holder = self.team_of(faction)
                if holder is not None and holder is not team:
                    raise UserError(f"Team {holder.name} commands {self.commandable[faction]} already")
            team.faction = faction
            self._changed()

    def team_of(self, faction: int) -> Team | None:
        """The team commanding `faction`, if it has a planner and a team took it."""
        if faction not in self.run.model.planners:
            return None
        return next((t for t in self.teams.values() if t.faction == faction), None)

    # ------------------------------------------------------------------ the teacher's controls
    def start(self) -> None:
        """Start the thread that steps the model (once); the run stays paused until `advance`."""
        with self.cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="class-session", daemon=True)
                self._thread.start()

    def advance(self) -> None:
        """Close the decision under way (teams that have not decided get the staff's choice)
        and run on to the next planning cycle."""
        with self.cond:
            if self.cycle is not None:
                self.cycle.closed = True
            self._resume()
            self._changed()

    def pause(self) -> None:
        """Stop the model after the step under way and stop the decision clock."""
        with self.cond:
            if not self.paused:
                self.paused, self._paused_at = True, time.monotonic()
                self._changed()

    def reveal(self, on: bool) -> None:
        with self.cond:
            self.revealed = on
            self._changed()

    def show(self, scores: bool) -> None:
        """Show the teams the scores of their options (or hide them)."""
        with self.cond:
            self.show_scores = scores
            self._changed()

    def end(self) -> None:
        with self.cond:
            self.ended = True
            if self.cycle is not None:
                self.cycle.closed = True
            self._changed()

    def _resume(self) -> None:
        if self.paused:
            if self._paused_at is not None and self.cycle is not None:
                self.cycle.deadline += time.monotonic() - self._paused_at
            self.paused, self._paused_at = False, None

    def _changed(self) -> None:
        self.version += 1
        self.cond.notify_all()

    def wait_change(self, seen: int, timeout: float) -> int:
        """Block until `version` differs from `seen` (or `timeout` seconds); the version now."""
        with self.cond:
            self.cond.wait_for(lambda: self.version != seen, timeout)
            return self.version

    # ------------------------------------------------------------------ the teams' decisions
    def options_for(self, faction: int) -> list | None:
        """The options shown to `faction`'s team now (those its planner could carry out), or
        None when it has no decision open."""
        cycle = self.cycle
        if cycle is None or cycle.closed or faction not in cycle.options:
            return None
        return [o for o in cycle.options[faction] if o.act is not None]

    def pick(self, seat: str, choice: str) -> None:
        """The team at `seat` decides: an option's `action` as shown, `WAIT` or `STAFF`;
        UserError when it has no decision open or the choice is not one of its options."""
        with self.cond:
            team = self.teams.get(seat)
            if team is None or team.faction is None or self.team_of(team.faction) is not team:
                raise UserError("Only a team that commands a faction decides")
            options = self.options_for(team.faction)
            if options is None:
                raise UserError("There is no decision to make now: wait for the next planning cycle")
            if choice not in (WAIT, STAFF) and choice not in {o.action for o in options}:
                raise UserError("That is not one of your options; pick one from the list")
            self.cycle.picks[team.faction] = choice
            if set(self.cycle.picks) >= set(self.cycle.options):
                self.cycle.closed = True
            self._changed()

    def seconds_left(self) -> float | None:
        cycle = self.cycle
        if cycle is None or cycle.closed:
            return None
        now = self._paused_at if self.paused and self._paused_at is not None else time.monotonic()
        return max(0.0, cycle.deadline - now)

    def _due(self, planner, hours: float) -> bool:
        every = planner.spec.every_hours
        return hours > 0 and abs(hours / every - round(hours / every)) < 1e-9

    def _open_cycle(self, hours: float) -> Cycle:
        """Publish the options of every team's planner due at `hours` and start the clock."""
        cycle = Cycle(hours, time.monotonic() + self.decide_seconds)
        for f, planner in self.run.model.planners.items():
            if self.team_of(f) is not None and self._due(planner, hours):
                cycle.options[f] = planner.options()
        self.cycle = cycle
        self.cycles += 1
        self._changed()
        return cycle

    def _choose(self, planner, options: list, best):
        """The model's chooser (in the thread stepping the model): None for a faction no team
        commands (its planner decides as always), else (option or None, who chose)."""
        team = self.team_of(planner.faction)
        if team is None:
            return None
        with self.cond:  # re-entrant: the session's thread holds it already; `wait` lets it go
            return self._team_choice(planner, team, options, best)

    def _team_choice(self, planner, team: Team, options: list, best):
        hours = self.run.model.hours
        cycle = self.cycle
        if cycle is None or cycle.hours != hours:
            cycle = self._open_cycle(hours)
        while not cycle.closed and not self.ended:
            left = self.seconds_left()
            if left is not None and left <= 0 and not self.paused:
                cycle.closed = True
                break
            self.cond.wait(timeout=min(left or 0.5, 0.5))
        if not cycle.closed:
            cycle.closed = True
        self._changed()
        staff = best if best is not None and best.score > 0 and best.act is not None else None
        pick = cycle.picks.get(planner.faction)
        if pick is None:
            return staff, f"the staff, as team {team.name} did not decide in time"
        if pick == STAFF:
            return staff, f"the staff, as team {team.name} asked"
        if pick == WAIT:
            return None, f"team {team.name}"
        same = [o for o in options if o.action == pick and o.act is not None]
        if not same:
            stem = pick.split(" (")[0]
            same = [o for o in options if o.action.split(" (")[0] == stem and o.act is not None]
        if same:
            return same[0], f"team {team.name}"
        return staff, f"the staff, as team {team.name}'s choice ({pick}) was no longer open"

    # ------------------------------------------------------------------ the model's thread
    def _loop(self) -> None:
        while True:
            with self.cond:
                self.cond.wait_for(lambda: self.ended or not self.paused)
                if self.ended or self.run.finished:
                    self.ended = True
                    self._changed()
                    return
                self.run.advance(1)
                self._changed()
            time.sleep(self.step_pause_s)

    def join_thread(self, timeout: float) -> None:
        """Wait for the model's thread to stop (after `end`)."""
        if self._thread is not None:
            self._thread.join(timeout)


_CURRENT: list[ClassSession] = []


def serve(session: ClassSession) -> None:
    """Make `session` the one the class page (`sim.app.class_page`) of this process shows."""
    _CURRENT[:] = [session]


def current() -> ClassSession | None:
    """The session this process serves (`serve`), or None."""
    return _CURRENT[0] if _CURRENT else None
