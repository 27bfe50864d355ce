"""The mapping file (a YAML file the user writes): the record's actors and the model's factions
to one vocabulary of factions, the record's place names to the map's, what the events record
covers (countries, dates); and the vocabulary the patterns score (`DYADS`, `HOLDERS`).

Names the file gets wrong are refused in one line ``file:line: section.name: message``
(`sim.program.errors.UserError`): a ``model`` or ``model_events`` name that is not one of the
scenario's faction ids (``insurgentz: isis``: the model's ``insurgents`` would stay unmapped and
every ISIS count of the model 0) while a faction of the scenario maps to no faction the record
names (`Mapping.check_names`, called by the hindcast once the scenario and the record are read).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sim.hindcast.regions import Coverage
from sim.hindcast.window import Window
from sim.program.errors import UserError
from sim.scenario.encoding import NotUTF8, decode_utf8

#: the dyads the patterns count apart (other dyads count in ``all``), as `sim.hindcast.events.dyad` names them
DYADS = ("government_russia-isis", "isis-sdf_coalition", "civilians-isis", "government_russia-sdf_coalition",
         "iraq_pmf-isis")
#: the holders of a place the patterns compare: the record's factions and two states of no one's hold
HOLDERS = ("government_russia", "iran_militia", "isis", "sdf_coalition", "iraq_pmf", "contested", "ungoverned")

MAPPING_FILE = "mapping.yaml"
MAPPING_KEYS = ("actors", "model", "model_events", "places")
COVERAGE_KEY = "event_countries"  # the countries the events record covers (a list; absent: the whole map)
DATES_KEY = "event_dates"  # the dates the events record covers ({start, end}; absent: not declared, not checked)


@dataclass(frozen=True)
class Mapping:
    """Names to one vocabulary of factions: `actors` (record actor → faction), `model` (a
    scenario's faction id or striker → faction), `model_events` (overrides of `model` for events
    only), `places` (record place name → map place name). Names not listed map to themselves.
    `event_countries`: the countries the events record covers, as the map names them (UCDP GED's
    Syria country file: ``("Syria",)``); None for the whole map (`sim.hindcast.regions.Coverage`);
    `where` is where the file sets it (``file:line``), for error messages. `event_dates`: the
    dates the events record covers (a Window; None: not declared), `dates_where` where it is set."""

    actors: dict[str, str] = field(default_factory=dict)
    model: dict[str, str] = field(default_factory=dict)
    model_events: dict[str, str] = field(default_factory=dict)
    places: dict[str, str] = field(default_factory=dict)
    event_countries: tuple[str, ...] | None = None
    where: str = ""
    event_dates: Window | None = None
    dates_where: str = ""
    lines: dict[str, int] = field(default_factory=dict)  # "section" and "section.name" → its line in the file
    source: str = ""  # the file, for error messages

    def check_names(self, model_ids: Iterable[str], record_factions: Iterable[str]) -> None:
        """UserError ``file:line: section.name: message`` if one of `model_ids` (the scenario's
        faction ids) maps, for holders or for events, to a faction not in `record_factions` (the
        factions the record names; `HOLDERS` and the dyads' sides always count): its holders and
        events would be compared with nothing the record has, and a count of the record's faction
        would be 0 in every run. The line is that of the name mapping it, or of a name under
        ``model``/``model_events`` that is not the scenario's and looks like its misspelling
        (``insurgentz``), else of the section. Names that are not the scenario's are otherwise
        allowed: one mapping file serves several scenarios (and strikers need no mapping)."""
        known = set(record_factions) | set(HOLDERS) | {side for d in DYADS for side in d.split("-")}
        self._check_actor_targets({*HOLDERS, *(side for d in DYADS for side in d.split("-")), *self.model.values(),
                                   *self.model_events.values()})
        ids = list(model_ids)
        for fid in ids:
            for section, events in (("model", False), ("model_events", True)):
                faction = self.model_faction(fid, events=events)
                if faction in known:
                    continue
                expected = f"expected one of {', '.join(sorted(known))}"
                if fid in getattr(self, section) or (events and fid in self.model):
                    own = section if fid in getattr(self, section) else "model"
                    raise UserError(f"{self.source}:{self.lines.get(f'{own}.{fid}', 1)}: {own}.{fid}: maps to "
                                    f"'{faction}', a faction the record does not name ({expected})")
                strays = [n for n in (*self.model, *self.model_events) if n not in ids]
                near = difflib.get_close_matches(fid, strays, n=1)
                if near:
                    own = "model" if near[0] in self.model else "model_events"
                    raise UserError(f"{self.source}:{self.lines.get(f'{own}.{near[0]}', 1)}: {own}.{near[0]}: not a "
                                    f"faction id of the scenario (expected one of {', '.join(ids)}; '{fid}' is "
                                    f"left unmapped)")
                raise UserError(f"{self.source or 'the mapping'}:{self.lines.get('model', 1)}: model: the scenario's "
                                f"faction '{fid}' maps to no faction the record names: add `{fid}: FACTION` ({expected})")

    def _check_actor_targets(self, scored: set[str]) -> None:
        """UserError ``file:line: actors.NAME: …`` if an actor maps to a faction that nothing scores
        or maps to but that looks like the misspelling of one that does (``sdf_coaliton``): its
        events would silently leave the counts (a dyad of 0 in the record, "covered" by every band).
        Other unscored factions (``civilians``, ``israel``) are allowed."""
        for actor, faction in self.actors.items():
            near = [] if faction in scored else difflib.get_close_matches(faction, sorted(scored), n=1, cutoff=0.85)
            if near:
                raise UserError(f"{self.source}:{self.lines.get(f'actors.{actor}', 1)}: actors.{actor}: maps to "
                                f"'{faction}', which no scored or model faction is; expected '{near[0]}'?")

    def check_window(self, window: Window | None) -> None:
        """UserError if `window` reaches outside `event_dates`: a month the record does not cover
        would be compared as a month without events (0), and every band holding 0 would "cover" it."""
        if window is None or self.event_dates is None:
            return
        if window.start < self.event_dates.start or window.end > self.event_dates.end:
            raise UserError(f"{self.dates_where}: {DATES_KEY}: the record's events cover {self.event_dates.start} to "
                            f"{self.event_dates.end} only, and the window {window} goes beyond them (a month it does not "
                            f"cover would count as a month without events); give a window inside them, or the record "
                            f"of that window (hindcast --record FOLDER)")

    def coverage(self, corridor_map) -> Coverage:
        """What the events record can see on `corridor_map`; UserError for a country the map lacks."""
        return Coverage(corridor_map, self.event_countries, f"{self.where}: {COVERAGE_KEY}")

    def model_faction(self, name: str, events: bool = False) -> str:
        if events and name in self.model_events:
            return self.model_events[name]
        return self.model.get(name, name)


def read_mapping(path: Path | None) -> Mapping:
    """The mapping file (YAML: `MAPPING_KEYS`, each a mapping of names to names, `COVERAGE_KEY`,
    a list of country names, and `DATES_KEY`, {start, end}); an empty Mapping for None. Errors:
    UserError ``file:line: key: message``."""
    if path is None:
        return Mapping()
    path = Path(path)
    try:
        text = decode_utf8(path.read_bytes())
        data = yaml.safe_load(text) or {}
    except OSError as exc:
        raise UserError(f"{path}: cannot read the mapping file ({exc.strerror})") from None
    except NotUTF8 as exc:
        raise UserError(f"{path}:{exc.line or 1}: {exc}") from None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise UserError(f"{path}:{'' if line is None else line + 1}: not valid YAML") from None
    except ValueError as exc:  # PyYAML's timestamp constructor on a date that does not exist (2018-02-30)
        raise UserError(f"{path}: not valid YAML: {exc} (a date that does not exist?)") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}:1: expected a mapping with keys {', '.join((*MAPPING_KEYS, COVERAGE_KEY))}")
    lines = text.splitlines()
    name_lines = _name_lines(text)
    coverage_line, dates, dates_line = 1, None, 1
    for key, value in data.items():
        line = next((i + 1 for i, s in enumerate(lines) if s.startswith(f"{key}:")), 1)
        if key == DATES_KEY:
            dates, dates_line = _event_dates(path, line, value), line
            continue
        if key == COVERAGE_KEY:
            coverage_line = line
            if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
                raise UserError(f"{path}:{line}: {key}: expected a list of the map's country names (e.g. [Syria])")
            continue
        if key not in MAPPING_KEYS:
            raise UserError(f"{path}:{line}: {key}: unknown key (expected one of "
                            f"{', '.join((*MAPPING_KEYS, COVERAGE_KEY, DATES_KEY))})")
        if value is not None and (not isinstance(value, dict)
                                  or not all(isinstance(v, str) for v in value.values())):
            raise UserError(f"{path}:{line}: {key}: expected a mapping of names to names (name: faction)")
    countries = data.get(COVERAGE_KEY)
    return Mapping(**{k: {str(a): b for a, b in (data.get(k) or {}).items()} for k in MAPPING_KEYS},
                   event_countries=None if countries is None else tuple(countries), where=f"{path}:{coverage_line}",
                   event_dates=dates, dates_where=f"{path}:{dates_line}", lines=name_lines, source=str(path))


def _name_lines(text: str) -> dict[str, int]:
    """"section" and "section.name" → the line (1-based) of each section of the YAML `text` and of
    each name under it."""
    out: dict[str, int] = {}
    root = yaml.compose(text)
    for key, value in (root.value if isinstance(root, yaml.MappingNode) else ()):
        out[str(key.value)] = key.start_mark.line + 1
        for name, _ in (value.value if isinstance(value, yaml.MappingNode) else ()):
            out[f"{key.value}.{name.value}"] = name.start_mark.line + 1
    return out


def _event_dates(path: Path, line: int, value) -> Window:
    """The mapping file's `event_dates` ({start: DATE, end: DATE}) as a Window; UserError otherwise."""
    where = f"{path}:{line}: {DATES_KEY}"
    if not isinstance(value, dict) or set(value) != {"start", "end"}:
        raise UserError(f"{where}: expected {{start: YYYY-MM-DD, end: YYYY-MM-DD}}, the dates the events files cover")
    return Window.parse(f"{value['start']}:{value['end']}", where)


