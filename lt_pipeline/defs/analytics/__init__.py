"""Analytics wiring: the daily-partitioned DuckDB tables of live versus paper, and their checks."""
