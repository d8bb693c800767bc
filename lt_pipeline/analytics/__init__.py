"""Analytics: what going live costs. The ledger is read in bulk (ADBC into Arrow, never row by row),
computed with DuckDB SQL (per signal, then per strategy and day, per tracked trader, market category and
price bucket) and written into the analytics DuckDB file one day's partition at a time.

`refresh.refresh_days` is the one entry point; `checks` verifies what was written. Plain Python: no
Dagster here (defs/analytics/ wires it).
"""
