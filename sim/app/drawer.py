"""The app's drawer (it opens on the left of the map and closes again): the controls — side by
side, seed, each side's scenario, rule sliders with "apply now", events to trigger, export and
the worksheet — and the scenario's lesson.
"""

from __future__ import annotations

from pathlib import Path

import solara

from sim.app import views
from sim.app.actions import background, guard, heading, layout, safe_html
from sim.app.controls import CONTROLS, scenario_info, scenario_library
from sim.app.export import export_runs
from sim.app.interventions import AIRSTRIKE, SET, triggers
from sim.app.lessons import lesson_for, worksheet_html
from sim.app.presenter import shortcuts_text
from sim.app.state import Controller
from sim.program.errors import UserError

#: the export's progress, (share done 0–1, what is being written); None when none is running
export_progress = solara.reactive(None)
exported = solara.reactive(None)  # (the runs it was made from, its folder) of the last export


def _runs(ctl: Controller) -> tuple[int, ...]:
    return tuple(id(side.run) for side in ctl.sides)


@solara.lab.task
def export_job(ctl: Controller) -> None:
    runs = _runs(ctl)
    try:
        export_progress.value = (0.0, "starting")
        with ctl.lock:
            runs_now = [side.run for side in ctl.sides]
        # the export replays copies of the runs, so the class can go on while the files are written
        folder = export_runs(runs_now, progress=lambda share, what: export_progress.set((share, what)))
        exported.value = (runs, folder)
    finally:
        export_progress.value = None


@solara.component
def Export(ctl: Controller):
    """Export for slides in the background (the app stays usable), with its progress; the
    downloads stay until the runs they show are reset or replaced. One root element (a column)
    whatever the state: the button alone would be the root, and the button with the progress a
    fragment, which would make the button anew as the export starts (see `sim.app.toolbar.Toolbar`)."""
    _ = layout.value
    with solara.Column(gap="6px", classes=["corridor-export-box"]):
        solara.Button("Export for slides (PNG + GIF)", icon_name="mdi-content-save", on_click=lambda: export_job(ctl),
                      disabled=export_job.pending, outlined=True, classes=["corridor-export"])
        if export_job.pending:
            share, what = export_progress.value or (0.0, "starting")
            solara.Text(f"Exporting {share:.0%}: {what}", classes=["corridor-export-progress"])
            # the share done, not an endless animation: that kept the browser drawing 60 frames a
            # second for as long as the export took (docs/performance.md, `make test`, session 15)
            solara.ProgressLinear(100 * share, classes=["corridor-export-bar"])
        elif export_job.error:
            solara.Error(f"Export failed: {export_job.exception}", dense=True)
        elif exported.value is not None and exported.value[0] == _runs(ctl):
            folder: Path = exported.value[1]
            solara.Success("Saved:", dense=True, classes=["corridor-export-done"])
            solara.Text(str(folder), classes=["corridor-path"])
            for path in sorted(folder.rglob("*")):
                if path.is_file() and not path.name.startswith("."):  # not Corridor's own marker file
                    name = str(path.relative_to(folder))
                    solara.FileDownload(lambda p=path: p.read_bytes(), filename=name.replace("/", "_"),
                                        label=f"Download {name}")


def _title(path: Path) -> str:
    """The picker's entry for a scenario file: its title and file stem (a file that does not
    load says so; choosing it shows why)."""
    try:
        return f"{scenario_info(path).name} ({path.stem})"
    except UserError:
        return f"{path.stem} (does not load)"


@solara.component
def SideControls(ctl: Controller, index: int):
    """One side's scenario picker, rule sliders (on reset, or now) and events to trigger."""
    _ = layout.value
    if index >= len(ctl.sides):  # side by side was just switched off
        return
    side = ctl.sides[index]
    run = side.run
    titles = {_title(p): p for p in scenario_library()}
    if side.path not in titles.values():
        titles[f"{run.info.name} ({side.path.name})"] = side.path
    current = next(k for k, p in titles.items() if p == side.path)

    def choose(title: str) -> None:
        background(f"Opening {title}…", lambda: ctl.choose_scenario(index, titles[title]))

    solara.Select(label="Scenario", values=list(titles), value=current, on_value=choose,
                  classes=[f"corridor-scenario-{'ab'[index]}"])
    solara.Text(run.info.description, style={"font-size": "14px", "color": "#455a64"})
    for control in CONTROLS:
        key = run.info.rule_keys.get(control.name)
        with solara.Column(gap="0px", classes=[f"corridor-control-{control.name}"]):
            if key is None:
                solara.Text(f"{control.label}: not in this scenario", classes=["corridor-off"])
                continue
            value = side.pending[control.name]

            def set_value(new, name=control.name) -> None:
                guard(lambda: ctl.set_value(index, name, new))

            def apply_now(name=control.name, key=key, param=control.param) -> None:
                guard(lambda: ctl.intervene(index, SET, key, param, side.pending[name]))

            if control.is_switch:
                solara.Switch(label=control.label, value=bool(value), on_value=set_value)
            else:
                solara.Text(f"{control.label}: {value:g}", classes=["corridor-control-label"])
                solara.SliderFloat("", value=float(value), min=control.lo, max=control.hi, step=control.step,
                                   on_value=set_value)
            running = run.parameter(control.name)
            if value != running:
                shown = ("on" if running else "off") if control.is_switch else f"{running:g}"
                solara.Text(f"Changed (the run uses {shown}): Reset to start again with it, or apply it now.",
                            classes=["corridor-pending"])
                solara.Button("Apply now (logged)", on_click=apply_now, small=True, outlined=True,
                              disabled=run.finished, classes=["corridor-apply-now"])
    for key, text in triggers(run.model):
        solara.Button(text, icon_name="mdi-airplane", small=True, outlined=True, disabled=run.finished,
                      on_click=lambda key=key: guard(lambda: ctl.intervene(index, AIRSTRIKE, key)),
                      classes=["corridor-trigger"])


@solara.component
def Drawer(ctl: Controller):
    """Tabs: the controls, or the lesson of each side's scenario."""
    _ = layout.value
    tab, set_tab = solara.use_state("Controls")
    with solara.ToggleButtonsSingle(value=tab, on_value=set_tab, classes=["corridor-drawer-tabs"]):
        solara.Button("Controls", value="Controls", text=True)
        solara.Button("Lesson", value="Lesson", text=True, classes=["corridor-lesson-tab"])
    if tab == "Lesson":
        for i, side in enumerate(ctl.sides):
            if i == 0 or side.path != ctl.sides[0].path:
                solara.HTML(unsafe_innerHTML=safe_html(views.lesson_html, side.run))
        run = ctl.sides[0].run
        names = run.model.factions.labels
        columns = [f"land held % ({f})" for f in names[:3]] + [f"fighters ({f})" for f in names[:3]]
        solara.FileDownload(
            lambda: worksheet_html(run.info.name, lesson_for(run.info.stem), list(run.info.questions),
                                   columns).encode("utf-8"),
            filename=f"worksheet_{run.info.stem}.html", label="Worksheet to print (HTML)")
        return

    def compare(on: bool) -> None:
        background("Side by side…" if on else "Back to one run…", lambda: ctl.compare(on))

    def set_seed(seed) -> None:
        guard(lambda: ctl.set_seed(seed))

    solara.Text(shortcuts_text(), classes=["corridor-shortcuts"])
    solara.Switch(label="Side by side (same seed)", value=ctl.comparing, on_value=compare,
                  classes=["corridor-compare"])
    solara.InputInt("Seed (applies on Reset)", value=ctl.seed if ctl.seed is not None else ctl.run_seed,
                    on_value=set_seed, classes=["corridor-seed-input"])
    for i in range(len(ctl.sides)):
        with solara.Column(gap="4px", classes=[f"corridor-controls-{'ab'[i]}"]):
            if ctl.comparing:
                heading("h3", f"{'AB'[i]} ({'left' if i == 0 else 'right'})")
            SideControls(ctl, i)
    Export(ctl)
