"""`lt strategy ...`: create, launch, pause, resume and edit LT strategies, add users, and turn the
global halt on and off, against the ledger named by the settings (LT_LEDGER_URL).

A bad argument or setting prints one line naming the field and what was expected, exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal

from lt_pipeline.clock import SystemClock
from lt_pipeline.execution.controls import ControlError, current_halt, halt, is_halted, resume_trading
from lt_pipeline.execution.credentials import CredentialsError, TraderPool, trader_for_strategy
from lt_pipeline.execution.settings import LtStrategySettings
from lt_pipeline.execution.settings import SettingsError as StrategySettingsError
from lt_pipeline.execution.strategies import (
    StrategyError,
    create_strategy,
    edit_limits,
    ensure_user,
    get_strategy,
    get_user,
    launch,
    list_strategies,
    pause,
    resume,
    strategy_versions,
)
from lt_pipeline.venues.polymarket.models import VenueError

PROG = "lt strategy"

# Command-line flag -> setting name, shared by create and edit.
SETTING_FLAGS = {
    "--capital": "starting_capital",
    "--tolerance": "slippage_tolerance_pct",
    "--order-type": "order_type",
    "--min-order": "min_order_size_usd",
    "--max-order": "max_order_size_usd",
    "--max-position": "max_position_size_usd",
    "--max-exposure": "max_total_exposure_usd",
    "--max-daily-loss": "max_daily_loss_usd",
    "--ttl": "order_ttl_seconds",
    "--max-signal-age": "max_signal_age_seconds",
}
FLAG_OF = {name: flag for flag, name in SETTING_FLAGS.items()} | {"sync_ft_changes": "--no-sync/--sync"}
NO_LIMIT = ("none", "off", "")  # --max-daily-loss none removes the daily loss limit


class UsageError(Exception):
    """A bad command line; printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line instead of argparse's usage block
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Create, launch, pause, resume and edit LT strategies; add users; turn the global halt on and off.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    user = commands.add_parser("user", help="add a user, or update its name and funder")
    user.add_argument("user_id")
    user.add_argument("--name", help="display name (default: the id)")
    user.add_argument("--funder", help="funder (proxy) address that holds the user's funds")
    user.add_argument("--signature-type", type=int, default=0, help="0 EOA, 1 proxy, 2 safe (with --funder)")

    create = commands.add_parser("create", help="create the live twin of an FT wallet (not launched)")
    create.add_argument("--user", help="owner (default: LT_DEFAULT_USER)")
    create.add_argument("--ft-wallet", required=True, help="the FT wallet to mirror")
    _setting_arguments(create)
    create.add_argument("--no-sync", dest="sync", action="store_false", default=None,
                        help="keep the FT config as it is now instead of following its edits")

    for name, text in (("launch", "start placing orders for signals from now on"), ("resume", "resume a paused strategy")):
        commands.add_parser(name, help=text).add_argument("strategy_id")

    pause_cmd = commands.add_parser("pause", help="stop placing orders for new signals")
    pause_cmd.add_argument("strategy_id")
    pause_cmd.add_argument("--reason", default="paused by hand")
    pause_cmd.add_argument("--cancel-resting", action="store_true", help="also cancel its resting orders at the venue")

    edit = commands.add_parser("edit", help="change capital, limits or execution settings")
    edit.add_argument("strategy_id")
    _setting_arguments(edit)
    sync = edit.add_mutually_exclusive_group()
    sync.add_argument("--sync", dest="sync", action="store_true", default=None, help="follow FT config edits")
    sync.add_argument("--no-sync", dest="sync", action="store_false", help="stop following FT config edits")

    halt_cmd = commands.add_parser("halt", help="global kill switch: place nothing, cancel every resting order")
    halt_cmd.add_argument("--reason", required=True)
    commands.add_parser("unhalt", help="turn the global halt off (paused strategies stay paused)")

    listing = commands.add_parser("list", help="every LT strategy with its status and limits")
    listing.add_argument("--user")
    commands.add_parser("show", help="one strategy's settings and version history").add_argument("strategy_id")
    return parser


def _setting_arguments(parser: argparse.ArgumentParser) -> None:
    for flag, name in SETTING_FLAGS.items():
        parser.add_argument(flag, dest=name, metavar="VALUE")


def _setting_values(args: argparse.Namespace) -> dict[str, object]:
    values: dict[str, object] = {
        name: getattr(args, name) for name in SETTING_FLAGS.values() if getattr(args, name) is not None
    }
    if isinstance(values.get("max_daily_loss_usd"), str) and values["max_daily_loss_usd"].strip().lower() in NO_LIMIT:
        values["max_daily_loss_usd"] = None
    if args.sync is not None:
        values["sync_ft_changes"] = args.sync
    return values


# --- commands ------------------------------------------------------------------------------------


def _user(args, context) -> int:
    existing = get_user(context.engine, args.user_id)
    name = args.name or (existing.display_name if existing else args.user_id)
    user = ensure_user(context.engine, args.user_id, name, args.funder, args.signature_type, now=context.now())
    funder = user.funder_address or "the key's own address"
    print(f"user {user.user_id} ({user.display_name}): trades from {funder}, signature type {user.signature_type}")
    return 0


def _create(args, context) -> int:
    user_id = args.user or context.settings.default_user
    strategy_id = create_strategy(context.engine, user_id, args.ft_wallet, _setting_values(args), context.now())
    strategy = get_strategy(context.engine, strategy_id)
    print(f"created {strategy_id} ({strategy.display_name}) for user {user_id}: {_limits(strategy.settings)}")
    print(f"not launched yet; start it with: lt strategy launch {strategy_id}")
    return 0


def _launch(args, context) -> int:
    strategy = launch(context.engine, args.strategy_id, context.now())
    print(f"launched {strategy.strategy_id}: signals from {strategy.launched_at.isoformat()} on are placed")
    return 0


def _pause(args, context) -> int:
    trader = trader_for_strategy(context.engine, args.strategy_id, context.pool) if args.cancel_resting else None
    result = pause(context.engine, args.strategy_id, args.reason, context.now(), cancel_resting=args.cancel_resting, trader=trader)
    print(f"paused {result.strategy.strategy_id}: {result.strategy.pause_reason}")
    if args.cancel_resting:
        print(result.cancels.summary())
        return 0 if result.cancels.complete else 1
    return 0


def _resume(args, context) -> int:
    strategy = resume(context.engine, args.strategy_id, context.now())
    print(f"{strategy.strategy_id} is {strategy.status}; signals from now on are placed")
    return 0


def _edit(args, context) -> int:
    values = _setting_values(args)
    if not values:
        raise UsageError("edit: expected at least one setting to change, such as --max-order 60")
    result = edit_limits(context.engine, args.strategy_id, values, context.now())
    if not result.changes:
        print(f"{args.strategy_id}: nothing changed")
        return 0
    for name, (old, new) in result.changes.items():
        print(f"{args.strategy_id}: {name} {_shown(old)} -> {_shown(new)}")
    return 0


def _halt(args, context) -> int:
    report = halt(context.engine, args.reason, context.now(), traders=context.pool)
    print(f"global halt ON: {report.reason}; {report.cancels.summary()}")
    return 0 if report.cancels.complete else 1


def _unhalt(args, context) -> int:
    resume_trading(context.engine, context.now())
    print("global halt OFF; strategies that are not paused place orders again")
    return 0


def _list(args, context) -> int:
    halted, reason = is_halted(context.engine)
    if halted:
        print(f"GLOBAL HALT ON: {reason}")
    strategies = list_strategies(context.engine, user_id=args.user)
    if not strategies:
        print("no LT strategies yet; create one with: lt strategy create --ft-wallet FT_ID")
        return 0
    header = ("id", "user", "FT wallet", "status", "launched", "capital", "limits")
    rows = [
        (
            s.strategy_id, s.user_id, s.ft_wallet_id, s.status,
            s.launched_at.strftime("%Y-%m-%d %H:%M") if s.launched_at else "-",
            _shown(s.settings.starting_capital), _limits(s.settings),
        )
        for s in strategies
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


def _show(args, context) -> int:
    strategy = get_strategy(context.engine, args.strategy_id)
    print(f"{strategy.strategy_id}  {strategy.display_name}")
    print(f"  user {strategy.user_id}, FT wallet {strategy.ft_wallet_id}, status {strategy.status}"
          + (f" ({strategy.pause_reason}, since {_when(strategy.paused_at)})" if strategy.is_paused else ""))
    print(f"  launched {strategy.launched_at.isoformat() if strategy.launched_at else 'not yet'}")
    now = context.now()
    block = strategy.placement_block(now, now=now, halt=current_halt(context.engine))
    print(f"  places a signal now: {'yes' if block is None else f'no ({block.reason.value}: {block.why})'}")
    print(f"  FT config {strategy.ft_config_hash[:12] if strategy.ft_config_hash else '-'}"
          f" ({'follows FT edits' if strategy.settings.sync_ft_changes else 'kept as copied'})")
    print("  settings:")
    for name in LtStrategySettings.model_fields:
        print(f"    {name} = {_shown(getattr(strategy.settings, name))}")
    print("  history:")
    for version in strategy_versions(context.engine, strategy.strategy_id):
        print(f"    v{version.settings_version}  {version.created_at.strftime('%Y-%m-%d %H:%M:%S')}  "
              f"{version.source:<7}  {_changes(version.changes)}")
    return 0


COMMANDS = {
    "user": _user, "create": _create, "launch": _launch, "pause": _pause, "resume": _resume, "edit": _edit,
    "halt": _halt, "unhalt": _unhalt, "list": _list, "show": _show,
}


# --- formatting ----------------------------------------------------------------------------------


def _shown(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"


def _limits(settings: LtStrategySettings) -> str:
    loss = f"${_shown(settings.max_daily_loss_usd)}" if settings.max_daily_loss_usd is not None else "none"
    return (
        f"order ${_shown(settings.min_order_size_usd)}-${_shown(settings.max_order_size_usd)}, "
        f"position ${_shown(settings.max_position_size_usd)}, exposure ${_shown(settings.max_total_exposure_usd)}, "
        f"daily loss {loss}, tolerance {_shown(settings.slippage_tolerance_pct)}%, {settings.order_type}, "
        f"ttl {settings.order_ttl_seconds}s"
    )


def _changes(changes: dict) -> str:
    if "created" in changes:
        created = changes["created"]
        return f"created from FT wallet {created.get('ft_wallet_id')} (config v{created.get('ft_config_version')})"
    if "ft_config" in changes:
        fields = ", ".join(f"{name} {_shown(old)} -> {_shown(new)}" for name, (old, new) in changes["ft_config"].items())
        return f"followed FT config v{changes.get('ft_config_version')}: {fields or 'same decisions'}"
    return ", ".join(f"{name} {_shown(old)} -> {_shown(new)}" for name, (old, new) in changes.items())


def _settings_problem(error: StrategySettingsError) -> str:
    lines = []
    for problem in error.problems:
        name, _, rest = problem.partition(":")
        flag = FLAG_OF.get(name.strip())
        lines.append(f"{name} ({flag}):{rest}" if flag else problem)
    return "; ".join(lines)


# --- entry ---------------------------------------------------------------------------------------


class _Context:
    """The ledger, a clock and a trader pool, built only when a command needs them."""

    def __init__(self) -> None:
        from lt_pipeline.ledger import migrate
        from lt_pipeline.ledger.engine import make_engine
        from lt_pipeline.settings import load_settings

        self.settings = load_settings()
        self.engine = make_engine(self.settings.ledger_url)
        migrate.require_up_to_date(self.engine)
        self.clock = SystemClock()
        self._pool: TraderPool | None = None

    def now(self):
        return self.clock.now()

    @property
    def pool(self) -> TraderPool:
        if self._pool is None:
            self._pool = TraderPool(self.settings, engine=self.engine)
        return self._pool

    def close(self) -> None:
        self.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    from lt_pipeline.ledger.migrate import LedgerNotReady
    from lt_pipeline.settings import SettingsError

    context = None
    try:
        args = build_parser().parse_args(argv)
        context = _Context()
        return COMMANDS[args.command](args, context)
    except StrategySettingsError as error:
        return _fail(_settings_problem(error), 2)
    except (UsageError, StrategyError, ControlError, CredentialsError, SettingsError, LedgerNotReady) as error:
        return _fail(str(error), 2)
    except VenueError as error:
        return _fail(f"venue: {error}", 1)
    except SystemExit as exit_:  # --help
        return int(exit_.code or 0)
    finally:
        if context is not None:
            context.close()


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
