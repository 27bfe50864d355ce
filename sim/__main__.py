"""`python -m sim`: the command line, as `python run.py` and the installed `corridor` command."""

import sys

from sim.program.cli import main

sys.exit(main())
