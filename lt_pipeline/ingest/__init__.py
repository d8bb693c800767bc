"""Bringing the venue's facts into the ledger: tracked traders, their trades, and the markets traded."""
