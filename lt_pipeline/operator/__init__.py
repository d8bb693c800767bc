"""The operator's read models: plain Python over the ledger (no Dagster), shared by the `lt` command
and the web dashboard. Every figure is read from the ledger as it stands now.

    strategy_card(engine, duckdb_path, strategy_id, now) -> StrategyCard
        The seed's strategy card: PnL since launch ($ and ROI), win rate, FT PnL over the same signals
        and the difference, average slippage, fill and rejection rates, average and p95 latency, open
        positions, trades, available capital, status and pause windows. Figures are the analytics'
        own definitions (analytics.facts and analytics.figures) applied to this strategy's rows.
    order_detail(engine, lt_order_id) -> OrderDetail
        The seed's order detail: signal, execution (with fills), quality, outcome, FT twin, journal.
    list_orders(engine, *, strategy_id=None, status=None, since=None, until=None, market=None,
                limit=50) -> list[OrderRow]
    decisions_about(engine, source_trade_id) -> list[Decision]
        Every paper order for one tracked trade, then every LT strategy's decision about it.
    ft_wallets(engine, now) -> list[WalletSummary]
        The FT wallets with their recent activity and paper PnL, to choose what to mirror.

Each result is a frozen dataclass with exact Decimals and UTC datetimes; `.as_json()` gives a dict
with decimals as strings and datetimes in ISO 8601 UTC. Rates, ratios and ROI are fractions (0.05 is
5 %). An id that names nothing raises UnknownId (a LookupError) whose message names the kind of id,
the value and where to look, e.g. "no LT strategy 'abc' (see `lt strategy list`)".
"""

from lt_pipeline.operator.card import PauseWindow, StrategyCard, strategy_card
from lt_pipeline.operator.common import UnknownId
from lt_pipeline.operator.order_detail import OrderDetail, order_detail
from lt_pipeline.operator.orders import OrderRow, list_orders
from lt_pipeline.operator.wallets import WalletSummary, ft_wallet, ft_wallets
from lt_pipeline.operator.why import Decision, decisions_about

__all__ = [
    "Decision", "OrderDetail", "OrderRow", "PauseWindow", "StrategyCard", "UnknownId", "WalletSummary",
    "decisions_about", "ft_wallet", "ft_wallets", "list_orders", "order_detail", "strategy_card",
]
