"""Venue adapters: each speaks one venue's wire format and hands the engine its own types."""
