"""mutmut's command line, with the agents' mutants named after the module they are imported as.

mutmut names a mutant after its file's path (agents/base.py → `agents.base.…`), but Corridor
imports the agents as `sim.agents` (sim/__init__.py registers the top-level agents/ folder under
that name). mutmut's trampoline switches a mutant on only when the name's module is the mutated
function's `__module__` (`sim.agents.base`), and its instrumented run files the tests that reach a
function under that module's name, then drops the names of modules it did not generate; left as
generated, every agent mutant would have no test (or, given tests, survive whatever they do).
This wrapper makes mutmut's one naming function, `get_mutant_name`, say `sim.agents.…` for the
files under agents/, in every module that imported it, then runs mutmut.

    python tests/mutation/mutmut_cli.py run --max-children 2 NAME…   # as `mutmut run`
    python tests/mutation/mutmut_cli.py generate                     # only write mutants/
"""

from __future__ import annotations

import sys
from pathlib import Path

import mutmut.__main__ as mutmut_main
import mutmut.mutation.file_mutation as file_mutation
import mutmut.utils.format_utils as format_utils

_path_named = format_utils.get_mutant_name


def get_mutant_name(relative_source_path: Path, mutant_method_name: str) -> str:
    """mutmut's name for a function's mutant, `sim.agents.…` for a file under agents/."""
    name = _path_named(relative_source_path, mutant_method_name)
    return "sim." + name if Path(relative_source_path).parts[:1] == ("agents",) else name


for module in (format_utils, mutmut_main, file_mutation):
    module.get_mutant_name = get_mutant_name


def generate() -> None:
    """The first step of `mutmut run`: the mutated copy in mutants/ and each file's .meta
    (verdicts kept for unchanged functions, None for new or changed ones); no test is run."""
    from mutmut.mutation.trampoline import set_mutant_under_test
    from mutmut.utils.file_utils import copy_also_copy_files, copy_src_dir, setup_source_paths

    set_mutant_under_test("mutant_generation")
    copy_src_dir()
    copy_also_copy_files()
    setup_source_paths()
    mutmut_main.create_mutants(2)


if __name__ == "__main__":
    if sys.argv[1:] == ["generate"]:
        generate()
    else:
        sys.argv[0] = "mutmut"
        mutmut_main.cli()
