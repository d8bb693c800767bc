"""One partition per UTC day, from the first day the live engine can have traded (January 2026: the
CLOB V2 venue and the emulator's own epoch) to today: end_offset=1 makes the current, still open day a
partition, so the schedule can refresh it during the day."""

import dagster as dg

ANALYTICS_START = "2026-01-01"

daily_partitions = dg.DailyPartitionsDefinition(start_date=ANALYTICS_START, timezone="UTC", end_offset=1)
