"""An output folder of many runs (a sweep's, a comparison's): created and marked as Corridor's,
locked while a command writes into it, reopened to resume, replaced only with `--force` and
only if Corridor created it; one small JSON file per finished run, and a manifest saying
exactly what the runs are.
"""

from __future__ import annotations

import contextlib
import json
import platform
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.experiments.earlier import EarlierFolder, untouched
from sim.experiments.folder_lock import hold, lock, unlock
from sim.experiments.run_files import MANIFEST, clear_unfinished, foreign_run_file, held_runs
from sim.experiments.session import stopped_status
from sim.program.disclaimer import DISCLAIMER
from sim.program.errors import UserError
from sim.program.oserrors import failure_line, working_in
from sim.program.output import (
    mark_folder,
    new_marked_folder,
    probe_writable,
    write_atomic,
    write_json_atomic,
    write_text_atomic,
)
from sim.program.signals import interrupt_behind, said, say_stopped
from sim.program.written import (
    MARKER,
    a_kind,
    corridor_folder_kind,
    foreign_file,
    is_corridor_folder,
    not_a_folder,
    not_marked,
    other_kind,
    refusal,
)
from sim.results.result import code_version, package_versions

if TYPE_CHECKING:  # `sweep --dry-run` asks a folder `check` without importing the model
    from sim.experiments.session import ExecutionReport
    from sim.experiments.worker import RunTask

EXTRA_PACKAGES = ("SALib", "pyarrow", "dask", "distributed", "tqdm")
class RunFolder:
    """An output folder of many runs: a manifest saying exactly what the runs are, one file per
    finished run, and at the end the tables and charts built from them."""

    def __init__(self, path: Path, kind: str, identity: str):
        self.path, self.kind, self.identity = Path(path), kind, identity
        self.runs, self.maps = self.path / "runs", self.path / "maps"
        #: this command's entry in the manifest's "sessions" (written when it starts, completed at the end)
        self.session = {"id": uuid.uuid4().hex[:12], "started": datetime.now().isoformat(timespec="seconds"),
                        "code_version": code_version(), "command": sys.argv, "ended": None}
        self._status: str | None = None  # the status this command last wrote into the manifest
        # whether this command created the folder (`open`), not found it; whether in place of an earlier one (`--force`)
        self.created = self.replaced = False
        # the manifest of the folder this command resumes as it found it, and its text (written back if left as it was)
        self._found, self._found_text = None, ""
        self._held = 0  # the runs the folder held when this command opened it
        self.earlier = EarlierFolder()  # the folder --force replaces (sim.experiments.earlier)
        self.planned: int | None = None  # the runs the command's folder is to hold, if it said (`writing`)

    @contextlib.contextmanager
    def writing(self, *, resume: bool, force: bool, flag: str = "--resume",
                planned: int | None = None) -> Iterator[set[str]]:
        """`open` the folder for the block that writes into it; yields the ids of the runs
        already done. `planned`: the runs it is to hold in all, which its messages count against
        (`saved_note`; else its manifest's "runs", where there is one). However the block is left, the folder's lock is let go (a notebook whose
        sweep failed does not keep the terminal's `--resume` out). If it is left by an exception
        while the manifest this command wrote says "running", the manifest says what happened
        first (`stopped_status`): "interrupted", or "stopped: …" (a full disk, a bug); a
        refusal before this command's first manifest leaves the folder's manifest as it was.
        Every file in the folder is written whole (atomically), so none is half-written. A
        refusal from `open` after the lock was taken (a folder that cannot be written) lets go too."""
        self.planned = planned
        try:
            yield self.open(resume=resume, force=force, flag=flag)
        except BaseException as err:
            if self._status == "running" and (stop := interrupt_behind(err)) is not None:
                saved = len(held_runs(self.runs))
                what = self.interrupted(saved - self._held, "", self.saved_note(saved))
                if not said(stop):  # before or between the runs
                    say_stopped(stop, what)
            elif self._status == "running":
                if (back := self._put_back(err)) is not None:  # --force, and nothing of this command's saved
                    if isinstance(err, UserError):
                        raise UserError(f"{err}; {back}") from None
                    err.add_note(back)  # under the traceback of a bug
                else:
                    self.set_status(stopped_status(err))
            raise
        finally:
            self._unlock()
            self.earlier.discard()  # this command saved what replaces it (else `stop` put it back)

    def _put_back(self, err: BaseException) -> str | None:
        """After a failure `err` (not Ctrl-C): the folder `--force` replaced, put back in place of this
        one if this command saved no run in it (a calibration saves none: its generations go with
        it); what the failure's message adds, or None if nothing was put back (else the folder's
        status says it stopped)."""
        if self.earlier.aside is None or any(self.runs.glob("*.json")):
            return None
        self._unlock()
        try:
            self.earlier.put_back(self.path)
        except (UserError, OSError):  # the machine refused: it is kept, and says it stopped
            return None
        working_in(None)  # a failure of the machine says what it keeps of this folder: nothing
        self._status = stopped_status(err)
        return f"{self.path} is left as it was: --force replaced nothing, and what this command wrote is not kept"

    def manifest(self) -> dict | None:
        try:
            data = json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return None
        return data if isinstance(data, dict) else None  # a list, a number: not a manifest

    def open(self, *, resume: bool, force: bool, flag: str = "--resume") -> set[str]:
        """Create the folder, or reopen one to resume; returns the ids of the runs already done.

        A new folder is claimed atomically and marked as Corridor's (`sim.program.output`); `force`
        replaces only a folder that carries the marker; `resume` needs a manifest of the same
        runs; resuming a folder begun with another code version is refused unless `force` (then
        the mix is recorded in the manifest: `mixed_code_versions`; the refusal names `flag`, the
        option the user gave to resume). Until the manifest says it is complete or stopped
        (`write_manifest`, `set_status`), the folder is locked: a second command on it is
        refused. A run file left empty or cut short by a crash is deleted and run again. A path
        the system refuses (a name too long, no permission) is refused in one line, naming no
        folder of many runs (not the one an earlier, interrupted command of this process left).
        A command opens its folder with `writing`, which lets go of the lock however it ends."""
        working_in(None)  # a folder an earlier command of this process left (interrupted) is not this one's
        try:
            done = self._open(resume, force, flag)
            self._held = len(done)
            probe_writable(self.runs)  # a read-only or full disk is refused before any run
        except UserError:
            raise
        except OSError as err:
            raise UserError(failure_line(err, "cannot write here")) from None
        working_in(self.path, self.kind)  # a later failure of the machine says what is saved here
        return done

    def check(self, *, resume: bool, force: bool, flag: str = "--resume") -> str:
        """What opening the folder would do — "create" it (or adopt an empty one), "resume" it, or
        "replace" it — or the UserError `open` refuses it with, the same line (a link, a file, no
        folder to resume, another kind's or another sweep's folder, another code version without
        `force`, a folder that exists without `resume` or `force`, a folder another command is
        writing into). It only reads: no lock is kept and nothing is written, so `sweep --dry-run`
        asks it too. With `resume`, `force` never replaces: it accepts a folder begun with another
        code version (this command's session then records the version it is `mixed_with`)."""
        try:
            return self._check(resume, force, flag)
        except OSError as err:  # a folder that cannot be read (no permission)
            raise UserError(failure_line(err, "cannot write here")) from None

    def _check(self, resume: bool, force: bool, flag: str) -> str:
        p = self.path
        if p.is_symlink() or (p.exists() and not p.is_dir()):
            raise not_a_folder(p)
        if (under := next((q for q in p.parents if q.exists()), None)) is not None and not under.is_dir():
            raise UserError(f"{p}: {under} is a file, not a folder; choose another --out")
        if resume and (not p.exists() or not any(p.iterdir())):
            raise UserError(f"{p}: nothing to resume (no {self.kind} folder there); check --out, or run "
                            "without --resume to start it")
        if not p.exists() or not any(p.iterdir()):
            return "create"
        manifest = self.manifest()
        if resume:
            verb = "extend" if flag == "--add-replicates" else "finish"  # what `flag` cannot do, if refused
            if manifest is None and not self._unstarted():
                raise UserError(f"{p}: not {a_kind(self.kind)} folder (no readable {MANIFEST}); {flag} cannot "
                                f"{verb} it: choose another --out")
            manifest = manifest or {"kind": self.kind, "identity": self.identity}  # unstarted: start it here
            if manifest.get("kind") != self.kind:
                raise UserError(f"{p}: holds the output of {manifest.get('kind')}, not {a_kind(self.kind)}; {flag} "
                                f"cannot {verb} it: choose another --out")
            if manifest.get("identity") != self.identity:
                raise UserError(f"{p}: was started with different runs (the {self.kind} file, a scenario "
                                f"or the seeds changed since), so {flag} cannot {verb} it; choose a new "
                                "--out" + (f", or run without {flag} and with --force to replace it"
                                           if self._replaceable() else ""))
            before = manifest.get("code_version")
            if before not in (None, self.session["code_version"]):
                if not force:
                    raise UserError(f"{p}: was run with code version {before}, this is "
                                    f"{self.session['code_version']}: resuming would mix model versions in "
                                    f"one table; choose a new --out, or add --force to {flag} to mix them "
                                    "(the manifest records it)")
                self.session["mixed_with"] = before
            if (stray := foreign_run_file(p)) is not None:  # its run would be written over it
                raise UserError(f"{p}: holds {stray.relative_to(p)}, named like a run file but not one Corridor wrote; "
                                f"{flag} would write its run there: move it out first, or choose another --out")
            self._refuse_if_written()
            return "resume"
        if force:
            if not is_corridor_folder(p):
                raise not_marked(p, self.kind)
            if (held := corridor_folder_kind(p)) != self.kind:
                raise other_kind(p, held, self.kind)
            self._refuse_if_written()  # refuse to delete a folder another command is writing into
            if (foreign := foreign_file(p, self.kind)) is not None:
                raise refusal(p, self.kind, foreign)
            return "replace"
        self._refuse_if_written()  # refused as being written, if it is: not "already exists"
        state, same = self._state(manifest), (manifest or {}).get("identity", self.identity) == self.identity
        held = manifest.get("kind", self.kind) if manifest else corridor_folder_kind(p)
        if state == f"not {a_kind(self.kind)} folder" or held not in (None, self.kind):  # only another --out works
            raise UserError(f"{p}: already exists and is not {a_kind(self.kind)} folder"
                            + (f" (it holds Corridor's {held} output)" if held else "") + "; choose another --out")
        advice = ([] if not same or (state == "complete" and self.kind != "sweep") else
                  ["--add-replicates N to extend it with N more replicates per point"] if state == "complete" else
                  ["--resume to finish it"]) + (["--force to start again"] if self._replaceable() else [])
        raise UserError(f"{p}: already exists ({state}" + ("" if same else ", begun with other runs: the sweep "
                        "file, a scenario or the seeds differ") + "); "
                        + "".join(f"pass {a}, " if i == 0 else f"{a}, " for i, a in enumerate(advice))
                        + ("or " if advice else "") + "choose another --out")

    def _replaceable(self) -> bool:
        """Whether `--force` would replace the folder: Corridor's, of this kind, holding nothing else."""
        return corridor_folder_kind(self.path) == self.kind and foreign_file(self.path, self.kind) is None

    def _refuse_if_written(self) -> None:
        """UserError if another command holds the folder's lock (its marker, where there is one)."""
        if (self.path / MARKER).is_file():
            self._lock()
            self._unlock()

    def _open(self, resume: bool, force: bool, flag: str) -> set[str]:
        p = self.path
        action = self.check(resume=resume, force=force, flag=flag)
        if action == "resume":
            self._found = self.manifest()
            self._found_text = (p / MANIFEST).read_text(encoding="utf-8") if self._found is not None else ""
            if not is_corridor_folder(p):  # a folder from before markers: its manifest proves it
                with contextlib.suppress(FileExistsError):
                    mark_folder(p, self.kind)
            self._lock()
        elif action == "replace":
            self.earlier.set_aside(p)  # deleted when this command has saved something, else put back (`stop`)
            new_marked_folder(p, self.kind, claim=self._hold)
            self.created = self.replaced = True
        else:
            self.created = not p.exists()  # an empty folder the user made is adopted, not created
            new_marked_folder(p, self.kind, claim=self._hold)
        self.runs.mkdir(parents=True, exist_ok=True)
        return clear_unfinished(p, self.kind)

    def _state(self, manifest: dict | None) -> str:
        """What a folder that exists holds, in a refusal: its manifest's status; "not started" for Corridor's folder of
        this kind without one (stopped before it, or being created this instant); else not a folder of this kind."""
        if manifest:
            return str(manifest.get("status", "unknown"))
        if (self.path / MARKER).is_file() and corridor_folder_kind(self.path) in (None, self.kind):
            return "not started: no manifest yet"
        return f"not {a_kind(self.kind)} folder"

    def _unstarted(self) -> bool:
        """Whether the folder is Corridor's, of this kind, and stopped (a full disk) before its
        manifest and any run were written: resuming it starts it."""
        return corridor_folder_kind(self.path) == self.kind and not any(self.runs.glob("*.json"))

    def _lock(self) -> None:  # until its manifest says complete or stopped (`sim.experiments.folder_lock`)
        lock(self.path)

    def _hold(self, fd: int) -> None:  # the marker of a folder this command is creating, as it is written
        hold(self.path, fd)

    def _unlock(self) -> None:  # another command may write into it now
        unlock(self.path)

    def save(self, task: RunTask, out: dict, columns: dict) -> None:
        """Write one finished run (its map first: the JSON file's presence means complete)."""
        controller = out.pop("controller", None)
        if controller is not None:
            def save_map(tmp: Path) -> None:
                with open(tmp, "wb") as fh:
                    np.save(fh, controller)
            write_atomic(self.maps / f"{task.run_id}.npy", save_map)
        record = {"columns": columns, **out}
        write_text_atomic(self.runs / f"{task.run_id}.json", json.dumps(record, separators=(",", ":")))

    def set_status(self, status: str) -> None:
        """Relabel the folder's manifest ("interrupted", "stopped: …"), so that the next command
        on it says what happened; a manifest that cannot be written is left as it is. The command
        writes nothing more into the folder: its lock is let go."""
        manifest = self.manifest()
        if manifest is not None:
            with contextlib.suppress(OSError):
                write_json_atomic(self.path / MANIFEST, {**manifest, "status": status})
        self._status = status
        self._unlock()

    def interrupted(self, ran: int, where: str, saved: str) -> str:
        """Record that Ctrl-C (or SIGTERM) stopped this command after it ran `ran` runs: the status
        "interrupted"; returns what its message says after its word, `where` and `saved`. A folder it
        resumed, extended or replaced, none of its new runs finished, is left as it was (`stop`)."""
        if not ran and (self.earlier.aside or self._found is not None and self._found.get("status") != "running"):
            return f": {self.stop('interrupted', 0, 0)}"
        self.set_status("interrupted")
        return f"{where}: {saved}"

    def saved_note(self, finished: int) -> str:
        """What a failure or interrupt message says about the runs already finished: that --resume
        runs the rest, or, when every planned run is saved, that it writes the tables; and, in a
        folder this command's --force replaced, that the earlier results were removed."""
        if not finished:
            return f"no run had finished, none is saved in {self.path}; --resume runs them"
        replaced = f" (the earlier results in {self.path} were removed by --force)" if self.replaced else ""
        if finished >= (self.planned or (self.manifest() or {}).get("runs", finished + 1)):  # every run
            return (f"the {finished} runs are all saved in {self.path}; --resume writes the tables, charts and "
                    f"report{replaced}")
        runs = "1 finished run is" if finished == 1 else f"{finished} finished runs are"
        return f"the {runs} saved in {self.path}; --resume runs the rest{replaced}"

    def stop(self, reason: str, finished: int, ran: int) -> str:
        """Record that this command stopped (`reason`, "stopped: …": an engine lost, a run that
        failed) after running `ran` runs, `finished` saved in all, its session closed in the
        manifest (its end, the runs it ran, why it stopped); returns what the message says:

        * no run saved, in a folder this command created: the folder is removed, and the one
          `--force` replaced put back (`sim.experiments.earlier.EarlierFolder.put_back`);
        * no run of its own, in a folder it resumed or extended: the folder is left as it was, its manifest
          written back byte for byte ("nothing was run, and DIR is left as it was (complete)"); a status of
          "running" (left by a killed command) says `reason`;
        * else the folder's status says `reason`, and the message where the finished runs are saved and that
          --resume runs the rest, and, if it replaced one, that its earlier results were removed (`saved_note`)."""
        self.session.update(ran=ran, ended=datetime.now().isoformat(timespec="seconds"),
                            stopped=reason.removeprefix("stopped: "))
        self._status = reason
        if not finished and self.created and not any(self.runs.glob("*.json")):
            self._unlock()
            try:
                return self.earlier.put_back(self.path)  # removed, and the folder --force replaces put back
            except (UserError, OSError):  # the machine refused: it is kept, and says it stopped
                pass
        found = self._found if not ran else None
        kept = found is not None and found.get("status") != "running"  # "running": a command killed, not a state
        with contextlib.suppress(OSError):
            if kept:
                write_text_atomic(self.path / MANIFEST, self._found_text)
            else:
                write_json_atomic(self.path / MANIFEST, self._with_session({**(found or self.manifest() or {}),
                                                                             "status": reason}))
        self._unlock()
        if kept:
            return f"nothing was run, and {self.path} is left as it was ({found.get('status', 'unknown')})"
        return self.saved_note(finished)

    def untouched(self) -> str:  # what a message says of the folder when the engine could not start
        return untouched(self.path)

    def _with_session(self, manifest: dict) -> dict:
        """`manifest` with this command's session (as it is now) last among its sessions."""
        sessions = [s for s in manifest.get("sessions", []) if s.get("id") != self.session["id"]]
        return {**manifest, "sessions": sessions + [dict(self.session)]}

    def write_manifest(self, info: dict, session: ExecutionReport | None = None, status: str = "running") -> None:
        """Write the manifest: `info`, the code and packages, and every session that has worked
        on the folder — each with its start, end (None while running, or if it was killed), code
        version, command and, once done, the runs it ran (`ExecutionReport`). Earlier code
        versions are kept for good. Once `status` is "complete", the folder is no longer the one a
        failure of the machine reports as saved (:func:`sim.program.oserrors.working_in`), and
        no longer locked."""
        old = self.manifest() or {}
        manifest = {
            "note": DISCLAIMER, "kind": self.kind, "identity": self.identity, "status": status,
            **info,
            "code_version": code_version(), "python": sys.version.split()[0], "platform": platform.platform(),
            "packages": {**package_versions(), **package_versions(EXTRA_PACKAGES)},
            "command": sys.argv,
            "started": old.get("started", self.session["started"]),
        }
        earlier = set(old.get("earlier_code_versions", []))
        if old.get("code_version") not in (None, manifest["code_version"]):
            earlier.add(old["code_version"])
        if earlier:
            manifest["earlier_code_versions"] = sorted(earlier)
        if "mixed_with" in self.session or old.get("mixed_code_versions"):
            manifest["mixed_code_versions"] = True
        if session is not None:
            self.session.update(session.__dict__, ended=datetime.now().isoformat(timespec="seconds"))
        write_json_atomic(self.path / MANIFEST, self._with_session({**manifest, "sessions": old.get("sessions", [])}))
        self._status = status
        if status == "complete":  # written: a later failure in this process is not about this folder
            working_in(None)
            self._unlock()

