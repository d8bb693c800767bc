"""The `lt` read commands (`dashboard`, `order show`, `orders list`, `why`, `wallets`, `report`) over the
operator's read models, as Rich tables or, with --json, as JSON (decimals as strings, times ISO UTC);
and what every `lt` command shares: the ledger session, the one-line refusal, the output helpers."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import click

from lt_pipeline.clock import system_clock
from lt_pipeline.model.orders import OrderState
from lt_pipeline.money import cents

DATE_OR_TIME = ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")
ORDER_STATES = tuple(state.value for state in OrderState)
JSON_HELP = "print JSON for scripts instead of tables (decimals as strings, times ISO 8601 UTC)"


class Words(click.ParamType):
    """One of a few upper-case words, given in any case ("fak" is FAK); shown and refused in upper case."""

    name = "word"

    def __init__(self, words: tuple[str, ...]) -> None:
        self.words = words

    def get_metavar(self, param, ctx=None) -> str:  # noqa: ARG002 - Click's signature
        return "[" + "|".join(self.words) + "]"

    def convert(self, value, param, ctx):
        word = str(value).strip().upper()
        if word not in self.words:
            self.fail(f"expected one of {', '.join(self.words)}, got {value!r}", param, ctx)
        return word


class Refused(Exception):
    """A request the ledger's current state does not allow (edit a halted strategy ...): exit code 2."""


# --- the ledger session --------------------------------------------------------------------------


class Session:
    """Settings, the ledger (checked to be at the latest migration), the clock and, for cancels, a
    trader pool; each built on first use, so `--help` and usage errors never touch the ledger."""

    def __init__(self) -> None:
        self._settings = None
        self._engine = None
        self._pool = None
        self.clock = system_clock

    @property
    def settings(self):
        if self._settings is None:
            from lt_pipeline.settings import load_settings

            self._settings = load_settings()
        return self._settings

    @property
    def engine(self):
        if self._engine is None:
            from lt_pipeline.ledger import migrate
            from lt_pipeline.ledger.engine import make_engine
            from lt_pipeline.settings import SettingsError, missing_state_message

            missing = missing_state_message(self.settings)  # say where we looked, leave no empty ledger behind
            if missing:
                raise SettingsError(missing)
            engine = make_engine(self.settings.ledger_url)
            try:
                migrate.require_up_to_date(engine)
            except BaseException:
                engine.dispose()
                raise
            self._engine = engine
        return self._engine

    @property
    def pool(self):
        if self._pool is None:
            from lt_pipeline.execution.credentials import TraderPool

            self._pool = TraderPool(self.settings, engine=self.engine)
        return self._pool

    def now(self) -> datetime:
        return self.clock.now()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


pass_session = click.make_pass_decorator(Session, ensure=True)


# --- output --------------------------------------------------------------------------------------


def console():
    from rich.console import Console

    # Piped output (scripts, tests) gets wide lines instead of Rich's 80 columns.
    return Console(width=None if sys.stdout.isatty() else 160, highlight=False)


def print_json(value: Any, *, one_line: bool = False) -> None:
    from lt_pipeline.operator.common import jsonable

    click.echo(json.dumps(jsonable(value), indent=None if one_line else 1))


def usd(value: Decimal | None, *, signed: bool = False) -> str:
    if value is None:
        return "-"
    amount = cents(Decimal(value))
    sign = ("+" if amount > 0 else "-" if amount < 0 else "") if signed else ("-" if amount < 0 else "")
    return f"{sign}${abs(amount):,.2f}"


def pct(fraction: Decimal | None, *, signed: bool = False, places: int = 1) -> str:
    if fraction is None:
        return "-"
    value = Decimal(fraction) * 100
    return f"{value:+.{places}f}%" if signed else f"{value:.{places}f}%"


def ms(value: Decimal | int | None) -> str:
    return "-" if value is None else f"{int(value):,} ms"


def when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def number(value: Decimal | None) -> str:
    return "-" if value is None else format(value, "f")


def utc_option(value: datetime | None) -> datetime | None:
    """A --since/--until value: Click parses it naive; the command line speaks UTC."""
    return None if value is None else value.replace(tzinfo=timezone.utc)


# --- dashboard -----------------------------------------------------------------------------------


@click.command("dashboard")
@click.argument("strategy_id", metavar="[STRATEGY]", required=False)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_session
def dashboard(session: Session, strategy_id: str | None, as_json: bool) -> int:
    """The strategy card of STRATEGY (live against paper since launch), or one line per strategy."""
    from lt_pipeline.execution.strategies import list_strategies
    from lt_pipeline.operator import strategy_card

    now = session.now()
    ids = [strategy_id] if strategy_id else [s.strategy_id for s in list_strategies(session.engine)]
    cards = [strategy_card(session.engine, session.settings.duckdb_path, sid, now) for sid in ids]
    if as_json:
        print_json(cards[0] if strategy_id else cards)
        return 0
    out = console()
    if strategy_id:
        out.print(_card_panel(cards[0]))
    elif not cards:
        out.print("no LT strategies yet; create one with: lt strategy create --ft-wallet FT_WALLET_ID --capital DOLLARS")
    else:
        out.print(_cards_table(cards, now))
    return 0


def _card_panel(card):
    from rich.panel import Panel
    from rich.table import Table

    grid = Table.grid(padding=(0, 3))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_column(style="bold")
    grid.add_column()
    since = f"since launch {when(card.launched_at)} UTC" if card.launched_at else "not launched"
    state = card.status + (f" ({card.pause_reason})" if card.pause_reason else "") + (
        f" (global halt: {card.halt_reason})" if card.halt_reason else "")
    grid.add_row("Status", state, "Strategy", f"{card.strategy_id} (FT wallet {card.ft_wallet_id}, user {card.user_id})")
    grid.add_row("[u]Performance[/u]", since, "", "")
    grid.add_row("P&L", f"{usd(card.pnl_usd, signed=True)} ({pct(card.roi, signed=True, places=2)} ROI)",
                 "Win rate", f"{pct(card.win_rate)} ({card.counts.get('live_wins', 0)} of {card.counts.get('live_positions_settled', 0)})")
    grid.add_row("[u]vs Forward test[/u]", "same signals, settled", "", "")
    grid.add_row("FT P&L", f"{usd(card.ft_pnl_usd, signed=True)} ({pct(card.ft_roi, signed=True, places=2)} ROI)",
                 "Difference", f"{usd(card.difference_usd, signed=True)} ({pct(card.difference_roi, signed=True, places=2)} ROI)")
    grid.add_row("[u]Execution quality[/u]", "", "", "")
    slippage = "-" if card.avg_slippage_cents is None else (
        f"{card.avg_slippage_cents:.2f}¢/share ({pct(card.avg_slippage_fraction, places=2)})")
    grid.add_row("Avg slippage", slippage, "Fill rate", f"{pct(card.fill_rate)} of shares, {pct(card.order_fill_rate)} of orders")
    grid.add_row("Avg latency", f"{ms(card.avg_latency_ms)} (p95 {ms(card.p95_latency_ms)})", "Rejection rate", pct(card.rejection_rate))
    grid.add_row("Open positions", f"{card.open_positions} ({usd(card.open_usd)})", "Total trades",
                 f"{card.total_trades} filled of {card.counts.get('placed', 0)} placed, {card.counts.get('signals', 0)} signals")
    grid.add_row("Available capital", f"{usd(card.available_capital)} of {usd(card.starting_capital)}",
                 "Fees paid", usd(card.fees_paid_usd))
    for window in card.pause_windows:
        end = when(window.resumed_at) if window.resumed_at else "now"
        grid.add_row("Paused", f"{when(window.paused_at)} to {end} UTC", "Reason", window.reason or "-")
    return Panel(grid, title=f"{card.display_name}", subtitle=f"as of {when(card.as_of)} UTC", expand=False)


def _cards_table(cards, now):
    from rich.table import Table

    table = Table(title=f"LT strategies, live against paper since launch (as of {when(now)} UTC)")
    for name in ("strategy", "status", "P&L", "ROI", "FT P&L", "live - FT", "win rate", "avg slip ¢", "fill rate",
                 "rejections", "p95 latency", "open", "trades", "available"):
        table.add_column(name, justify="left" if name in ("strategy", "status") else "right")
    for c in cards:
        table.add_row(
            c.strategy_id, c.status, usd(c.pnl_usd, signed=True), pct(c.roi, signed=True), usd(c.ft_pnl_usd, signed=True),
            usd(c.difference_usd, signed=True), pct(c.win_rate), "-" if c.avg_slippage_cents is None else f"{c.avg_slippage_cents:.2f}",
            pct(c.fill_rate), pct(c.rejection_rate), ms(c.p95_latency_ms), str(c.open_positions), str(c.total_trades),
            usd(c.available_capital),
        )
    return table


# --- one order, many orders, why -----------------------------------------------------------------


@click.group("order")
def order_group() -> None:
    """One LT order."""


@order_group.command("show")
@click.argument("lt_order_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_session
def order_show(session: Session, lt_order_id: str, as_json: bool) -> int:
    """Signal, execution, quality, outcome, FT twin and journal of the LT order ID (its id, its venue
    order id, or the first 6+ characters of its id)."""
    from lt_pipeline.operator import order_detail

    detail = order_detail(session.engine, lt_order_id)
    if as_json:
        print_json(detail)
        return 0
    _print_order(detail)
    return 0


def _print_order(d) -> None:
    from rich.table import Table

    out = console()
    s, e, o, t = d.signal, d.execution, d.outcome, d.ft_twin
    out.print(f"[bold]Order {d.lt_order_id}[/bold]  {d.strategy_id}  {s.market} ({s.token_label or s.token_id})")
    out.print(f"[u]Signal (FT)[/u]  {s.side} at ${number(s.price)}, ${number(s.size_usd)} ({number(s.shares)} shares), "
              f"{when(s.at)} UTC; trader {s.trader_address}; source trade {s.source_trade_id}")
    out.print(f"[u]Execution (Live)[/u]  {e.status}{' ' + e.order_type if e.order_type else ''}"
              f"{'; ' + e.decision_reason if e.decision_reason and e.status == 'SKIPPED' else ''}"
              f"{'; rejected: ' + e.rejection_reason if e.rejection_reason else ''}")
    out.print(f"  intended {number(e.intended_shares)} shares ({usd(e.intended_size_usd)}) limit {number(e.limit_price)}; "
              f"executed {number(e.executed_shares)} shares at {number(e.executed_price)} = ${number(e.executed_size_usd)}, "
              f"fees ${number(e.fees_usd)}")
    out.print(f"  venue order {e.venue_order_id or '-'} ({e.venue_status or 'no venue record'}); decided {when(e.decided_at)}, "
              f"submitted {when(e.submitted_at)}, first fill {when(e.first_fill_at)} UTC")
    if e.fills:
        fills = Table("trade", "status", "side", "price", "shares", "fee $", "matched at (UTC)", title="fills")
        for f in e.fills:
            fills.add_row(f.trade_id, f.status, f.trader_side, number(f.price), number(f.shares), number(f.fee_usd), when(f.matched_at))
        out.print(fills)
    q = d.quality or {}
    fill_rate = q.get("fill_rate")
    out.print(f"[u]Execution quality[/u]  slippage {number(q.get('slippage_cents'))}¢/share "
              f"({pct(q.get('slippage_vs_signal_pct'), signed=True, places=2)} vs signal), fill rate {pct(fill_rate)}, "
              f"partial fills {q.get('partial_fill_count', '-')}, latency {ms(e.execution_latency_ms)} to submit, "
              f"{ms(e.fill_latency_ms)} to fill; score {number(q.get('execution_quality_score'))}")
    markouts = ", ".join(f"{h} {number(q.get(f'markout_{h}_cents'))}¢ (leader {number(q.get(f'leader_markout_{h}_cents'))}¢)"
                         for h in ("1m", "5m", "30m"))
    out.print(f"  markouts {markouts}")
    out.print(f"[u]Outcome[/u]  {o.outcome}{' (' + o.winning_label + ' won)' if o.winning_label else ''}: live P&L "
              f"{usd(o.pnl, signed=True)} vs FT {usd(o.ft_pnl, signed=True)}, difference {usd(o.difference_usd, signed=True)}")
    out.print(f"[u]FT twin[/u]  {t.ft_order_id}: {number(t.shares)} shares at {number(t.entry_price)} (${number(t.size_usd)}), "
              f"{t.outcome}, P&L {usd(t.pnl, signed=True)}")
    journal = Table("at (UTC)", "event", "from", "to", "reason", title="journal")
    for line in d.journal:
        journal.add_row(when(line.at), line.event, line.from_state or "-", line.to_state, line.reason)
    out.print(journal if d.journal else "journal: no events recorded")


@click.group("orders")
def orders_group() -> None:
    """Lists of LT orders."""


@orders_group.command("list")
@click.option("--strategy", "strategy_id", metavar="STRATEGY", help="only this LT strategy's orders")
@click.option("--status", type=Words(ORDER_STATES), metavar="STATE",
              help=f"only orders in this state: {', '.join(ORDER_STATES)}")
@click.option("--since", type=click.DateTime(DATE_OR_TIME), metavar="DATE|TIME", help="signals at or after, UTC (YYYY-MM-DD[THH:MM])")
@click.option("--until", type=click.DateTime(DATE_OR_TIME), metavar="DATE|TIME", help="signals before, UTC (YYYY-MM-DD[THH:MM])")
@click.option("--market", metavar="TEXT", help="a condition id or slug, or any part of the market's title")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True, metavar="N",
              help="at most N orders, newest signal first (1-10000)")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_session
def orders_list(session: Session, strategy_id, status, since, until, market, limit, as_json) -> int:
    """LT orders, newest signal first."""
    from rich.table import Table

    from lt_pipeline.operator import list_orders

    since, until = utc_option(since), utc_option(until)
    if since is not None and until is not None and until <= since:
        raise click.BadParameter(f"expected a time after --since {since:%Y-%m-%d %H:%M}, got {until:%Y-%m-%d %H:%M}",
                                 param_hint="'--until'")
    rows = list_orders(session.engine, strategy_id=strategy_id, status=status, since=since, until=until, market=market, limit=limit)
    if as_json:
        print_json(rows)
        return 0
    if not rows:
        console().print("no LT orders match")
        return 0
    table = Table(title=f"{len(rows)} LT order(s), newest signal first")
    for name in ("id", "strategy", "signal at (UTC)", "market", "side", "status", "signal", "exec", "filled/intended",
                 "slip ¢", "outcome", "P&L", "FT P&L"):
        table.add_column(name)
    for r in rows:
        table.add_row(r.lt_order_id[:8], r.strategy_id, when(r.signal_at), r.market[:40], r.side,
                      r.status + (f" ({r.decision_reason})" if r.status == "SKIPPED" else ""), number(r.signal_price),
                      number(r.executed_price), f"{number(r.executed_shares)}/{number(r.intended_shares)}",
                      number(r.slippage_cents), r.outcome, usd(r.pnl, signed=True), usd(r.ft_pnl, signed=True))
    console().print(table)
    return 0


@click.command("why")
@click.argument("source_trade_id", metavar="SOURCE_TRADE_ID")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_session
def why(session: Session, source_trade_id: str, as_json: bool) -> int:
    """Every strategy's decision about one tracked trade: the paper orders, then each live strategy's
    placed / skipped (with its reason) / not decided."""
    from rich.table import Table

    from lt_pipeline.operator import decisions_about

    decisions = decisions_about(session.engine, source_trade_id)
    if as_json:
        print_json(decisions)
        return 0
    table = Table(title=f"decisions about source trade {source_trade_id}")
    for name in ("", "FT wallet", "LT strategy", "decision", "reason", "state", "at (UTC)", "order"):
        table.add_column(name)
    for d in decisions:
        table.add_row("paper" if d.kind == "ft" else "live", d.wallet_id, d.strategy_id or "-", d.decision, d.reason,
                      d.status or "-", when(d.at), (d.lt_order_id or d.ft_order_id or "-"))
    console().print(table)
    return 0


@click.command("wallets")
@click.argument("wallet_id", metavar="[FT_WALLET]", required=False)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_session
def wallets(session: Session, wallet_id: str | None, as_json: bool) -> int:
    """The FT (paper) wallets you can mirror: recent activity, paper P&L and existing live twins."""
    from rich.table import Table

    from lt_pipeline.operator import ft_wallet, ft_wallets

    now = session.now()
    found = [ft_wallet(session.engine, wallet_id, now)] if wallet_id else ft_wallets(session.engine, now)
    if as_json:
        print_json(found[0] if wallet_id else found)
        return 0
    if not found:
        console().print("no FT wallets in the ledger yet: the execution job's ft_wallets asset loads them from "
                        f"{session.settings.ft_wallets_file} (start the stack with `lt run`)")
        return 0
    table = Table(title=f"FT wallets (as of {when(now)} UTC); mirror one with: lt strategy create --ft-wallet ID --capital DOLLARS")
    for name in ("FT wallet", "name", "trades 24h", "7d", "all", "last trade (UTC)", "open", "win rate", "paper P&L", "live twins"):
        table.add_column(name, justify="right" if name in ("trades 24h", "7d", "all", "open", "win rate", "paper P&L") else "left")
    for w in found:
        table.add_row(w.wallet_id, w.display_name + ("" if w.is_active else " (inactive)"), str(w.trades_24h), str(w.trades_7d),
                      str(w.trades_total), when(w.last_trade_at), str(w.open_positions), pct(w.win_rate),
                      usd(w.paper_pnl_usd, signed=True), ", ".join(w.live_twins) or "-")
    console().print(table)
    if wallet_id and found[0].description:
        console().print(found[0].description)
    return 0


# --- report --------------------------------------------------------------------------------------


@click.command("report")
@click.argument("strategy_id", metavar="[STRATEGY]", required=False)
@click.option("--since", type=click.DateTime(("%Y-%m-%d",)), metavar="DATE",
              help="UTC date YYYY-MM-DD (default: each strategy's launch)")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_session
def report(session: Session, strategy_id: str | None, since: datetime | None, as_json: bool) -> int:
    """How each live twin is doing against paper, per strategy and per order, with the live-minus-paper
    attribution from the analytics file (materialise or `lt backfill` the analytics first)."""
    from lt_pipeline.operator import UnknownId
    from lt_pipeline.reporting.report import as_json as report_json
    from lt_pipeline.reporting.report import as_text, build_report, strategy_ids

    try:
        ids = strategy_ids(session.engine, strategy_id)
    except KeyError:
        raise UnknownId("LT strategy", strategy_id, "see `lt strategy list`") from None
    now = session.now()
    reports = [build_report(session.engine, session.settings.duckdb_path, sid, utc_option(since), now) for sid in ids]
    click.echo(report_json(reports) if as_json else as_text(reports))
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m lt_pipeline.tools.report ...` is `lt report ...`."""
    from lt_pipeline.tools.cli import main as lt_main

    return lt_main(["report", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
