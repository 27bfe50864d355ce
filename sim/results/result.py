"""The results of one run: the per-step table, the summary of headline outcomes, the event log
and the map snapshots, and `save`, which writes them all into a new run folder."""

from __future__ import annotations

import platform
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.hindcast.events import events_table, write_events
from sim.program.disclaimer import DISCLAIMER
from sim.program.folders import CHECKOUT
from sim.program.output import write_atomic, write_json_atomic, write_text_atomic
from sim.results.event_log import INCIDENT_KINDS, EventLog
from sim.world.calendar import Calendar

PACKAGES = ("mesa", "numpy", "scipy", "pandas", "matplotlib", "pydantic", "PyYAML", "shapely")


@dataclass
class RunResult:
    scenario_name: str
    seed: int
    digest: str
    resolved: dict
    steps: pd.DataFrame
    summary: dict
    log: EventLog
    frames: list = field(repr=False, default_factory=list)
    faction_ids: list[str] = field(default_factory=list)
    faction_labels: list[str] = field(default_factory=list)
    faction_colors: list[str] = field(default_factory=list)
    map: object = field(repr=False, default=None)
    influence: np.ndarray | None = field(repr=False, default=None)
    #: towns with inhabitants and their support at the end (sim.submodels.population), [] without a population
    towns: list[dict] = field(repr=False, default_factory=list)
    #: the dates of simulated time (sim.world.calendar)
    calendar: Calendar | None = field(repr=False, default=None)
    #: the violent events, one row per day, cell, kind and dyad (sim.hindcast.events.EVENT_COLUMNS)
    events: pd.DataFrame | None = field(repr=False, default=None)

    @classmethod
    def from_recorder(cls, rec) -> RunResult:
        """The results so far of the model whose `Recorder` is `rec` (at the end of a run or mid-run)."""
        m = rec.model
        summary = {"scenario": m.spec.name, "seed": m.seed_value, "days": float(rec.hours[rec.rows - 1] / 24.0),
                   **rec.summary()}
        return cls(
            scenario_name=m.spec.name, seed=m.seed_value, digest=m.loaded.digest,
            resolved=m.loaded.resolved, steps=rec.steps(), summary=summary, log=m.log, frames=rec.frames,
            faction_ids=m.factions.ids, faction_labels=m.factions.labels, faction_colors=m.factions.colors,
            map=m.map, influence=m.influence.influence.copy(), towns=cls._towns(m), calendar=m.calendar,
            events=events_table(rec.violence, m.calendar, m.map, m.spec.engagement.killed_share))

    @staticmethod
    def _towns(m) -> list[dict]:
        pop = m.population
        if pop is None:
            return []
        return [{"name": name, "cell": tuple(int(v) for v in town.cell), "population": float(people),
                 "support": {f: round(float(s), 6) for f, s in zip(m.factions.ids, pop.support[t], strict=True)}}
                for t, (name, town, people) in enumerate(zip(pop.names, pop.towns, pop.people, strict=True))]

    # ------------------------------------------------------------------------------ saving
    def save(self, out_dir: Path, *, command: list[str] | None = None, animation: bool = True,
             progress: bool = False, gis: bool = True) -> Path:
        """Write every artefact of the run into `out_dir` (which must not exist or be empty);
        `gis`: also the GeoTIFF and GeoJSON layers in `gis/` (`sim.results.gis_layers`)."""
        from sim.figures.one_run import draw_control_chart, draw_control_map, write_animation
        from sim.figures.support import draw_support

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        write_text_atomic(out / "scenario.resolved.yaml",
                          f"# {DISCLAIMER}\n" + yaml.safe_dump(self.resolved, sort_keys=False, allow_unicode=True))
        write_json_atomic(out / "provenance.json", self.provenance(command))
        write_atomic(out / "steps.csv", lambda tmp: self.steps.to_csv(tmp, index=False, float_format="%.6g"))
        write_json_atomic(out / "summary.json", {"note": DISCLAIMER, **self.summary})
        if self.map.adjustments:  # the places the map moved at this cell size, once per run
            write_atomic(out / "moved_places.csv",
                         lambda tmp: pd.DataFrame(self.map.moved_places()).to_csv(tmp, index=False))
        write_text_atomic(out / "events.jsonl", self.log.to_jsonl())
        write_events(self.events, out)
        write_text_atomic(out / "narrative.txt", f"{self.scenario_name} (seed {self.seed}). {DISCLAIMER}\n\n"
                          + self.log.to_text())
        draw_control_map(self, self.frames[-1], out / "control_map.png")
        draw_control_chart(self, out / "control_over_time.png")
        draw_support(self, out / "support.png")
        if animation:
            write_animation(self, out / "animation.gif", progress=progress)
        if gis:
            from sim.results.gis_layers import write_run_gis

            write_run_gis(self, out / "gis", code_version())
        return out

    def provenance(self, command: list[str] | None) -> dict:
        return {
            "note": DISCLAIMER,
            "scenario": self.scenario_name,
            "scenario_sha256": self.digest,
            "seed": self.seed,
            "code_version": code_version(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "packages": package_versions(),
            "command": command if command is not None else sys.argv,
        }

    def headline(self) -> str:
        """A few lines for the terminal."""
        s = self.summary
        lines = [f"{self.scenario_name} — seed {self.seed}, {s['days']:.0f} days. {DISCLAIMER}"]
        shares = ", ".join(f"{label} {land_percent(s[f'share_{f}'])}" for f, label in zip(self.faction_ids,
                                                                                         self.faction_labels, strict=True))
        lines.append(f"  control of the land at the end: {shares}; contested {land_percent(s['contested_share'])}, "
                     f"ungoverned {land_percent(s['ungoverned_share'])}")
        convoys = [f"{k[len('convoy_'):]}: {v}" for k, v in s.items()
                   if k.startswith("convoy_") and isinstance(v, str)]
        if convoys:
            lines.append("  convoys: " + "; ".join(convoys))
        label = dict(zip(self.faction_ids, self.faction_labels, strict=True))
        bridges = [f"{label.get(f := k[len('land_bridge_'):-len('_open_at_end')], f)} {'open' if v else 'closed'}"
                   for k, v in s.items() if k.startswith("land_bridge_") and k.endswith("_open_at_end")]
        if bridges:
            lines.append("  land bridge at the end: " + ", ".join(bridges))
        incidents = ", ".join(f"{kind} {s[f'incidents_{kind}']}" for kind in INCIDENT_KINDS
                              if s[f"incidents_{kind}"] and kind != "event")
        if incidents:
            lines.append("  incidents: " + incidents)
        return "\n".join(lines)


def land_percent(share: float) -> str:
    """A share of the land (0–1) as the run summary prints it, a whole percent ("34%"); "<1%" for
    a share that rounds to 0 % but is not 0 (a faction holding 0.34 % is not "0%")."""
    text = f"{share:.0%}"
    return "<1%" if text == "0%" and share > 0 else text


def code_version() -> str:
    if CHECKOUT is None:  # installed: the package's version
        return metadata.version("corridor")
    try:
        rev = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=CHECKOUT, capture_output=True,
                             text=True, timeout=5, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        rev = ""
    return rev or metadata.version("corridor")


def package_versions(names=PACKAGES) -> dict:
    """Installed versions of `names` (None for a package that is not installed)."""
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out
