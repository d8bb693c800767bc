"""The `lt` commands that change things: `user add | list`, `strategy create | list | show | edit | launch
| pause | resume`, and the global `halt` / `unhalt` (also as `lt strategy halt | unhalt`, their older
names), against the ledger named by the settings (LT_LEDGER_URL).

Bad input changes nothing and is one line naming what was wrong and what was expected (see `lt --help`
for the exit codes). Settings are validated by execution.settings, so the web forms and the command
line say the same thing.
"""

from __future__ import annotations

import copy
import sys
from decimal import Decimal

import click

from lt_pipeline.execution.settings import LtStrategySettings
from lt_pipeline.model.trading import ORDER_TYPES
from lt_pipeline.tools.report import JSON_HELP, Refused, Session, Words, console, pass_session, print_json, usd, when

NO_LIMIT = ("none", "off")  # --max-daily-loss none removes the daily loss limit
DEFAULTS = {name: field.default for name, field in LtStrategySettings.model_fields.items()}

# (flag, setting, metavar, help); the defaults are the settings model's.
SETTING_OPTIONS = (
    ("--capital", "starting_capital", "DOLLARS", "starting capital in USD"),
    ("--tolerance", "slippage_tolerance_pct", "PERCENT", "slippage tolerance, percent of the signal price, 0-100"),
    ("--order-type", "order_type", None, "order type: GTC rests on the book, FOK fills in full or not at all, FAK fills what it can"),
    ("--min-order", "min_order_size_usd", "DOLLARS", "smallest order in USD (smaller signals are skipped)"),
    ("--max-order", "max_order_size_usd", "DOLLARS", "largest order in USD (larger signals are clamped)"),
    ("--max-position", "max_position_size_usd", "DOLLARS", "largest position per outcome token in USD"),
    ("--max-exposure", "max_total_exposure_usd", "DOLLARS", "largest total open exposure in USD"),
    ("--max-daily-loss", "max_daily_loss_usd", "DOLLARS", "pause for the day after losing this many USD ('none': no limit)"),
    ("--ttl", "order_ttl_seconds", "SECONDS", "cancel a resting GTC order after this many seconds"),
    ("--max-signal-age", "max_signal_age_seconds", "SECONDS", "skip signals older than this many seconds after the trader's fill"),
)
FLAG_OF = {name: flag for flag, name, _, _ in SETTING_OPTIONS} | {"sync_ft_changes": "--sync/--no-sync"}


def setting_options(command):
    """The settings as options; on `create` their help shows the default."""
    for flag, name, metavar, text in reversed(SETTING_OPTIONS):
        default = DEFAULTS[name]
        shown = "none" if default is None else default
        if name == "order_type":
            option = click.option(flag, name, type=Words(ORDER_TYPES), help=f"{text} (default {shown})")
        else:
            option = click.option(flag, name, metavar=metavar, help=f"{text} (default {shown})")
        command = option(command)
    return command


def _values(options: dict, sync: bool | None) -> dict[str, object]:
    values = {name: options[name] for _, name, _, _ in SETTING_OPTIONS if options.get(name) is not None}
    loss = values.get("max_daily_loss_usd")
    if isinstance(loss, str) and loss.strip().lower() in NO_LIMIT:
        values["max_daily_loss_usd"] = None
    if sync is not None:
        values["sync_ft_changes"] = sync
    return values


def settings_problem(error) -> str:
    """A settings error with each field's flag beside it: "starting_capital (--capital): expected ..."."""
    lines = []
    for problem in error.problems:
        name, _, rest = problem.partition(":")
        flag = FLAG_OF.get(name.strip())
        lines.append(f"{name} ({flag}):{rest}" if flag else problem)
    return "; ".join(lines)


def known_strategy(session: Session, strategy_id: str):
    from lt_pipeline.execution.strategies import StrategyError, get_strategy
    from lt_pipeline.operator import UnknownId

    try:
        return get_strategy(session.engine, strategy_id)
    except StrategyError:
        raise UnknownId("LT strategy", strategy_id, "see `lt strategy list`") from None


# --- users ---------------------------------------------------------------------------------------


@click.group("user")
def user_group() -> None:
    """People who trade live (their keys stay in the environment, never in the ledger)."""


@user_group.command("add")
@click.argument("user_id", metavar="USER_ID")
@click.option("--name", metavar="TEXT", help="display name (default: the id, or the name it has)")
@click.option("--funder", metavar="ADDRESS", help="0x funder (proxy) address that holds the user's funds")
@click.option("--signature-type", type=click.Choice(("0", "1", "2")), default="0", show_default=True,
              help="how the key signs for the funder: 0 EOA, 1 Polymarket proxy, 2 Gnosis safe (with --funder)")
@pass_session
def user_add(session: Session, user_id: str, name: str | None, funder: str | None, signature_type: str) -> int:
    """Add the user USER_ID, or update its name and funder."""
    from lt_pipeline.execution.strategies import check_user_id, ensure_user, get_user

    check_user_id(user_id)
    existing = get_user(session.engine, user_id)
    user = ensure_user(session.engine, user_id, name or (existing.display_name if existing else user_id), funder,
                       int(signature_type), now=session.now())
    verb = "updated" if existing else "added"
    keys = ", ".join(session.settings.key_env_names(user.user_id).values())
    funder = user.funder_address or "the key's own address"
    click.echo(f"{verb} user {user.user_id} ({user.display_name}): trades from {funder}, "
               f"signature type {user.signature_type}; its keys are read from {keys}")
    return 0


@user_group.command("list")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_session
def user_list(session: Session, as_json: bool) -> int:
    """Every user, with the environment variables its keys are read from (names only)."""
    from rich.table import Table
    from sqlalchemy import select

    from lt_pipeline.ledger.schema import users

    with session.engine.connect() as connection:
        rows = connection.execute(select(users).order_by(users.c.user_id)).mappings().all()
    found = [{"user_id": r["user_id"], "display_name": r["display_name"], "funder_address": r["funder_address"],
              "signature_type": r["signature_type"], "created_at": r["created_at"],
              "key_variables": list(session.settings.key_env_names(r["user_id"]).values())} for r in rows]
    if as_json:
        print_json(found)
        return 0
    if not found:
        console().print("no users yet; add one with: lt user add USER_ID --name TEXT")
        return 0
    table = Table("user", "name", "funder", "signature type", "added (UTC)", "key variables", title="users")
    for u in found:
        table.add_row(u["user_id"], u["display_name"], u["funder_address"] or "(the key's address)", str(u["signature_type"]),
                      when(u["created_at"]), ", ".join(u["key_variables"]))
    console().print(table)
    return 0


# --- strategies ----------------------------------------------------------------------------------


@click.group("strategy")
def strategy_group() -> None:
    """Live twins of FT wallets: create, list, show, edit, launch, pause, resume."""


@strategy_group.command("create")
@click.option("--ft-wallet", "ft_wallet_id", required=True, metavar="FT_WALLET", help="the FT wallet to mirror (see `lt wallets`)")
@click.option("--user", "user_id", metavar="USER_ID", help="owner (default: LT_DEFAULT_USER)")
@setting_options
@click.option("--sync/--no-sync", default=None, help="follow the FT wallet's later config edits, or keep it as now (default --sync)")
@click.option("--launch", "launch_now", is_flag=True, help="launch it at once: signals from now on are placed")
@pass_session
def strategy_create(session: Session, ft_wallet_id: str, user_id: str | None, sync, launch_now: bool, **options) -> int:
    """Create the live twin of an FT wallet (not launched unless --launch)."""
    from lt_pipeline.execution.settings import parse_settings
    from lt_pipeline.execution.strategies import create_strategy, get_strategy, get_user, launch
    from lt_pipeline.operator import UnknownId, ft_wallet

    settings = parse_settings(_values(options, sync))  # bad values first: nothing is looked up or written
    user_id = user_id or session.settings.default_user
    if get_user(session.engine, user_id) is None:
        raise UnknownId("user", user_id, "add it with `lt user add USER_ID`, see `lt user list`")
    ft_wallet(session.engine, ft_wallet_id, session.now())
    strategy_id = create_strategy(session.engine, user_id, ft_wallet_id, settings, session.now())
    strategy = get_strategy(session.engine, strategy_id)
    click.echo(f"created {strategy_id} ({strategy.display_name}) for user {user_id}: {limits(strategy.settings)}")
    if launch_now:
        launched = launch(session.engine, strategy_id, session.now())
        click.echo(f"launched {strategy_id}: signals from {launched.launched_at.isoformat()} on are placed")
    else:
        click.echo(f"not launched yet; start it with: lt strategy launch {strategy_id}")
    return 0


@strategy_group.command("list")
@click.option("--user", "user_id", metavar="USER_ID", help="only this user's strategies")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_session
def strategy_list(session: Session, user_id: str | None, as_json: bool) -> int:
    """Every LT strategy with its status and limits."""
    from rich.table import Table

    from lt_pipeline.execution.controls import current_halt
    from lt_pipeline.execution.strategies import get_user, list_strategies
    from lt_pipeline.operator import UnknownId

    if user_id is not None and get_user(session.engine, user_id) is None:
        raise UnknownId("user", user_id, "see `lt user list`")
    halt = current_halt(session.engine)
    strategies = list_strategies(session.engine, user_id=user_id)
    if as_json:
        print_json({"global_halt": {"on": halt.on, "since": halt.since, "reason": halt.reason or None},
                    "strategies": [_strategy_json(s) for s in strategies]})
        return 0
    out = console()
    if halt.on:
        out.print(f"[bold red]GLOBAL HALT ON[/bold red] since {when(halt.since)} UTC: {halt.reason}")
    if not strategies:
        out.print("no LT strategies yet; create one with: lt strategy create --ft-wallet FT_WALLET_ID --capital DOLLARS")
        return 0
    table = Table("id", "user", "FT wallet", "status", "launched (UTC)", "capital", "limits", title="LT strategies")
    for s in strategies:
        table.add_row(s.strategy_id, s.user_id, s.ft_wallet_id, s.status, when(s.launched_at),
                      usd(s.settings.starting_capital), limits(s.settings))
    out.print(table)
    return 0


@strategy_group.command("show")
@click.argument("strategy_id", metavar="STRATEGY")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_session
def strategy_show(session: Session, strategy_id: str, as_json: bool) -> int:
    """One strategy's settings, whether it places a signal now, and its version history."""
    from lt_pipeline.execution.controls import current_halt
    from lt_pipeline.execution.strategies import strategy_versions

    strategy = known_strategy(session, strategy_id)
    now = session.now()
    block = strategy.placement_block(now, now=now, halt=current_halt(session.engine))
    versions = strategy_versions(session.engine, strategy_id)
    if as_json:
        print_json({**_strategy_json(strategy), "places_now": block is None,
                    "blocked_by": None if block is None else {"reason": block.reason.value, "why": block.why},
                    "history": [{"settings_version": v.settings_version, "source": v.source, "created_at": v.created_at,
                                 "changes": v.changes} for v in versions]})
        return 0
    out = console()
    out.print(f"[bold]{strategy.strategy_id}[/bold]  {strategy.display_name}")
    paused = f" ({strategy.pause_reason}, since {when(strategy.paused_at)} UTC)" if strategy.is_paused else ""
    out.print(f"  user {strategy.user_id}, FT wallet {strategy.ft_wallet_id}, status {strategy.status}{paused}")
    out.print(f"  launched {strategy.launched_at.isoformat() if strategy.launched_at else 'not yet'}")
    out.print(f"  places a signal now: {'yes' if block is None else f'no ({block.reason.value}: {block.why})'}")
    out.print(f"  FT config {strategy.ft_config_hash[:12] if strategy.ft_config_hash else '-'}"
              f" ({'follows FT edits' if strategy.settings.sync_ft_changes else 'kept as copied'})")
    out.print("  settings:")
    for name in LtStrategySettings.model_fields:
        out.print(f"    {name} = {shown(getattr(strategy.settings, name))}")
    out.print("  history:")
    for v in versions:
        out.print(f"    v{v.settings_version}  {v.created_at:%Y-%m-%d %H:%M:%S}  {v.source:<7}  {_changes(v.changes)}", markup=False)
    return 0


@strategy_group.command("edit")
@click.argument("strategy_id", metavar="STRATEGY")
@setting_options
@click.option("--sync/--no-sync", default=None, help="follow the FT wallet's later config edits, or stop following them")
@click.option("--no-daily-loss", is_flag=True, help="remove the daily loss limit (same as --max-daily-loss none)")
@pass_session
def strategy_edit(session: Session, strategy_id: str, sync, no_daily_loss: bool, **options) -> int:
    """Change capital, limits or execution settings of STRATEGY (refused while the global halt is on)."""
    from lt_pipeline.execution.strategies import edit_limits

    if no_daily_loss and options.get("max_daily_loss_usd") is not None:
        raise click.UsageError("--no-daily-loss and --max-daily-loss conflict: give one of them")
    values = _values(options, sync)
    if no_daily_loss:
        values["max_daily_loss_usd"] = None
    if not values:
        raise click.UsageError("expected at least one setting to change, such as --max-order 60")
    known_strategy(session, strategy_id)
    result = edit_limits(session.engine, strategy_id, values, session.now())
    if not result.changes:
        click.echo(f"{strategy_id}: nothing changed")
    for name, (old, new) in result.changes.items():
        click.echo(f"{strategy_id}: {name} {shown(old)} -> {shown(new)}")
    return 0


@strategy_group.command("launch")
@click.argument("strategy_id", metavar="STRATEGY")
@pass_session
def strategy_launch(session: Session, strategy_id: str) -> int:
    """Start placing orders for signals made from now on (once; pause and resume it afterwards)."""
    from lt_pipeline.execution.strategies import launch

    known_strategy(session, strategy_id)
    strategy = launch(session.engine, strategy_id, session.now())
    click.echo(f"launched {strategy.strategy_id}: signals from {strategy.launched_at.isoformat()} on are placed")
    return 0


@strategy_group.command("pause")
@click.argument("strategy_id", metavar="STRATEGY")
@click.option("--reason", default="paused by hand", show_default=True, metavar="TEXT", help="why, in a few words")
@click.option("--cancel-resting", is_flag=True, help="also cancel its resting orders at the venue")
@pass_session
def strategy_pause(session: Session, strategy_id: str, reason: str, cancel_resting: bool) -> int:
    """Stop placing orders for new signals (signals that arrive while paused are never placed later)."""
    from lt_pipeline.execution.credentials import trader_for_strategy
    from lt_pipeline.execution.strategies import pause

    before = known_strategy(session, strategy_id)
    trader = trader_for_strategy(session.engine, strategy_id, session.pool) if cancel_resting else None
    result = pause(session.engine, strategy_id, reason, session.now(), cancel_resting=cancel_resting, trader=trader)
    if before.is_paused:
        click.echo(f"{strategy_id} was already paused: {result.strategy.pause_reason}")
    else:
        click.echo(f"paused {result.strategy.strategy_id}: {result.strategy.pause_reason}")
    if cancel_resting:
        click.echo(result.cancels.summary())
        return 0 if result.cancels.complete else 1
    return 0


@strategy_group.command("resume")
@click.argument("strategy_id", metavar="STRATEGY")
@pass_session
def strategy_resume(session: Session, strategy_id: str) -> int:
    """Resume a paused strategy: it acts on signals made from now on."""
    from lt_pipeline.execution.strategies import resume

    before = known_strategy(session, strategy_id)
    if not before.is_paused:
        raise Refused(f"{strategy_id}: not paused (status {before.status}); expected a paused strategy to resume")
    strategy = resume(session.engine, strategy_id, session.now())
    click.echo(f"{strategy.strategy_id} is {strategy.status}; signals from now on are placed")
    return 0


# --- the global halt -----------------------------------------------------------------------------


@click.command("halt")
@click.option("--reason", required=True, metavar="TEXT", help="why, in a few words (shown wherever the halt is)")
@pass_session
def halt_command(session: Session, reason: str) -> int:
    """Global kill switch: place nothing anywhere, cancel every resting order at the venue."""
    from lt_pipeline.execution.controls import halt

    report = halt(session.engine, reason, session.now(), traders=session.pool)
    click.echo(f"global halt ON: {report.reason}; {report.cancels.summary()}")
    return 0 if report.cancels.complete else 1


@click.command("unhalt")
@pass_session
def unhalt_command(session: Session) -> int:
    """Turn the global halt off (strategies paused on their own stay paused)."""
    from lt_pipeline.execution.controls import resume_trading

    resume_trading(session.engine, session.now())
    click.echo("global halt OFF; strategies that are not paused place orders again")
    return 0


strategy_group.add_command(halt_command, "halt")
strategy_group.add_command(unhalt_command, "unhalt")


# `lt strategy user USER_ID` is the older name of `lt user add USER_ID`, kept for scripts.
_legacy_user = copy.copy(user_add)
_legacy_user.hidden = True
strategy_group.add_command(_legacy_user, "user")


# --- formatting ----------------------------------------------------------------------------------


def shown(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def limits(settings: LtStrategySettings) -> str:
    loss = f"${shown(settings.max_daily_loss_usd)}" if settings.max_daily_loss_usd is not None else "none"
    return (
        f"order ${shown(settings.min_order_size_usd)}-${shown(settings.max_order_size_usd)}, "
        f"position ${shown(settings.max_position_size_usd)}, exposure ${shown(settings.max_total_exposure_usd)}, "
        f"daily loss {loss}, tolerance {shown(settings.slippage_tolerance_pct)}%, {settings.order_type}, "
        f"ttl {settings.order_ttl_seconds}s"
    )


def _strategy_json(s) -> dict:
    return {"strategy_id": s.strategy_id, "display_name": s.display_name, "user_id": s.user_id, "ft_wallet_id": s.ft_wallet_id,
            "status": s.status, "launched_at": s.launched_at, "pause_reason": s.pause_reason, "paused_at": s.paused_at,
            "resumed_at": s.resumed_at, "settings_version": s.settings_version, "settings": s.settings.as_record()}


def _changes(changes: dict) -> str:
    if "created" in changes:
        created = changes["created"]
        return f"created from FT wallet {created.get('ft_wallet_id')} (config v{created.get('ft_config_version')})"
    if "ft_config" in changes:
        fields = ", ".join(f"{name} {shown(old)} -> {shown(new)}" for name, (old, new) in changes["ft_config"].items())
        return f"followed FT config v{changes.get('ft_config_version')}: {fields or 'same decisions'}"
    return ", ".join(f"{name} {shown(old)} -> {shown(new)}" for name, (old, new) in changes.items())


def main(argv: list[str] | None = None) -> int:
    """`python -m lt_pipeline.tools.strategy_cli ...` is `lt strategy ...`."""
    from lt_pipeline.tools.cli import main as lt_main

    return lt_main(["strategy", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
