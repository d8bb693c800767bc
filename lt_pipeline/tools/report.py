"""`lt report [STRATEGY] [--since DATE] [--json]`: how each live twin is doing against paper, from the
ledger and the analytics DuckDB file (materialise the analytics assets, or backfill them, first for the
per-strategy attribution)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone

from lt_pipeline.clock import system_clock
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.settings import load_settings


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lt report", description=__doc__.splitlines()[0])
    parser.add_argument("strategy", nargs="?", help="one LT strategy id (default: every strategy)")
    parser.add_argument("--since", help="UTC date YYYY-MM-DD (default: each strategy's launch)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from lt_pipeline.reporting.report import as_json, as_text, build_report, strategy_ids

    args = parse_args(sys.argv[1:] if argv is None else argv)
    since = None
    if args.since:
        try:
            since = datetime.strptime(args.since, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        except ValueError:
            print(f"lt report: --since: expected a date YYYY-MM-DD, got {args.since!r}", file=sys.stderr)
            return 2
    settings = load_settings()
    engine = make_engine(settings.ledger_url)
    try:
        ids = strategy_ids(engine, args.strategy)
    except KeyError as error:
        print(f"lt report: {error.args[0]}", file=sys.stderr)
        return 2
    now = system_clock.now()
    reports = [build_report(engine, settings.duckdb_path, sid, since, now) for sid in ids]
    print(as_json(reports) if args.json else as_text(reports))
    return 0
