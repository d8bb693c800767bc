"""The ledger's tables. Names follow the seed document (docs/architecture.md); migrations in ledger/migrations
create exactly this schema, and a test compares the two.

Conventions: money, prices and sizes are ExactDecimal; times are UtcDateTime; outcome of a position is
`outcome` (OPEN / WON / LOST / VOID, and for an LT order that held no position when its market
resolved, CLOSED), the traded token's label is `token_label`. State, event and outcome words come from
`lt_pipeline.model`.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from lt_pipeline.ledger.types import ExactDecimal, UtcDateTime
from lt_pipeline.model.orders import FillStatus, OrderEvent, OrderState
from lt_pipeline.model.trading import ORDER_TYPES, SIDES, PositionOutcome

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

ID = String(96)
ADDRESS = String(42)
CONDITION = String(80)
TOKEN = String(96)
ORDER_HASH = String(80)

FT_OUTCOMES = ("OPEN", "WON", "LOST", "VOID")
LT_OUTCOMES = tuple(outcome.value for outcome in PositionOutcome)
LT_ORDER_STATUSES = tuple(state.value for state in OrderState)
ORDER_EVENTS = tuple(event.value for event in OrderEvent)
FILL_STATUSES = tuple(status.value for status in FillStatus)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _price(column: str) -> CheckConstraint:
    # CAST keeps the comparison numeric on SQLite, where ExactDecimal is stored as text.
    return CheckConstraint(f"CAST({column} AS NUMERIC) BETWEEN 0 AND 1", name=f"{column}_in_0_1")


def _non_negative(column: str) -> CheckConstraint:
    return CheckConstraint(f"CAST({column} AS NUMERIC) >= 0", name=f"{column}_non_negative")


def _created_updated() -> list[Column]:
    return [
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    ]


users = Table(
    "users",
    metadata,
    Column("user_id", ID, primary_key=True),
    Column("display_name", String(200), nullable=False),
    # The funder (proxy) address trades; the signing key itself lives only in the environment.
    Column("funder_address", ADDRESS),
    Column("signature_type", Integer, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime, nullable=False),
)

tracked_traders = Table(
    "tracked_traders",
    metadata,
    Column("trader_address", ADDRESS, primary_key=True),
    Column("name", String(200)),
    Column("source", String(16), nullable=False),
    Column("is_active", Boolean, nullable=False, server_default="1"),
    Column("added_at", UtcDateTime, nullable=False),
    CheckConstraint(_in("source", ("config", "discovery", "emulator")), name="source_known"),
)

markets = Table(
    "markets",
    metadata,
    Column("condition_id", CONDITION, primary_key=True),
    Column("question", Text, nullable=False),
    Column("slug", String(300)),
    Column("category", String(100), nullable=False, server_default="uncategorised"),
    Column("end_date", UtcDateTime),
    Column("neg_risk", Boolean, nullable=False, server_default="0"),
    Column("tick_size", ExactDecimal),
    Column("min_order_size", ExactDecimal),
    Column("liquidity", ExactDecimal),
    Column("volume", ExactDecimal),
    Column("volume_24h", ExactDecimal),
    # The taker fee schedule: fee = shares x fee_rate x (p x (1 - p)) ^ fee_exponent; makers pay none.
    Column("fees_enabled", Boolean, nullable=False, server_default="0"),
    Column("fee_rate", ExactDecimal, nullable=False, server_default="0"),
    Column("fee_exponent", ExactDecimal, nullable=False, server_default="1"),
    Column("closed", Boolean, nullable=False, server_default="0"),
    Column("accepting_orders", Boolean, nullable=False, server_default="1"),
    Column("resolution_status", String(8)),
    Column("winning_token_id", TOKEN),
    Column("resolved_at", UtcDateTime),
    *_created_updated(),
    CheckConstraint(
        "resolution_status IS NULL OR " + _in("resolution_status", ("WON", "VOID")), name="resolution_known"
    ),
)

market_tokens = Table(
    "market_tokens",
    metadata,
    Column("token_id", TOKEN, primary_key=True),
    Column("condition_id", CONDITION, ForeignKey("markets.condition_id"), nullable=False, index=True),
    Column("token_label", String(200), nullable=False),
    Column("outcome_index", Integer, nullable=False),
    # What one share pays at resolution: 1 or 0, 0.5 for a void; NULL while unresolved.
    Column("payout", ExactDecimal),
    CheckConstraint("payout IS NULL OR CAST(payout AS NUMERIC) BETWEEN 0 AND 1", name="payout_in_0_1"),
)

ingest_cursors = Table(
    "ingest_cursors",
    metadata,
    Column("trader_address", ADDRESS, primary_key=True),
    Column("last_traded_at", UtcDateTime),
    Column("last_polled_at", UtcDateTime, nullable=False),
)

source_trades = Table(
    "source_trades",
    metadata,
    Column("source_trade_id", String(64), primary_key=True),
    Column("trader_address", ADDRESS, nullable=False),
    Column("condition_id", CONDITION, nullable=False),
    Column("token_id", TOKEN, nullable=False),
    Column("token_label", String(200)),
    Column("outcome_index", Integer),
    Column("side", String(4), nullable=False),
    Column("price", ExactDecimal, nullable=False),
    Column("size", ExactDecimal, nullable=False),
    Column("notional_usd", ExactDecimal, nullable=False),
    Column("traded_at", UtcDateTime, nullable=False),
    Column("transaction_hash", String(80)),
    Column("title", Text),
    Column("ingested_at", UtcDateTime, nullable=False),
    # When the FT step decided this trade (orders made, rejected by every wallet, history, closed market,
    # or given up on an unknown market); NULL while it is still to be decided. The FT step reads the NULL
    # rows, so a trade committed late by one writer is still found by the next read of any writer.
    Column("ft_evaluated_at", UtcDateTime),
    _price("price"),
    _non_negative("size"),
    _non_negative("notional_usd"),
    CheckConstraint(_in("side", SIDES), name="side_known"),
    Index("ix_source_trades_ingested_at", "ingested_at"),
    # Only the trades still to be decided: a handful, however long the table grows.
    Index(
        "ix_source_trades_ft_pending",
        "ingested_at",
        sqlite_where=text("ft_evaluated_at IS NULL"),
        postgresql_where=text("ft_evaluated_at IS NULL"),
    ),
    Index("ix_source_trades_trader_traded", "trader_address", "traded_at"),
)

source_trade_rejections = Table(
    "source_trade_rejections",
    metadata,
    Column("rejection_id", Integer, primary_key=True, autoincrement=True),
    Column("raw_hash", String(64), nullable=False, unique=True),
    Column("trader_address", String(64)),
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),
    Column("seen_at", UtcDateTime, nullable=False),
)

ft_wallets = Table(
    "ft_wallets",
    metadata,
    Column("wallet_id", ID, primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("description", Text),
    Column("starting_balance", ExactDecimal, nullable=False),
    Column("is_active", Boolean, nullable=False, server_default="1"),
    Column("config_json", Text, nullable=False),
    Column("config_hash", String(64), nullable=False),
    Column("config_version", Integer, nullable=False),
    *_created_updated(),
    _non_negative("starting_balance"),
)

ft_wallet_versions = Table(
    "ft_wallet_versions",
    metadata,
    Column("version_id", Integer, primary_key=True, autoincrement=True),
    Column("wallet_id", ID, ForeignKey("ft_wallets.wallet_id"), nullable=False),
    Column("config_version", Integer, nullable=False),
    Column("config_hash", String(64), nullable=False),
    Column("config_json", Text, nullable=False),
    Column("changes_json", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("wallet_id", "config_version"),
)

ft_orders = Table(
    "ft_orders",
    metadata,
    Column("order_id", String(36), primary_key=True),
    Column("wallet_id", ID, ForeignKey("ft_wallets.wallet_id"), nullable=False),
    Column("source_trade_id", String(64), ForeignKey("source_trades.source_trade_id"), nullable=False),
    Column("trader_address", ADDRESS, nullable=False),
    Column("condition_id", CONDITION, nullable=False),
    Column("token_id", TOKEN, nullable=False),
    Column("token_label", String(200)),
    Column("market_title", Text),
    Column("side", String(4), nullable=False),
    Column("entry_price", ExactDecimal, nullable=False),
    Column("size", ExactDecimal, nullable=False),
    Column("shares", ExactDecimal, nullable=False),
    Column("trader_win_rate", ExactDecimal),
    Column("conviction", ExactDecimal),
    Column("sizing_method", String(32), nullable=False),
    Column("config_version", Integer, nullable=False),
    Column("source_traded_at", UtcDateTime, nullable=False),
    Column("order_time", UtcDateTime, nullable=False),
    Column("outcome", String(8), nullable=False, server_default="OPEN"),
    Column("pnl", ExactDecimal),
    Column("resolved_at", UtcDateTime),
    UniqueConstraint("wallet_id", "source_trade_id"),
    _price("entry_price"),
    _non_negative("size"),
    _non_negative("shares"),
    CheckConstraint(_in("side", SIDES), name="side_known"),
    CheckConstraint(_in("outcome", FT_OUTCOMES), name="outcome_known"),
    Index("ix_ft_orders_wallet_time", "wallet_id", "order_time"),
    Index("ix_ft_orders_condition_outcome", "condition_id", "outcome"),
)

lt_strategies = Table(
    "lt_strategies",
    metadata,
    Column("strategy_id", ID, primary_key=True),
    Column("user_id", ID, ForeignKey("users.user_id"), nullable=False),
    Column("ft_wallet_id", ID, ForeignKey("ft_wallets.wallet_id"), nullable=False),
    Column("display_name", String(200), nullable=False),
    Column("wallet_address", ADDRESS),
    Column("description", Text),
    Column("starting_capital", ExactDecimal, nullable=False),
    Column("slippage_tolerance_pct", ExactDecimal, nullable=False),
    Column("order_type", String(4), nullable=False),
    Column("min_order_size_usd", ExactDecimal, nullable=False),
    Column("max_order_size_usd", ExactDecimal, nullable=False),
    Column("max_position_size_usd", ExactDecimal, nullable=False),
    Column("max_total_exposure_usd", ExactDecimal, nullable=False),
    Column("max_daily_loss_usd", ExactDecimal),
    Column("order_ttl_seconds", Integer, nullable=False),
    Column("max_signal_age_seconds", Integer, nullable=False, server_default="300"),
    Column("sync_ft_changes", Boolean, nullable=False, server_default="1"),
    Column("is_active", Boolean, nullable=False, server_default="1"),
    Column("is_paused", Boolean, nullable=False, server_default="0"),
    Column("pause_reason", Text),
    Column("paused_at", UtcDateTime),
    Column("resumed_at", UtcDateTime),
    Column("launched_at", UtcDateTime),
    Column("ft_config_hash", String(64)),
    Column("ft_config_json", Text),
    Column("settings_version", Integer, nullable=False, server_default="1"),
    # When the executor last read this strategy's signals (the seed's name).
    Column("last_sync_time", UtcDateTime),
    *_created_updated(),
    UniqueConstraint("user_id", "ft_wallet_id"),
    _non_negative("starting_capital"),
    CheckConstraint(
        "CAST(slippage_tolerance_pct AS NUMERIC) BETWEEN 0 AND 100", name="slippage_tolerance_pct_in_0_100"
    ),
    CheckConstraint(_in("order_type", ORDER_TYPES), name="order_type_known"),
    _non_negative("min_order_size_usd"),
    CheckConstraint(
        "CAST(max_order_size_usd AS NUMERIC) >= CAST(min_order_size_usd AS NUMERIC)", name="max_order_at_least_min"
    ),
    _non_negative("max_position_size_usd"),
    _non_negative("max_total_exposure_usd"),
    CheckConstraint("order_ttl_seconds > 0", name="order_ttl_positive"),
)

lt_strategy_versions = Table(
    "lt_strategy_versions",
    metadata,
    Column("version_id", Integer, primary_key=True, autoincrement=True),
    Column("strategy_id", ID, ForeignKey("lt_strategies.strategy_id"), nullable=False),
    Column("settings_version", Integer, nullable=False),
    Column("settings_json", Text, nullable=False),
    Column("changes_json", Text, nullable=False),
    Column("source", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("strategy_id", "settings_version"),
    CheckConstraint(_in("source", ("create", "edit", "ft_sync")), name="source_known"),
)

lt_orders = Table(
    "lt_orders",
    metadata,
    Column("lt_order_id", String(36), primary_key=True),
    Column("strategy_id", ID, ForeignKey("lt_strategies.strategy_id"), nullable=False),
    Column("ft_order_id", String(36), ForeignKey("ft_orders.order_id"), nullable=False),
    Column("source_trade_id", String(64), nullable=False),
    Column("user_id", ID, nullable=False),
    # The seed's signal details, copied when the signal is claimed so an order reads on its own.
    Column("trader_address", ADDRESS),
    Column("condition_id", CONDITION, nullable=False),
    Column("market_slug", String(300)),
    Column("market_title", Text),
    Column("token_id", TOKEN, nullable=False),
    Column("token_label", String(200)),
    Column("side", String(4), nullable=False),
    Column("signal_price", ExactDecimal, nullable=False),
    Column("signal_size_usd", ExactDecimal, nullable=False),
    Column("signal_at", UtcDateTime, nullable=False),
    Column("ft_entry_price", ExactDecimal),
    Column("ft_size", ExactDecimal),
    Column("intended_size_usd", ExactDecimal),
    Column("intended_shares", ExactDecimal),
    # A taker BUY's fee at its limit price, reserved with its amount against capital and the wallet.
    Column("intended_fee_usd", ExactDecimal, nullable=False, server_default="0"),
    Column("limit_price", ExactDecimal),
    Column("order_type", String(4)),
    # The venue order id is the signed order's hash, known before submitting (docs/order-lifecycle.md).
    Column("order_id", ORDER_HASH, unique=True),
    # The id the venue answered with (equal to order_id, our hash, once the venue has the order).
    Column("polymarket_order_id", ORDER_HASH),
    Column("signed_order_json", Text),
    Column("status", String(16), nullable=False),
    Column("decision_reason", Text),
    Column("rejection_reason", Text),
    Column("executed_shares", ExactDecimal, nullable=False, server_default="0"),
    Column("executed_price", ExactDecimal),
    # The seed's executed_size is the filled size in dollars (sum of shares x price over the fills that
    # count); executed_shares is the same fill in shares.
    Column("executed_size", ExactDecimal, nullable=False, server_default="0"),
    Column("fees_usd", ExactDecimal, nullable=False, server_default="0"),
    Column("slippage_pct", ExactDecimal),
    # fill_rate: shares filled / shares ordered (NULL until placed; 0 for a placed order with no fill).
    # signal_fill_rate: the seed's executed_size / signal_size_usd, live dollars against the paper size.
    Column("fill_rate", ExactDecimal),
    Column("signal_fill_rate", ExactDecimal),
    Column("detected_at", UtcDateTime),
    Column("decided_at", UtcDateTime),
    Column("submitted_at", UtcDateTime),
    Column("acked_at", UtcDateTime),
    Column("first_fill_at", UtcDateTime),
    Column("fully_filled_at", UtcDateTime),
    Column("cancelled_at", UtcDateTime),
    Column("execution_latency_ms", Integer),
    Column("fill_latency_ms", Integer),
    Column("outcome", String(8), nullable=False, server_default="OPEN"),
    Column("winning_label", String(200)),
    Column("pnl", ExactDecimal),
    Column("ft_pnl", ExactDecimal),
    Column("performance_diff_pct", ExactDecimal),
    Column("resolved_at", UtcDateTime),  # when the market resolved
    Column("settled_at", UtcDateTime),  # when this order was last settled on its fills
    *_created_updated(),
    # Invariant 1: at most one live order per (strategy, source trade).
    UniqueConstraint("strategy_id", "source_trade_id"),
    _price("signal_price"),
    _non_negative("signal_size_usd"),
    _non_negative("executed_shares"),
    _non_negative("executed_size"),
    CheckConstraint("limit_price IS NULL OR CAST(limit_price AS NUMERIC) BETWEEN 0 AND 1", name="limit_price_in_0_1"),
    CheckConstraint("executed_price IS NULL OR CAST(executed_price AS NUMERIC) BETWEEN 0 AND 1", name="executed_price_in_0_1"),
    CheckConstraint(_in("side", SIDES), name="side_known"),
    CheckConstraint(_in("status", LT_ORDER_STATUSES), name="status_known"),
    CheckConstraint(_in("outcome", LT_OUTCOMES), name="outcome_known"),
    Index("ix_lt_orders_strategy_status", "strategy_id", "status"),
    Index("ix_lt_orders_status", "status"),
    # The analytics refresh of today (every 10 minutes) reads the signals of one day, not every LT order.
    Index("ix_lt_orders_signal_at", "signal_at"),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", ORDER_HASH, primary_key=True),
    Column("lt_strategy_id", ID, ForeignKey("lt_strategies.strategy_id"), nullable=False),
    Column("lt_order_id", String(36), ForeignKey("lt_orders.lt_order_id"), nullable=False, unique=True),
    Column("signal_price", ExactDecimal, nullable=False),
    Column("signal_size_usd", ExactDecimal, nullable=False),
    Column("user_id", ID, nullable=False),
    Column("condition_id", CONDITION, nullable=False),
    Column("token_id", TOKEN, nullable=False),
    Column("side", String(4), nullable=False),
    Column("order_type", String(4), nullable=False),
    Column("price", ExactDecimal, nullable=False),
    Column("original_size", ExactDecimal, nullable=False),
    Column("size_matched", ExactDecimal, nullable=False, server_default="0"),
    Column("status", String(48), nullable=False),
    Column("last_seen_at", UtcDateTime),
    *_created_updated(),
    _price("price"),
    _price("signal_price"),
    _non_negative("signal_size_usd"),
    _non_negative("original_size"),
    _non_negative("size_matched"),
    CheckConstraint(_in("side", SIDES), name="side_known"),
)

fills = Table(
    "fills",
    metadata,
    Column("fill_id", String(160), primary_key=True),
    Column("trade_id", String(80), nullable=False),
    Column("order_id", ORDER_HASH, ForeignKey("orders.order_id"), nullable=False),
    Column("lt_order_id", String(36), ForeignKey("lt_orders.lt_order_id"), nullable=False),
    Column("token_id", TOKEN, nullable=False),
    Column("side", String(4), nullable=False),
    Column("price", ExactDecimal, nullable=False),
    Column("size", ExactDecimal, nullable=False),
    Column("fee_rate_bps", Integer, nullable=False, server_default="0"),
    Column("fee_usd", ExactDecimal, nullable=False, server_default="0"),
    Column("trader_side", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("transaction_hash", String(80)),
    Column("matched_at", UtcDateTime, nullable=False),
    Column("status_changed_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("trade_id", "order_id"),
    _price("price"),
    _non_negative("size"),
    _non_negative("fee_usd"),
    CheckConstraint(_in("side", SIDES), name="side_known"),
    CheckConstraint(_in("status", FILL_STATUSES), name="status_known"),
    CheckConstraint(_in("trader_side", ("TAKER", "MAKER")), name="trader_side_known"),
    Index("ix_fills_lt_order", "lt_order_id"),
)

def _same_as_lt_order_id(context) -> str:
    """The seed's `id` of an execution-quality row: its LT order's id, so a row written again keeps it."""
    return context.get_current_parameters()["lt_order_id"]


# One row per LT order: the seed's execution-quality record (docs/tca.md §8). Two families of columns:
#  * the first ones (best_bid ... fill_latency_ms): this project's figures, per share and in cents where
#    a cost, kept as they were;
#  * the seed's own names (expected_price ... execution_quality_score) with the meaning docs/tca.md §8
#    gives each, some equal to a column of the first family (said beside them), plus markouts.
# Every `_pct` column is a FRACTION, like `slippage_pct` and quality/measures.py (0.05 is 5 %); every
# `_cents` column is cents per share, side-signed so that positive is bad for us (markouts: positive is
# good: the price moved our way). Derived ratios are at the ledger's ratio precision (money.quantize_ratio).
lt_execution_quality = Table(
    "lt_execution_quality",
    metadata,
    # The seed's key, equal to lt_order_id (stable: derived from strategy and source trade).
    Column("id", String(36), primary_key=True, default=_same_as_lt_order_id),
    Column("lt_order_id", String(36), ForeignKey("lt_orders.lt_order_id"), nullable=False, unique=True),
    Column("strategy_id", ID, nullable=False),
    Column("signal_price", ExactDecimal, nullable=False),
    Column("best_bid", ExactDecimal),
    Column("best_ask", ExactDecimal),
    Column("mid_price", ExactDecimal),
    Column("spread", ExactDecimal),  # best ask - best bid, price units
    Column("volume_24h", ExactDecimal),  # = market_volume_24h
    Column("estimated_fill_price", ExactDecimal),  # the book walk's VWAP for the order's size
    Column("estimated_slippage_pct", ExactDecimal),
    Column("executed_price", ExactDecimal),  # VWAP of the counting fills
    Column("slippage_pct", ExactDecimal),  # = slippage_vs_signal_pct (not side-adjusted)
    Column("slippage_cents", ExactDecimal),  # s x (executed - signal) x 100
    Column("fill_rate", ExactDecimal),  # filled / intended shares, a fraction
    Column("execution_latency_ms", Integer),  # = latency_order_ms
    Column("ack_latency_ms", Integer),
    Column("fill_latency_ms", Integer),  # = latency_fill_ms
    # --- the seed's columns ---
    # What we expected to pay: the book walk's estimate for the order's size, else the signal price.
    Column("expected_price", ExactDecimal),
    # The book read when the signal was decided (the executor's tick), not at the leader's fill.
    Column("best_bid_at_signal", ExactDecimal),  # = best_bid
    Column("best_ask_at_signal", ExactDecimal),  # = best_ask
    Column("mid_price_at_signal", ExactDecimal),  # = mid_price, M_0
    Column("slippage_vs_mid_pct", ExactDecimal),  # (executed - mid) / mid, fraction, not side-adjusted
    Column("slippage_vs_signal_pct", ExactDecimal),  # (executed - signal) / signal, fraction, not side-adjusted
    Column("slippage_vs_mid_cents", ExactDecimal),  # s x (executed - mid) x 100, the effective half-spread
    Column("order_size_usd", ExactDecimal),  # order shares x limit price, USD
    Column("filled_size_usd", ExactDecimal),  # sum of shares x price over the counting fills, USD
    Column("partial_fill_count", Integer, nullable=False, server_default="0"),  # counting fills of the order
    Column("signal_timestamp", UtcDateTime),  # the signal's time (the FT order's), = lt_orders.signal_at
    Column("order_placed_timestamp", UtcDateTime),  # when the order was posted, = lt_orders.submitted_at
    Column("first_fill_timestamp", UtcDateTime),  # match time of the first counting fill
    Column("latency_order_ms", Integer),  # order_placed - signal, whole ms, >= 0
    Column("latency_fill_ms", Integer),  # first_fill - order_placed, whole ms, >= 0
    Column("market_volume_24h", ExactDecimal),  # the venue's 24 h volume (Gamma volume24hr) at decision, USD
    Column("market_spread_pct", ExactDecimal),  # (best ask - best bid) / mid, fraction
    Column("volatility_pct", ExactDecimal),  # std dev of the last day's hourly price changes, fraction of $1
    Column("execution_quality_score", ExactDecimal),  # 0-100, 2 dp (docs/tca.md §5 on this one order)
    Column("score_components_json", Text),  # the score's inputs, components, weights and caps
    # Markouts (docs/tca.md §8), cents per share at 1, 5 and 30 minutes: ours from our fills, the
    # leader's from the tracked trader's source trade; NULL until the horizon has passed.
    Column("markout_1m_cents", ExactDecimal),
    Column("markout_5m_cents", ExactDecimal),
    Column("markout_30m_cents", ExactDecimal),
    Column("leader_markout_1m_cents", ExactDecimal),
    Column("leader_markout_5m_cents", ExactDecimal),
    Column("leader_markout_30m_cents", ExactDecimal),
    *_created_updated(),
    _price("signal_price"),
    CheckConstraint("partial_fill_count >= 0", name="partial_fill_count_non_negative"),
    Index("ix_lt_execution_quality_strategy_created", "strategy_id", "created_at"),
)

signal_decisions = Table(
    "signal_decisions",
    metadata,
    Column("decision_id", Integer, primary_key=True, autoincrement=True),
    Column("strategy_id", ID, nullable=False),
    Column("ft_order_id", String(36), nullable=False),
    Column("lt_order_id", String(36)),
    Column("source_trade_id", String(64), nullable=False),
    # The order journal: decision is the event (the model's one vocabulary), with the states around it.
    Column("decision", String(24), nullable=False),
    Column("from_state", String(16)),
    Column("to_state", String(16)),
    Column("reason", Text, nullable=False),
    Column("detail_json", Text),
    Column("decided_at", UtcDateTime, nullable=False),
    CheckConstraint(_in("decision", ORDER_EVENTS), name="decision_known"),
    Index("ix_signal_decisions_strategy_time", "strategy_id", "decided_at"),
    Index("ix_signal_decisions_lt_order", "lt_order_id"),
)

venue_discrepancies = Table(
    "venue_discrepancies",
    metadata,
    # A venue order or fill of ours that the ledger did not hold, found by the venue sync. Repaired ones
    # were recorded under their LT order; unrepaired ones (no LT order placed them) block the ledger
    # check until the venue no longer shows them.
    Column("discrepancy_id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", ID, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("order_id", ORDER_HASH, nullable=False),
    Column("trade_id", String(80), nullable=False, server_default=""),
    Column("repaired", Boolean, nullable=False),
    Column("detail", Text, nullable=False),
    Column("found_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("cleared_at", UtcDateTime),
    UniqueConstraint("kind", "order_id", "trade_id"),
    CheckConstraint(_in("kind", ("order", "fill")), name="kind_known"),
)

pipeline_cursors = Table(
    "pipeline_cursors",
    metadata,
    Column("name", String(96), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

system_controls = Table(
    "system_controls",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("reason", Text),
    Column("updated_at", UtcDateTime, nullable=False),
)
