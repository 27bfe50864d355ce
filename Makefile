# Quick start:  make run   (set up .venv and run the default scenario)
#               make test  (set up .venv and run the test suite)
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup run test lint bench baseline verify mutation clean-venv

$(STAMP): pyproject.toml
	@PY=$$(.ci/find-python) && echo "using $$PY" && $$PY -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e ".[dev,all]"
	@touch $(STAMP)

setup: $(STAMP)

run: setup
	$(PYTHON) run.py

# make test writes the bytecode of sim/, agents/ and tests/ (__pycache__, ignored by git) even where
# the shell sets PYTHONDONTWRITEBYTECODE (as this project's machines do); once written it is read by
# every later Python process, so the two workers and the processes tests start no longer compile
# the project from source (collecting the suite: 9.0 s of CPU without the caches, 4.5 s with them,
# measured alternately; the libraries' bytecode pip wrote at install)
BYTECODE := PYTHONDONTWRITEBYTECODE=

test: setup
	$(BYTECODE) $(PYTHON) -m pytest -n 2 --dist loadgroup -q -m "not slow"

lint: setup
	$(VENV)/bin/ruff check .

baseline: setup  # deliberately refresh the regression baseline (and the speed-up guard's fingerprints) after a change of behaviour
	$(PYTHON) tests/regression.py --update
	$(PYTHON) tests/fingerprint.py --update

bench: setup
	$(PYTHON) run.py bench

verify: setup  # slow: the long-horizon tests, the figures over paired replicates, then the mutation harness
	$(PYTHON) -m pytest -n 2 --dist loadgroup -q -m "slow and not hours"  # the hour-long recovery cases by hand: docs/verification.md
	$(PYTHON) tests/verify_model.py --write
	$(PYTHON) tests/verify_campaign.py --write
	$(PYTHON) tests/verify_calibration.py --write
	$(PYTHON) tests/verify_recovery.py --case airstrike --targets 20 --workers 2 --write  # the hindcast cases, tempo on and off (10 targets, about an hour of CPU each), by hand: docs/verification.md
	$(PYTHON) tests/mutation/harness.py
	$(PYTHON) tests/load_app.py  # 10 browser sessions on one app server for 2 minutes (docs/app.md; last: passes, memory +6.3 % of idle after they close)

# mutation testing by a tool: mutmut ([tool.mutmut] in pyproject.toml) over each mechanism module in
# turn, at the lowest priority (hours on two cores; results kept in mutants/, so a rerun only runs
# the mutants not yet run: new ones and those of functions that changed), then the table "Mutation testing by a tool" in docs/verification.md
MUTATION_MODULES := sim.submodels.engagement sim.submodels.influence sim.submodels.holding \
	sim.submodels.economy sim.submodels.population sim.submodels.tension sim.submodels.timeline \
	sim.submodels.front sim.rules agents
mutation: setup
	for m in $(MUTATION_MODULES); do $(PYTHON) tests/mutation/mutmut_scores.py --run $$m || exit 1; done
	$(PYTHON) tests/mutation/mutmut_scores.py

clean-venv:
	rm -rf $(VENV)
