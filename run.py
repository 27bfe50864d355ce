#!/usr/bin/env python3
"""Corridor's command line: `python run.py --help`. With no arguments, runs the default scenario."""

import sys

from sim.program.cli import main

if __name__ == "__main__":
    sys.exit(main())
