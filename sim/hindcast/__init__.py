"""Confronting the model with the record: reading it, pattern statistics, calibration, validation."""
