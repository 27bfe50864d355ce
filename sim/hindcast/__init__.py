"""The model confronted with the record: event data in and out, regions, pattern statistics, the
hindcast report, calibration and posterior draws (issue 18).

==================================  ====================================================
``sim.hindcast.events``             the one table of violent events (record and runs alike):
                                    its columns, and the run's side (``ViolenceLog``)
``sim.hindcast.regions``            the four pattern regions, derived from the map
``sim.hindcast.record``             readers of UCDP GED and ACLED CSV files and of the holders
                                    of places (``record_fields``: their fields, one-line errors)
``sim.hindcast.mapping``            the actor → faction mapping (YAML) and the factions the
                                    patterns score; ``window``: a window of dates
``sim.hindcast.patterns``           the pattern statistics, the same functions for both sides:
                                    ``observed_patterns``, ``simulated_patterns``
``sim.hindcast.report``             the ``hindcast`` command: replicates against the record
``sim.hindcast.nulls``              the null models beside its scores (persistence, climatology)
``sim.hindcast.calibrate``          ABC-SMC calibration (pyabc) on the pattern statistics;
                                    ``calibfile`` (its YAML), ``abc_sampler`` (seeded, the
                                    same posterior on any executor), ``calibration_report``,
                                    ``calibrate_command``
``sim.hindcast.posterior``          posterior draws for what-ifs (``--posterior``)
==================================  ====================================================

The training record ships in ``scenarios/record/`` (UCDP GED events and the holders of the
map's places, 19 Nov 2017 – 31 Dec 2018, with their READMEs, sources and citation).
"""
