"""What a run leaves behind: the recorder (what is observed each step), the run's result (step
table, summary, event log, ``save``), the tidy long table, the event log and the GIS layers."""
