"""The `lt` command (Click, with Rich tables): strategies and users, the operator's dashboard, orders and
"why", the analytics backfill, ledger migrations, and the delegated tools (emulator, stack, demo,
benchmarks, drill), whose own modules parse the rest of their command line."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from datetime import date, timedelta

import click

from lt_pipeline.tools import report as read_commands
from lt_pipeline.tools import strategy_cli
from lt_pipeline.tools.report import JSON_HELP, Refused, Session, pass_session, print_json

OK, FAILED, BAD_USAGE = 0, 1, 2

EPILOG = """\b
Exit codes:
  0  done
  1  not found or failed: an unknown strategy, order, user, FT wallet or source
     trade id; `lt db status` behind; a venue call or a cancel that failed
  2  bad usage or settings: an unknown option, a value out of range, flags that
     conflict, a refused change (launching twice, editing while halted), bad
     LT_* settings, or a ledger that needs `lt db upgrade`
Every error is one line on stderr starting with "lt:"; nothing is changed.
Read commands take --json (decimals as strings, times ISO 8601 UTC).
"""

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110, "terminal_width": 110}


@click.group("lt", context_settings=CONTEXT, epilog=EPILOG)
def lt() -> None:
    """Live twins of paper copy-trading strategies on Polymarket: create and launch them, watch them
    against paper, read any order, and run the stack."""


# --- db ------------------------------------------------------------------------------------------


@lt.group("db")
def db() -> None:
    """Ledger migrations."""


@db.command("upgrade")
@pass_session
def db_upgrade(session: Session) -> int:
    """Apply every pending migration."""
    from lt_pipeline.ledger import migrate
    from lt_pipeline.ledger.engine import make_engine

    engine = make_engine(session.settings.ledger_url)
    try:
        state = migrate.upgrade(engine)
    finally:
        engine.dispose()
    click.echo(f"ledger {session.settings.ledger_url_redacted}: {state.describe()}")
    return OK


@db.command("status")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_session
def db_status(session: Session, as_json: bool) -> int:
    """Say where the ledger stands (exit code 1 when it is behind the latest migration)."""
    from lt_pipeline.ledger import migrate
    from lt_pipeline.ledger.engine import make_engine

    engine = make_engine(session.settings.ledger_url)
    try:
        state = migrate.status(engine)
    finally:
        engine.dispose()
    if as_json:
        print_json({"ledger": session.settings.ledger_url_redacted, "up_to_date": state.up_to_date, "state": state.describe()})
    else:
        click.echo(f"ledger {session.settings.ledger_url_redacted}: {state.describe()}")
    return OK if state.up_to_date else FAILED


# --- backfill ------------------------------------------------------------------------------------


@lt.command("backfill")
@click.option("--start", type=click.DateTime(("%Y-%m-%d",)), required=True, metavar="DATE", help="first UTC day, YYYY-MM-DD")
@click.option("--end", type=click.DateTime(("%Y-%m-%d",)), metavar="DATE", help="last UTC day, YYYY-MM-DD (default: today)")
@click.option("--chunk-days", type=click.IntRange(1, 366), default=7, show_default=True, metavar="DAYS",
              help="days recomputed per ledger read (1-366)")
@click.option("--json", "as_json", is_flag=True, help="print one JSON line per chunk instead of a progress bar")
@pass_session
def backfill(session: Session, start, end, chunk_days: int, as_json: bool) -> int:
    """Recompute the analytics tables (live against paper, per UTC day) for days START..END from the
    ledger, chunk by chunk, under the analytics writer's lock (a running Dagster materialisation is
    waited for). The Dagster UI does not record these days as materialised."""
    from lt_pipeline.analytics.refresh import refresh_days
    from lt_pipeline.ledger import migrate
    from lt_pipeline.ledger.engine import make_engine

    today = session.now().date()
    first, last = start.date(), (end.date() if end else today)
    if last < first:
        raise click.BadParameter(f"expected a day on or after --start {first}, got {last}", param_hint="'--end'")
    if last > today:
        raise click.BadParameter(f"expected a day up to today ({today}), got {last}", param_hint="'--end'")
    engine = make_engine(session.settings.ledger_url)
    try:
        migrate.require_up_to_date(engine)
    finally:
        engine.dispose()  # the analytics read the ledger through their own driver
    chunks = list(_chunks(first, last, chunk_days))
    totals = {"days": 0, "signals": 0, "rows_written": 0}

    def run(chunk_start: date, chunk_end: date):
        result = refresh_days(session.settings.ledger_url, session.settings.duckdb_path, chunk_start, chunk_end,
                              computed_at=session.now())
        totals["days"] += result.days
        totals["signals"] += result.signals
        totals["rows_written"] += sum(result.rows_written.values())
        return result

    if as_json:
        for chunk_start, chunk_end in chunks:
            result = run(chunk_start, chunk_end)
            print_json({"start": chunk_start, "end": chunk_end, "signals": result.signals, "rows_written": result.rows_written,
                        "live_pnl": result.money["live_pnl"], "paper_pnl": result.money["paper_pnl"]}, one_line=True)
        return OK
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("days"), TimeRemainingColumn())
    with Progress(*columns, console=read_commands.console(), transient=False) as progress:
        task = progress.add_task(f"analytics {first}..{last}", total=(last - first).days + 1)
        for chunk_start, chunk_end in chunks:
            progress.update(task, description=f"analytics {chunk_start}..{chunk_end}")
            run(chunk_start, chunk_end)
            progress.advance(task, (chunk_end - chunk_start).days + 1)
    click.echo(f"backfilled {totals['days']} day(s) {first}..{last} into {session.settings.duckdb_path}: "
               f"{totals['signals']} signal(s), {totals['rows_written']} row(s) written")
    return OK


def _chunks(first: date, last: date, days: int):
    while first <= last:
        end = min(last, first + timedelta(days=days - 1))
        yield first, end
        first = end + timedelta(days=1)


# --- delegated tools -----------------------------------------------------------------------------

# (group or None, name, module, help). Each module's main(argv) parses its own options, --help too.
DELEGATED = (
    ("emulator", "serve", "lt_pipeline.tools.emulator_serve", "run an emulated Polymarket (CLOB V2, Data API, Gamma) on loopback"),
    ("bench", "emulator", "lt_pipeline.tools.bench_emulator", "orders/s and latency of the emulator's order routes"),
    ("bench", "strategy", "lt_pipeline.tools.bench_strategy", "FT decisions for 1,000 wallets x 10,000 trades"),
    ("bench", "execution", "lt_pipeline.tools.bench_execution", "one tick placing 500 orders across 100 strategies"),
    ("bench", "detection", "lt_pipeline.tools.bench_detection", "tracked traders covered per detection cycle within the Data API quotas"),
    ("bench", "analytics", "lt_pipeline.tools.bench_analytics", "live versus paper analytics over 1,000,000 orders:"
     " ADBC + DuckDB against pandas"),
    ("drill", "faults", "lt_pipeline.tools.fault_drill", "live trading against each emulator fault profile, with counts"),
    (None, "run", "lt_pipeline.tools.stack", "the embedded stack: emulator, Dagster webserver and daemon, dashboard"),
    (None, "web", "lt_pipeline.tools.web_serve", "the web dashboard on loopback"),
    (None, "engine", "lt_pipeline.tools.engine", "the live lane: detect tracked traders' trades and place the twins' orders"
     " in-process, within a second"),
    (None, "demo", "lt_pipeline.tools.demo", "the headless demo on a simulated clock"),
    (None, "reset", "lt_pipeline.tools.reset", "start the embedded ledger, Dagster instance and emulator over from nothing"),
    (None, "dagster-home", "lt_pipeline.instance", "write the embedded Dagster instance and print its DAGSTER_HOME"),
)
PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True, "allow_interspersed_args": False,
                "help_option_names": []}


def _delegate(name: str, module: str, help_text: str) -> click.Command:
    """A command that hands everything after its name to `module.main(argv)` (imported only when run)."""

    @click.command(name, help=f"{help_text} (options: `lt ... {name} --help`)", short_help=help_text,
                   context_settings=PASS_THROUGH, add_help_option=False)
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def command(args: tuple[str, ...]) -> int:
        entry = importlib.import_module(module).main
        try:
            return int(entry(list(args)) or 0)
        except SystemExit as exit_:  # argparse's --help and usage errors exit; `lt` returns the code
            if exit_.code is None or isinstance(exit_.code, int):
                return exit_.code or 0
            click.echo(str(exit_.code), err=True)
            return FAILED

    return command


def _register() -> None:
    for command in (read_commands.dashboard, read_commands.order_group, read_commands.orders_group, read_commands.why,
                    read_commands.wallets, read_commands.report, strategy_cli.user_group, strategy_cli.strategy_group):
        lt.add_command(command)
    lt.add_command(strategy_cli.halt_command, "halt")
    lt.add_command(strategy_cli.unhalt_command, "unhalt")
    groups: dict[str, click.Group] = {}
    for group, name, module, help_text in DELEGATED:
        if group is None:
            lt.add_command(_delegate(name, module, help_text))
            continue
        if group not in groups:
            groups[group] = click.Group(group, help=f"{group} commands")
            lt.add_command(groups[group])
        groups[group].add_command(_delegate(name, module, help_text))


_register()


# --- entry ---------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run `lt` with `argv` (default: the process's arguments); returns the exit code (see EPILOG)."""
    args = list(sys.argv[1:] if argv is None else argv)
    session = Session()
    try:
        result = lt.main(args=args, prog_name="lt", standalone_mode=False, obj=session)
        return int(result or 0)
    except click.exceptions.Exit as done:  # --help, or a delegated tool's own exit
        return int(done.exit_code or 0)
    except click.exceptions.Abort:
        return _fail("aborted", FAILED)
    except click.UsageError as error:
        where = error.ctx.command_path if error.ctx else "lt"
        named = where.removeprefix("lt").strip()
        return _fail(f"{named + ': ' if named else ''}{error.format_message().rstrip('.')}; see `{where} --help`", BAD_USAGE)
    except Exception as error:  # noqa: BLE001 - each known refusal becomes one line; anything else is a bug
        code = _code_of(error)
        if code is None:
            raise
        return _fail(_message_of(error), code)
    finally:
        session.close()


def _code_of(error: Exception) -> int | None:
    from sqlalchemy.exc import DBAPIError

    from lt_pipeline.analytics.store import StoreBusy
    from lt_pipeline.execution.controls import ControlError
    from lt_pipeline.execution.credentials import CredentialsError
    from lt_pipeline.execution.settings import SettingsError as StrategySettingsError
    from lt_pipeline.execution.strategies import StrategyError
    from lt_pipeline.ledger.migrate import LedgerNotReady
    from lt_pipeline.operator import UnknownId
    from lt_pipeline.settings import SettingsError
    from lt_pipeline.venues.polymarket.models import VenueError

    if isinstance(error, UnknownId):
        return FAILED
    if isinstance(error, (VenueError, StoreBusy, DBAPIError)):
        return FAILED
    if isinstance(error, (Refused, StrategySettingsError, StrategyError, ControlError, CredentialsError, SettingsError,
                          LedgerNotReady)):
        return BAD_USAGE
    return None


def _message_of(error: Exception) -> str:
    from sqlalchemy.exc import DBAPIError

    from lt_pipeline.execution.settings import SettingsError as StrategySettingsError
    from lt_pipeline.venues.polymarket.models import VenueError

    if isinstance(error, StrategySettingsError):
        return strategy_cli.settings_problem(error)
    if isinstance(error, VenueError):
        return f"venue: {error}"
    if isinstance(error, DBAPIError):
        first = str(error.orig or error).strip().splitlines()[0] if str(error.orig or error).strip() else type(error).__name__
        return f"ledger: {first}"
    return str(error)


def _fail(message: str, code: int) -> int:
    click.echo(f"lt: {' '.join(message.split())}", err=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
