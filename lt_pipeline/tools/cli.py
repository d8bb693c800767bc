"""The `lt` command: ledger migrations, the emulator, the embedded stack, the demo and benchmarks."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from lt_pipeline.settings import SettingsError, load_settings


class UsageError(Exception):
    """A bad argument or setting; printed as one line, exit code 2."""


def _db_upgrade(args: argparse.Namespace) -> int:
    from lt_pipeline.ledger import migrate
    from lt_pipeline.ledger.engine import make_engine

    settings = load_settings()
    state = migrate.upgrade(make_engine(settings.ledger_url))
    print(f"ledger {settings.ledger_url_redacted}: {state.describe()}")
    return 0


def _db_status(args: argparse.Namespace) -> int:
    from lt_pipeline.ledger import migrate
    from lt_pipeline.ledger.engine import make_engine

    settings = load_settings()
    state = migrate.status(make_engine(settings.ledger_url))
    print(f"ledger {settings.ledger_url_redacted}: {state.describe()}")
    return 0 if state.up_to_date else 1


def _delegate(module: str, function: str = "main") -> Callable[[argparse.Namespace], int]:
    """Subcommands whose own module parses the rest of the command line (imports stay lazy)."""

    def run(args: argparse.Namespace) -> int:
        import importlib

        entry = getattr(importlib.import_module(module), function)
        return int(entry(list(args.rest)) or 0)

    return run


DELEGATED = {
    ("emulator", "serve"): ("lt_pipeline.tools.emulator_serve", "run an emulated Polymarket (CLOB V2, Data API, Gamma) on loopback"),
    ("bench", "emulator"): ("lt_pipeline.tools.bench_emulator", "orders/s and latency of the emulator's order routes"),
    ("bench", "strategy"): ("lt_pipeline.tools.bench_strategy", "FT decisions for 1,000 wallets x 10,000 trades"),
    ("bench", "execution"): ("lt_pipeline.tools.bench_execution", "one tick placing 500 orders across 100 strategies"),
    ("bench", "detection"): ("lt_pipeline.tools.bench_detection", "tracked traders covered per detection cycle within the Data API quotas, and the delay"),
    ("bench", "analytics"): ("lt_pipeline.tools.bench_analytics", "live versus paper analytics over 1,000,000 FT and LT orders: ADBC + DuckDB against pandas"),
    ("dagster-home", None): ("lt_pipeline.instance", "write the embedded Dagster instance and print its DAGSTER_HOME"),
    ("drill", "faults"): ("lt_pipeline.tools.fault_drill", "live trading against each emulator fault profile, with counts"),
    ("run", None): ("lt_pipeline.tools.stack", "the embedded stack: emulator, Dagster webserver and daemon"),
    ("demo", None): ("lt_pipeline.tools.demo", "the headless demo on a simulated clock"),
    ("report", None): ("lt_pipeline.tools.report", "how each live twin is doing against paper: per strategy and per order"),
    ("reset", None): ("lt_pipeline.tools.reset", "start the embedded ledger, Dagster instance and emulator over from nothing"),
    ("strategy", None): ("lt_pipeline.tools.strategy_cli", "create, launch, pause, resume, edit, halt LT strategies"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lt", description=__doc__)
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")

    db = groups.add_parser("db", help="ledger migrations")
    db_commands = db.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")
    db_commands.add_parser("upgrade", help="apply every pending migration").set_defaults(handler=_db_upgrade)
    db_commands.add_parser("status", help="say where the ledger stands").set_defaults(handler=_db_status)

    subgroups: dict[str, argparse._SubParsersAction] = {}
    for (group, command), (module, help_text) in DELEGATED.items():
        if command is None:
            sub = groups.add_parser(group, help=help_text, add_help=False)
        else:
            if group not in subgroups:
                holder = groups.add_parser(group, help=f"{group} commands")
                subgroups[group] = holder.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")
            sub = subgroups[group].add_parser(command, help=help_text, add_help=False)
        sub.add_argument("rest", nargs=argparse.REMAINDER)
        sub.set_defaults(handler=_delegate(module))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    # argparse's REMAINDER misses options that come first ("lt run --port 3001"), so delegated
    # commands take whatever the top-level parser did not know.
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        if not hasattr(args, "rest"):
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        args.rest = unknown + list(args.rest)
    try:
        return args.handler(args)
    except (SettingsError, UsageError) as error:
        print(f"lt: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # the ledger's own refusals read as one line too
        from lt_pipeline.ledger.migrate import LedgerNotReady

        if isinstance(error, LedgerNotReady):
            print(f"lt: {error}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
