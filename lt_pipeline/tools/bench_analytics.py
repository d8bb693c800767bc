"""`lt bench analytics`: what the live-versus-paper analytics cost on a big ledger.

Generates N FT orders and N LT orders with venue orders, fills and execution-quality rows (default
1,000,000 each; bench_analytics_data.py) into a fresh SQLite file, or with `--ledger-url` into a scratch
schema of that PostgreSQL database (dropped afterwards), then times, each phase in its own process so
that its peak memory is its own:

  fast    the comparison and attribution end to end: ADBC read of November 2026, DuckDB compute, all
          six tables written to a DuckDB file (analytics.refresh.refresh_days), run twice (right after
          the load, then again); the best counts. Target <= 5 s on 2 cores.
  today   the scheduled refresh of the last day alone (what runs every 10 minutes), best of two.
  facts   the per-signal attribution of --duckdb-rows signals (default 10,000,000) staged in DuckDB, kept
          as the analytics file keeps it (signal_facts, in day order): what refreshes pay once per signal.
  duckdb  the DuckDB queries alone over those 10,000,000 stored signal facts: every daily table (six),
          and each strategy since launch with its exact latency percentiles. Target <= 2 s.
  comparison  beside it, not added in: the strategy comparison alone (the per-strategy daily tables'
          figures in one pass, without the trader and market cuts).
  naive   pandas reading the same ledger row by row through SQLAlchemy and attributing each signal with
          the Decimal functions; its strategy-day totals must equal the fast path's exactly.

Prints readable lines and, last, one JSON object. Exit status 1, with one line on stderr, unless every
generated signal was read and rows were written (and the naive totals agreed, when run). Times are
figures to read, never a pass/fail: a loaded machine must not fail a run that did its work.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

START, END = date(2026, 11, 1), date(2026, 11, 30)
TARGETS = {"fast_seconds": 5.0, "duckdb_queries_seconds": 2.0}


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --- phases (each runs in its own process: `python -m lt_pipeline.tools.bench_analytics --phase ...`) --


def phase_generate(url: str, orders: int) -> dict:
    from lt_pipeline.ledger import migrate
    from lt_pipeline.ledger.engine import make_engine
    from lt_pipeline.tools.bench_analytics_data import generate

    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()  # the ledger is the bench's own: generate() may load it without a journal
    began = time.perf_counter()
    rows = generate(url, orders, exclusive=True)
    seconds = time.perf_counter() - began
    if engine.dialect.name == "postgresql":  # what autovacuum does soon after a bulk load
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    engine.dispose()
    return {"rows": rows, "seconds": round(seconds, 2), "peak_mb": _peak_mb()}


def phase_fast(url: str, duckdb_path: str, today: bool = False) -> dict:
    """The month's refresh, or (today) the scheduled refresh of the last day alone."""
    from lt_pipeline.analytics.refresh import refresh_days

    began = time.perf_counter()
    report = refresh_days(url, duckdb_path, END if today else START, END, computed_at=datetime.now(timezone.utc))
    seconds = time.perf_counter() - began
    return {
        "seconds": round(seconds, 2), "parts": {k: round(v, 2) for k, v in report.seconds.items()},
        "rows_read": report.rows_read, "rows_written": report.rows_written, "signals": report.signals,
        "counts": report.counts, "money": {k: str(v) for k, v in report.money.items()}, "peak_mb": _peak_mb(),
    }


def phase_stage(rows: int, path: str) -> dict:
    from lt_pipeline.tools.bench_analytics_data import stage_synthetic

    began = time.perf_counter()
    staged = stage_synthetic(path, rows, START, END)
    return {"rows": staged, "seconds": round(time.perf_counter() - began, 2), "peak_mb": _peak_mb()}


def phase_facts(path: str) -> dict:
    """The per-signal attribution of the staged signals, stored as the analytics file stores it."""
    import duckdb

    from lt_pipeline.analytics import facts, store

    duck = duckdb.connect(path)
    began = time.perf_counter()
    signals = facts.build_facts(duck)
    built = time.perf_counter()
    duck.execute(f"CREATE OR REPLACE TABLE main.{store.FACTS} AS SELECT * FROM temp.{store.FACTS} ORDER BY day, strategy_id")
    stored = time.perf_counter()
    duck.close()
    return {"signals": signals, "seconds": {"facts": round(built - began, 2), "store": round(stored - built, 2)},
            "peak_mb": _peak_mb()}


def _stored_facts(path: str):
    """A read-only connection to the DuckDB file holding the stored signal facts, macros defined."""
    import duckdb

    from lt_pipeline.analytics import facts

    duck = duckdb.connect(path, read_only=True)
    duck.execute(facts.MACROS)
    return duck


def _grouped(duck, name: str, keys: tuple[str, ...]) -> tuple[float, int]:
    """Every figure of the stored signal facts grouped by `keys`, into the temp table `name`, in one
    pass: its wall time and row count."""
    from lt_pipeline.analytics import figures, store

    began = time.perf_counter()
    duck.execute(f"CREATE TEMP TABLE {name} AS {figures.group_sql(keys, store.FACTS)}")
    seconds = time.perf_counter() - began
    return seconds, duck.execute(f"SELECT count(*) FROM {name}").fetchone()[0]


def phase_duckdb(path: str) -> dict:
    """The queries alone over the stored signal facts; this process's peak is theirs."""
    from lt_pipeline.analytics import figures, store

    duck = _stored_facts(path)
    signals = duck.execute(f"SELECT count(*) FROM {store.FACTS}").fetchone()[0]
    timings, statements = {}, {}
    began = time.perf_counter()
    written = figures.build_figures(duck, store.FACTS, seconds=statements)
    timings["all_tables"] = time.perf_counter() - began
    timings["since_launch"], written["since_launch"] = _grouped(duck, "since_launch", ("strategy_id",))
    return {
        "signals": signals, "result_rows": written, "seconds": {k: round(v, 2) for k, v in timings.items()},
        "statement_seconds": {k: round(v, 2) for k, v in statements.items()},
        "queries_seconds": round(sum(timings.values()), 2), "peak_mb": _peak_mb(),
    }


def phase_comparison(path: str) -> dict:
    """The strategy comparison alone over the stored signal facts, in a process of its own (cold, as the
    duckdb phase starts): every figure of ft_vs_lt_daily and strategy_quality_daily in one pass, what a
    deployment without the trader and market cuts would run."""
    from lt_pipeline.analytics import figures

    seconds, rows = _grouped(_stored_facts(path), "comparison", figures.KEYS)
    return {"rows": rows, "seconds": round(seconds, 2), "peak_mb": _peak_mb()}


def phase_naive(url: str) -> dict:
    from lt_pipeline.tools.bench_analytics_naive import strategy_days

    began = time.perf_counter()
    totals = strategy_days(url, START, END)
    seconds = time.perf_counter() - began
    return {
        "seconds": round(seconds, 2), "peak_mb": _peak_mb(), "groups": len(totals),
        "totals": {f"{s}|{d.isoformat()}": {k: str(v) for k, v in figures.items()} for (s, d), figures in totals.items()},
    }


# --- the parent --------------------------------------------------------------------------------------


def _run_phase(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "lt_pipeline.tools.bench_analytics", "--phase", *args],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"lt bench analytics: phase {args[0]} failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _naive_agrees(url: str, duckdb_path: str, naive: dict) -> bool:
    import duckdb

    from lt_pipeline.analytics.facts import TERMS

    names = ("paper_pnl", "live_pnl", *TERMS)
    with duckdb.connect(duckdb_path, read_only=True) as duck:
        rows = duck.execute(f"SELECT strategy_id, day, {', '.join(names)} FROM ft_vs_lt_daily WHERE settled > 0").fetchall()
    fast = {f"{r[0]}|{r[1].isoformat()}": dict(zip(names, (str(v) for v in r[2:]))) for r in rows}
    from decimal import Decimal

    def same(a: dict, b: dict) -> bool:
        return a.keys() == b.keys() and all(Decimal(a[k]) == Decimal(b[k]) for k in a)

    return fast.keys() == naive["totals"].keys() and all(same(fast[k], naive["totals"][k]) for k in fast)


def _scratch_schema(url: str) -> tuple[str, str]:
    schema = f"lt_bench_{uuid.uuid4().hex[:10]}"
    with create_engine(url).begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    return schema, scoped


def _drop_schema(url: str, schema: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def run(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="lt-bench-analytics-"))
    schema = None
    if args.ledger_url:
        if make_url(args.ledger_url).get_backend_name() != "postgresql":
            raise SystemExit("lt bench analytics: --ledger-url: expected a postgresql+psycopg2:// URL")
        schema, url = _scratch_schema(args.ledger_url)
    else:
        url = f"sqlite:///{workdir / 'ledger.db'}"
    duckdb_path = str(workdir / "analytics.duckdb")
    ledger = "postgresql" if schema else "sqlite"
    try:
        print(f"generating {args.orders:,} FT and LT orders into a {ledger} ledger ...", flush=True)
        generated = _run_phase("generate", "--ledger", url, "--orders", str(args.orders))
        print(f"  {generated['seconds']} s: {generated['rows']}", flush=True)
        # Twice: the first read follows the load (the ledger file may be out of the page cache), the
        # second is the steady state of a scheduled refresh. Both are reported; `fast_seconds` is the best.
        runs = [_run_phase("fast", "--ledger", url, "--duckdb", duckdb_path) for _ in range(2)]
        fast = min(runs, key=lambda run: run["seconds"])
        print(f"fast (ADBC -> Arrow -> DuckDB -> tables): {[r['seconds'] for r in runs]} s, best {fast['parts']}, "
              f"{fast['signals']:,} signals, peak {fast['peak_mb']} MB", flush=True)
        today = min((_run_phase("today", "--ledger", url, "--duckdb", duckdb_path) for _ in range(2)),
                    key=lambda run: run["seconds"])
        print(f"today's refresh ({END}, every 10 minutes): {today['seconds']} s {today['parts']}, "
              f"{today['signals']:,} signals", flush=True)
        duck = fact_phase = comparison = None
        if args.duckdb_rows:
            staged_path = str(workdir / "staged.duckdb")
            staged = _run_phase("stage", "--rows", str(args.duckdb_rows), "--duckdb", staged_path)
            print(f"staged {staged['rows']:,} synthetic signals in DuckDB in {staged['seconds']} s", flush=True)
            fact_phase = _run_phase("facts", "--duckdb", staged_path)
            print(f"per-signal attribution of {fact_phase['signals']:,} signals: {fact_phase['seconds']} s, "
                  f"peak {fact_phase['peak_mb']} MB", flush=True)
            duck = _run_phase("duckdb", "--duckdb", staged_path)
            comparison = _run_phase("comparison", "--duckdb", staged_path)
            Path(staged_path).unlink(missing_ok=True)
        if duck:
            print(f"duckdb queries alone over {duck['signals']:,} stored signal facts: {duck['seconds']} s, "
                  f"peak {duck['peak_mb']} MB", flush=True)
            print(f"  per statement (part_*: counts and sums, with the trader percentiles; fig_*: each table's own "
                  f"percentiles and its roll-up): {duck['statement_seconds']} s", flush=True)
            print(f"  the strategy comparison alone (ft_vs_lt_daily and strategy_quality_daily, one pass; not "
                  f"added in): {comparison['seconds']} s, {comparison['rows']:,} strategy-days", flush=True)
        naive = None if args.skip_naive else _run_phase("naive", "--ledger", url)
        if naive:
            print(f"naive (pandas through SQLAlchemy, row by row): {naive['seconds']} s, peak {naive['peak_mb']} MB",
                  flush=True)
        agrees = None if naive is None else _naive_agrees(url, duckdb_path, naive)
    finally:
        if schema and not args.keep:
            _drop_schema(args.ledger_url, schema)
    figures = {
        "ledger": ledger, "orders": args.orders, "generated_rows": generated["rows"],
        "generate_seconds": generated["seconds"],
        "rows_read": sum(fast["rows_read"].values()), "ft_orders_read": fast["rows_read"]["st_ft"],
        "lt_orders_read": fast["rows_read"]["st_lt"], "signals": fast["signals"],
        "rows_written": sum(fast["rows_written"].values()), "tables_written": fast["rows_written"],
        "fast_seconds": fast["seconds"], "fast_runs_seconds": [r["seconds"] for r in runs],
        "fast_parts": fast["parts"], "fast_peak_mb": max(r["peak_mb"] for r in runs),
        "today_seconds": today["seconds"], "today_parts": today["parts"], "today_signals": today["signals"],
        "duckdb_rows": args.duckdb_rows, "duckdb_queries_seconds": duck["queries_seconds"] if duck else None,
        "duckdb_seconds": duck["seconds"] if duck else None,
        "duckdb_statement_seconds": duck["statement_seconds"] if duck else None, "duckdb_peak_mb": duck["peak_mb"] if duck else None,
        "duckdb_signals": duck["signals"] if duck else None, "duckdb_result_rows": duck["result_rows"] if duck else None,
        "duckdb_comparison_seconds": comparison["seconds"] if duck else None,
        "duckdb_comparison_rows": comparison["rows"] if duck else None,
        "facts_seconds": fact_phase["seconds"] if duck else None, "facts_peak_mb": fact_phase["peak_mb"] if duck else None,
        "naive_seconds": naive["seconds"] if naive else None, "naive_peak_mb": naive["peak_mb"] if naive else None,
        "naive_agrees": agrees,
        "naive_over_fast": round(naive["seconds"] / fast["seconds"], 1) if naive and fast["seconds"] else None,
        "kept": str(workdir) if args.keep else None,
    }
    figures["target_met"] = {k: None if figures[k] is None else figures[k] <= v for k, v in TARGETS.items()}
    print(json.dumps(figures))
    missing = []
    if figures["ft_orders_read"] != args.orders or figures["lt_orders_read"] != args.orders:
        missing.append(f"read {figures['ft_orders_read']} FT and {figures['lt_orders_read']} LT orders of {args.orders}")
    if figures["rows_written"] == 0:
        missing.append("no analytics rows were written")
    if figures["today_signals"] == 0:
        missing.append(f"today's refresh ({END}) read no signal")
    if duck and duck["signals"] != args.duckdb_rows:
        missing.append(f"DuckDB attributed {duck['signals']} of {args.duckdb_rows} signals")
    if agrees is False:
        missing.append("the naive totals differ from the DuckDB totals")
    if missing:
        print("lt bench analytics: " + "; ".join(missing), file=sys.stderr)
        return 1
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lt bench analytics", description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000, help="FT orders, and as many LT orders (default 1,000,000)")
    parser.add_argument("--ledger-url", help="a PostgreSQL database to bench in (a scratch schema, dropped after)")
    parser.add_argument("--duckdb-rows", type=int, default=10_000_000, help="signals for the DuckDB-only phase (0 skips it)")
    parser.add_argument("--skip-naive", action="store_true", help="leave out the naive pandas run")
    parser.add_argument("--keep", action="store_true", help="keep the ledger, the DuckDB file (and the schema)")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--ledger", help=argparse.SUPPRESS)
    parser.add_argument("--duckdb", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.orders < 1:
        parser.error("--orders: expected at least 1")
    if args.phase:
        result = {
            "generate": lambda: phase_generate(args.ledger, args.orders),
            "fast": lambda: phase_fast(args.ledger, args.duckdb),
            "today": lambda: phase_fast(args.ledger, args.duckdb, today=True),
            "stage": lambda: phase_stage(args.rows, args.duckdb),
            "facts": lambda: phase_facts(args.duckdb),
            "duckdb": lambda: phase_duckdb(args.duckdb),
            "comparison": lambda: phase_comparison(args.duckdb),
            "naive": lambda: phase_naive(args.ledger),
        }[args.phase]()
        print(json.dumps(result))
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
