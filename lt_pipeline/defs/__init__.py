"""Dagster wiring by domain: thin assets, checks, schedules and sensors over plain-Python logic."""
