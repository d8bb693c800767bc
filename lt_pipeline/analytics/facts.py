"""One row per signal since launch: what live did with it and the live-versus-paper attribution of its
PnL (docs/tca.md section 6), in DuckDB SQL over the staged ledger (ledger_read.stage).

A signal is an FT order of the wallet a launched LT strategy follows, made at or after `launched_at`;
its day is the UTC day of the LT order's `signal_at` (the FT order's `order_time` when live never claimed
it). It counts towards PnL and the attribution once it is settled on both sides: the FT order resolved
and the LT order, if any, settled (a live order still waiting for its fills is `awaiting_settlement`).

Attribution per settled signal, with the ledgers' own PnL (lt_orders.pnl, ft_orders.pnl):

    not sent (skipped, or no LT order):  coverage    = s * Q_paper * (P_T - P_d)
    sent:   sizing = s * (Q_paper - Q_live) * (P_T - P_d)     delay  = s * q * (M_0 - P_d)
            impact = s * q * (P_x - M_0)                     opportunity = s * (Q_live - q) * (P_T - P_d)
            fees   = F                                       (no fill: delay = impact = 0)
    residual = (paper_ledger - paper_model) - (live_ledger - live_model)
             with paper_model = s * Q_paper * (P_T - P_d), live_model = s * q * (P_T - P_x) - F (-F unfilled)

`paper_fill_error_cents` is how far the paper book's fill (the signal price) was from live's, per share
of a filled signal: 100 * s * (P_x - P_d), positive when paper assumed a better price than live got.

The attribution is `quality.attribution.attribute_signal` term by term (the tests compare them on the same rows),
and the seven terms sum to paper_ledger - live_ledger exactly. The residual is the ledger's own rounding
(paper puts in `size`, not shares x price; live pays sum(q_k p_k), not q x the rounded VWAP).

Exact arithmetic: money is DECIMAL(38, 18); shares DECIMAL(18, 8) times prices DECIMAL(18, 10)
multiply into DECIMAL(38, 18) exactly (ledger_read stages them so). A signal with a value its staged
type cannot hold exactly, or with an incomplete record (no payout, no intended shares, a fill without
a price), is `invalid`: its model terms are 0 and its whole difference is residual, as the Decimal
attribution does with a record it cannot read.
"""

from __future__ import annotations

# Local denials by a risk rule (caps, capital, minimum sizes, the slippage estimate); other skips are
# the placement rule's (paused, halted, before launch), stale signals, closed markets and liquidity.
RISK_DENIALS = (
    "below_min_order_size", "position_cap", "exposure_cap", "insufficient_capital", "insufficient_balance",
    "slippage_over_tolerance", "insufficient_depth", "price_out_of_range", "below_venue_min_size",
    "below_venue_min_notional",
)
NO_LIVE_ORDER = "no_live_order"  # the coverage reason of a signal live never claimed
IN_FLIGHT = ("INTENT_STORED", "SUBMITTED", "UNKNOWN")

MACROS = """
CREATE OR REPLACE TEMP MACRO signed(sell, x) AS CASE WHEN sell THEN -(x) ELSE x END;
CREATE OR REPLACE TEMP MACRO money(x) AS CAST(x AS DECIMAL(38, 18));
CREATE OR REPLACE TEMP MACRO cents(x) AS CAST((
    floor(x * 100) + CASE WHEN x * 100 - floor(x * 100) > 0.5 THEN 1
                          WHEN x * 100 - floor(x * 100) < 0.5 THEN 0
                          WHEN floor(x * 100) % 2 = 0 THEN 0 ELSE 1 END) / 100 AS DECIMAL(38, 2));
"""


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


_LT_EXACT = " AND ".join(
    f"COALESCE(l.{c}_exact, TRUE)"
    for c in ("intended_shares", "executed_shares", "executed_price", "executed_size", "fees_usd", "pnl")
) + " AND COALESCE(q.mid_price_exact, TRUE)"

FACTS_TEMPLATE = f"""
CREATE OR REPLACE TEMP TABLE signal_facts AS
WITH base AS (
    SELECT
        s.strategy_id,{{signal_id}}
        CAST(COALESCE(l.signal_at, f.order_time) AS DATE) AS day,
        f.trader_address,
        COALESCE(m.category, 'uncategorised') AS category,
        f.side = 'SELL' AS sell,
        f.shares AS paper_shares, f.entry_price AS signal_price, f.size AS paper_size,
        f.outcome <> 'OPEN' AND (l.strategy_id IS NULL OR l.outcome <> 'OPEN') AS settled,
        f.outcome <> 'OPEN' AND COALESCE(l.outcome = 'OPEN', FALSE) AS awaiting_settlement,
        f.pnl AS paper_ledger, l.pnl AS live_ledger, t.payout AS terminal_price,
        l.strategy_id IS NOT NULL AS claimed,
        COALESCE(l.status = 'SKIPPED', FALSE) AS skipped,
        COALESCE(l.status <> 'SKIPPED', FALSE) AS placed,
        l.status, l.outcome AS live_outcome,
        trim(split_part(l.decision_reason, ':', 1)) AS reason,
        l.intended_shares AS live_shares, COALESCE(l.executed_shares, 0) AS q, l.executed_price,
        COALESCE(l.executed_size, 0) AS executed_size, COALESCE(l.fees_usd, 0) AS fees_usd,
        COALESCE(q.mid_price, f.entry_price) AS arrival_mid,
        l.execution_latency_ms, l.fill_latency_ms,
        f.entry_price_exact AND f.size_exact AND f.shares_exact AND f.pnl_exact
            AND COALESCE(t.payout_exact, TRUE) AND {_LT_EXACT} AS exact
    FROM st_strategies s
    JOIN st_ft f ON f.wallet_id = s.ft_wallet_id AND f.order_time >= s.launched_at
    LEFT JOIN st_lt l ON l.ft_order_id = f.order_id AND l.strategy_id = s.strategy_id
    LEFT JOIN st_quality q ON q.lt_order_id = l.lt_order_id
    LEFT JOIN st_tokens t ON t.token_id = f.token_id
    LEFT JOIN st_markets m ON m.condition_id = t.condition_id
    WHERE s.launched_at IS NOT NULL
),
judged AS (
    SELECT *,
        placed AND q > 0 AS filled,
        settled AND exact AND terminal_price IS NOT NULL AND paper_ledger IS NOT NULL
            AND (NOT claimed OR live_ledger IS NOT NULL)
            AND (NOT placed OR (live_shares IS NOT NULL AND (q = 0 OR executed_price IS NOT NULL))) AS valid,
        terminal_price - signal_price AS move
    FROM base
)
SELECT
    day, strategy_id,{{signal_id_out}} trader_address, category,
    least(CAST(floor(signal_price * 10) AS TINYINT), 9) AS price_decile,
    claimed, placed, skipped, filled,
    CASE WHEN NOT claimed THEN '{NO_LIVE_ORDER}' WHEN skipped THEN reason END AS skip_reason,
    skipped AND reason IN {_in(RISK_DENIALS)} AS denied,
    skipped AND reason = 'stale_signal' AS stale,
    filled AND q >= live_shares AS full_fill,
    COALESCE(status = 'REJECTED', FALSE) AS rejected,
    COALESCE(status = 'UNKNOWN', FALSE) AS unknown,
    COALESCE(status = 'NEVER_ARRIVED', FALSE) AS never_arrived,
    COALESCE(status IN {_in(IN_FLIGHT)}, FALSE) AS in_flight,
    filled AND live_outcome = 'OPEN' AS open_position,
    money(CASE WHEN filled AND live_outcome = 'OPEN' THEN executed_size ELSE 0 END) AS open_usd,
    CASE WHEN placed THEN live_shares END AS placed_intended_shares,
    CASE WHEN placed THEN q END AS placed_filled_shares,
    CASE WHEN placed THEN execution_latency_ms END AS submit_latency_ms,
    CASE WHEN filled THEN fill_latency_ms END AS fill_latency_ms,
    CASE WHEN filled THEN signed(sell, executed_price - signal_price) * 100 END AS paper_fill_error_cents,
    settled, awaiting_settlement, settled AND NOT valid AS invalid,
    settled AND filled AS live_position_settled,
    settled AND filled AND live_ledger > 0 AS live_win,
    settled AND paper_ledger > 0 AS paper_win,
    money(CASE WHEN settled AND filled THEN executed_size ELSE 0 END) AS live_invested,
    money(CASE WHEN settled THEN paper_size ELSE 0 END) AS paper_invested,
    money(CASE WHEN placed THEN fees_usd ELSE 0 END) AS fees_paid,
    money(CASE WHEN settled THEN COALESCE(paper_ledger, 0) ELSE 0 END) AS paper_pnl,
    money(CASE WHEN settled AND claimed THEN COALESCE(live_ledger, 0) ELSE 0 END) AS live_pnl,
    money(CASE WHEN valid AND NOT placed THEN signed(sell, paper_shares * move) ELSE 0 END) AS coverage,
    money(CASE WHEN valid AND placed THEN signed(sell, (paper_shares - live_shares) * move) ELSE 0 END) AS sizing,
    money(CASE WHEN valid AND filled THEN signed(sell, q * (arrival_mid - signal_price)) ELSE 0 END) AS delay,
    money(CASE WHEN valid AND filled THEN signed(sell, q * (executed_price - arrival_mid)) ELSE 0 END) AS impact,
    money(CASE WHEN valid AND placed THEN signed(sell, (live_shares - q) * move) ELSE 0 END) AS opportunity,
    money(CASE WHEN valid AND placed THEN fees_usd ELSE 0 END) AS fees,
    money(CASE
        WHEN NOT settled THEN 0
        WHEN NOT valid THEN COALESCE(paper_ledger, 0) - COALESCE(live_ledger, 0)
        ELSE (paper_ledger - signed(sell, paper_shares * move))
             - (COALESCE(live_ledger, 0)
                - CASE WHEN NOT placed THEN 0
                       WHEN filled THEN signed(sell, q * (terminal_price - executed_price)) - fees_usd
                       ELSE -fees_usd END)
    END) AS residual
FROM judged
"""

TERMS = ("coverage", "sizing", "delay", "impact", "opportunity", "fees", "residual")


FACTS_SQL = FACTS_TEMPLATE.replace("{signal_id}", "").replace("{signal_id_out}", "")
# With each signal's FT order id kept (for comparing signal by signal); 40 bytes a row more.
FACTS_SQL_WITH_IDS = FACTS_TEMPLATE.replace("{signal_id}", " f.order_id AS signal_id,").replace(
    "{signal_id_out}", " signal_id,")


def build_facts(duck, *, with_ids: bool = False) -> int:
    """signal_facts from the staged views; returns its row count."""
    duck.execute(MACROS)
    duck.execute(FACTS_SQL_WITH_IDS if with_ids else FACTS_SQL)
    return duck.execute("SELECT count(*) FROM signal_facts").fetchone()[0]
