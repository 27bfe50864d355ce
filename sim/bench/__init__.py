"""Benchmarks, run by `python run.py bench` (`command`):

* `step_cost`: the model's cost per agent-step and peak memory against Mesa's Epstein
  civil-violence example (`bench` or `bench model`);
* `sweep_engine`: the experiment engine's speed-up, overhead per run and memory
  (`bench sweep`).
"""
