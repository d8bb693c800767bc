"""The figures of a group of signals (a strategy's day, or that day cut by tracked trader, market
category or price bucket), as DuckDB SQL over signal_facts, and the output tables' columns.

Counts are BIGINT; money is DECIMAL(38, 18), summed exactly; rates, ratios and latency percentiles are
DOUBLE. A rate is in [0, 1] (or NULL when its denominator is 0); a ratio need not be (a market BUY
filled below its signal price fills more shares than intended; ROI can be anything). Latency
percentiles are nearest-rank (quantile_disc), as quality.measures.percentile. `*_cents` columns are
the displayed table of quality.attribution.Attribution.terms_in_cents: every figure but the residual
rounded half-even to the cent, the residual what makes the displayed terms add up to the displayed
difference.

Counts that need a word: `unclaimed` signals have no LT order (the strategy was inactive, or the
executor has not reached them); `denied` are skips by a risk rule (facts.RISK_DENIALS), `stale` the
stale_signal skips; `unknown` are LT orders whose venue answer is still unseen (status UNKNOWN now) and
`never_arrived` those the venue never had; `in_flight` also counts intents stored or submitted;
`settled` signals are settled on both sides (only they carry PnL and attribution). PnL, ROI and win
rates are of settled signals; `open_positions` and `open_usd` are filled live orders still open.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal

from lt_pipeline.analytics.facts import TERMS
from lt_pipeline.money import quantize_ratio

# (name, aggregate over signal_facts)
COUNTS = (
    ("signals", "count(*)"),
    ("claimed", "count_if(claimed)"),
    ("unclaimed", "count_if(NOT claimed)"),
    ("placed", "count_if(placed)"),
    ("skipped", "count_if(skipped)"),
    ("denied", "count_if(denied)"),
    ("stale", "count_if(stale)"),
    ("filled", "count_if(filled)"),
    ("full_fills", "count_if(full_fill)"),
    ("rejected", "count_if(rejected)"),
    ("unknown", "count_if(unknown)"),
    ("never_arrived", "count_if(never_arrived)"),
    ("in_flight", "count_if(in_flight)"),
    ("open_positions", "count_if(open_position)"),
    ("settled", "count_if(settled)"),
    ("awaiting_settlement", "count_if(awaiting_settlement)"),
    ("invalid", "count_if(invalid)"),
    ("live_positions_settled", "count_if(live_position_settled)"),
    ("live_wins", "count_if(live_win)"),
    ("paper_wins", "count_if(paper_win)"),
)
MONEY = ("paper_pnl", "live_pnl", "live_invested", "paper_invested", "fees_paid", "open_usd")
SHARE_SUMS = ("placed_intended_shares", "placed_filled_shares")
LATENCIES = ("submit_latency_ms", "fill_latency_ms")
PERCENTILES = (50, 95, 99)

# (name, numerator, denominator) over the aggregated columns; all in [0, 1].
RATES = (
    ("skip_rate", "skipped", "signals"),
    ("local_denial_rate", "denied", "signals"),
    ("stale_rate", "stale", "signals"),
    ("rejection_rate", "rejected", "placed"),
    ("unknown_rate", "unknown + never_arrived", "placed"),
    ("order_fill_rate", "filled", "placed"),
    ("full_fill_ratio", "full_fills", "placed"),
    ("live_win_rate", "live_wins", "live_positions_settled"),
    ("paper_win_rate", "paper_wins", "settled"),
)
RATIOS = (
    ("quantity_fill_rate", "placed_filled_shares", "placed_intended_shares"),
    ("live_roi", "live_pnl", "live_invested"),
    ("paper_roi", "paper_pnl", "paper_invested"),
)
LATENCY_COLUMNS = tuple(f"{span.removesuffix('_ms')}_p{p}_ms" for span in LATENCIES for p in PERCENTILES)
RATE_COLUMNS = tuple(name for name, _, _ in RATES)
CENTS = ("paper_pnl_cents", "live_pnl_cents", "difference_cents", *(f"{t}_cents" for t in TERMS))

COMPARISON = ("signals", "settled", "awaiting_settlement", "invalid", "paper_pnl", "live_pnl", "paper_minus_live",
              *TERMS, *CENTS)
# The paper book's fill error (facts.py), as a distribution: strategy-level tables and reports only.
FILL_ERROR = "paper_fill_error_cents"
FILL_ERROR_PERCENTILES = (5, 25, 50, 75, 95)
FILL_ERROR_COLUMNS = (*(f"paper_fill_error_p{p}_cents" for p in FILL_ERROR_PERCENTILES), "paper_fill_error_mean_cents")
QUALITY = (*(n for n, _ in COUNTS), *MONEY, *RATE_COLUMNS, *(n for n, _, _ in RATIOS), *LATENCY_COLUMNS)
CUT = (*QUALITY, "paper_minus_live", *TERMS, *CENTS)  # a cut table: every figure

DIMENSIONS = {"trader": "trader_address", "category": "category", "price_bucket": "price_decile"}
# Output expressions of grouping keys that are not shown as they are: the decile index becomes the
# label "0.0-0.1" ... "0.9-1.0" (quality.score.price_bucket), formatted per group, not per signal.
KEY_OUTPUT = {
    "price_decile": "'0.' || price_decile || '-' || CASE WHEN price_decile = 9 THEN '1.0' "
                    "ELSE '0.' || (price_decile + 1) END AS price_bucket",
}


def _types() -> dict[str, str]:
    types = {name: "BIGINT" for name, _ in COUNTS}
    types.update({name: "DECIMAL(38, 18)" for name in (*MONEY, "paper_minus_live", *TERMS)})
    types.update({name: "DECIMAL(38, 2)" for name in CENTS})
    types.update({name: "DOUBLE" for name in (*RATE_COLUMNS, *(n for n, _, _ in RATIOS), *LATENCY_COLUMNS,
                                               *FILL_ERROR_COLUMNS)})
    types.update(day="DATE", strategy_id="VARCHAR", trader_address="VARCHAR", category="VARCHAR",
                 price_bucket="VARCHAR", reason="VARCHAR", computed_at="TIMESTAMP")
    return types


TYPES = _types()


def _ratio(numerator: str, denominator: str) -> str:
    return f"CAST({numerator} AS DOUBLE) / NULLIF(CAST({denominator} AS DOUBLE), 0)"


SUMMED = (*MONEY, *SHARE_SUMS, *TERMS)
QUANTILES = tuple(f"{span}_q" for span in LATENCIES)


def _totals(keys: tuple[str, ...], source: str) -> list[str]:
    """The counts and sums of a group: they add up, so a coarser grouping can roll them up."""
    return [f"{expr} AS {name}" for name, expr in COUNTS] + [f"sum({name}) AS {name}" for name in SUMMED]


def _quantiles(fill_error: bool = True) -> list[str]:
    out = [f"quantile_disc({span}, {[p / 100 for p in PERCENTILES]}) AS {span}_q" for span in LATENCIES]
    if fill_error:
        out += [f"quantile_disc({FILL_ERROR}, {[p / 100 for p in FILL_ERROR_PERCENTILES]}) AS {FILL_ERROR}_q",
                f"avg({FILL_ERROR}) AS {FILL_ERROR}_mean"]
    return out


def _outer(keys: tuple[str, ...], inner: str, fill_error: bool = True) -> str:
    """Every output figure from `inner`, a query with the keys, the totals and the quantile lists."""
    key_out = ", ".join(KEY_OUTPUT.get(key, key) for key in keys)
    outer = [f"{name}" for name, _ in COUNTS] + list(SUMMED)
    outer.append("paper_pnl - live_pnl AS paper_minus_live")
    outer += [f"{_ratio(n, d)} AS {name}" for name, n, d in (*RATES, *RATIOS)]
    outer += [
        f"CAST({span}_q[{i + 1}] AS DOUBLE) AS {span.removesuffix('_ms')}_p{p}_ms"
        for span in LATENCIES for i, p in enumerate(PERCENTILES)
    ]
    if fill_error:
        outer += [f"CAST({FILL_ERROR}_q[{i + 1}] AS DOUBLE) AS paper_fill_error_p{p}_cents"
                  for i, p in enumerate(FILL_ERROR_PERCENTILES)]
        outer.append(f"CAST({FILL_ERROR}_mean AS DOUBLE) AS paper_fill_error_mean_cents")
    shown = [t for t in TERMS if t != "residual"]
    outer += ["cents(paper_pnl) AS paper_pnl_cents", "cents(live_pnl) AS live_pnl_cents",
              "cents(paper_pnl) - cents(live_pnl) AS difference_cents"]
    outer += [f"cents({t}) AS {t}_cents" for t in shown]
    outer.append(
        "cents(paper_pnl) - cents(live_pnl) - (" + " + ".join(f"cents({t})" for t in shown) + ") AS residual_cents"
    )
    return f"SELECT {key_out}, {', '.join(outer)} FROM ({inner})"


def group_sql(keys: tuple[str, ...], source: str = "signal_facts") -> str:
    """Every figure of the signal facts in `source` (a table, or a parenthesised query) grouped by `keys`
    (QUALITY and COMPARISON columns after the keys), in one pass."""
    key_list = ", ".join(keys)
    inner = f"SELECT {key_list}, {', '.join(_totals(keys, source) + _quantiles())} FROM {source} GROUP BY {key_list}"
    return _outer(keys, inner)


def _rolled_up_sql(keys: tuple[str, ...], partial: str, quantiles: str, fill_error: bool) -> str:
    """Every figure grouped by `keys` from the finer totals in `partial` (summed again) and the quantile
    lists in `quantiles` (computed at `keys` themselves: a percentile does not roll up)."""
    key_list = ", ".join(keys)
    totals = [f"CAST(sum({name}) AS BIGINT) AS {name}" for name, _ in COUNTS] + [f"sum({name}) AS {name}" for name in SUMMED]
    on = " AND ".join(f"t.{key} IS NOT DISTINCT FROM q.{key}" for key in keys)
    wanted = (*QUANTILES, f"{FILL_ERROR}_q", f"{FILL_ERROR}_mean") if fill_error else QUANTILES
    inner = (f"SELECT t.*, {', '.join(f'q.{name}' for name in wanted)} FROM "
             f"(SELECT {key_list}, {', '.join(totals)} FROM {partial} GROUP BY {key_list}) t "
             f"LEFT JOIN {quantiles} q ON {on}")
    return _outer(keys, inner, fill_error)


def exact_rates(group: Mapping[str, object]) -> dict[str, Decimal | None]:
    """RATES and RATIOS of one group as exact fractions (the tables keep them as DOUBLE, for plotting),
    from its counts and sums (a group_sql row): numerator over denominator as they are defined above."""

    def total(expression: str) -> Decimal:
        return sum((Decimal(group.get(name.strip()) or 0) for name in expression.split("+")), Decimal(0))

    rates: dict[str, Decimal | None] = {}
    for name, numerator, denominator in (*RATES, *RATIOS):
        below = total(denominator)
        rates[name] = quantize_ratio(total(numerator) / below) if below else None
    return rates


SKIP_REASONS_SQL = """
SELECT day, strategy_id, skip_reason AS reason, count(*) AS signals, count_if(settled) AS settled,
       sum(coverage) AS coverage, cents(sum(coverage)) AS coverage_cents
FROM {source} WHERE skip_reason IS NOT NULL GROUP BY day, strategy_id, skip_reason
"""

KEYS = ("day", "strategy_id")

# Output table -> (its columns after day, the temp result it is cut from).
TABLES: dict[str, tuple[tuple[str, ...], str]] = {
    "strategy_quality_daily": (("strategy_id", *QUALITY, *FILL_ERROR_COLUMNS), "fig_strategy"),
    "ft_vs_lt_daily": (("strategy_id", *COMPARISON), "fig_strategy"),
    "ft_vs_lt_by_trader_daily": (("strategy_id", "trader_address", *CUT), "fig_trader"),
    "ft_vs_lt_by_category_daily": (("strategy_id", "category", *CUT), "fig_category"),
    "ft_vs_lt_by_price_bucket_daily": (("strategy_id", "price_bucket", *CUT), "fig_price_bucket"),
    "skip_reasons_daily": (("strategy_id", "reason", "signals", "settled", "coverage", "coverage_cents"), "fig_skip_reasons"),
}
TYPES.update(coverage_cents="DECIMAL(38, 2)")
CUT_TABLES = {"trader": "ft_vs_lt_by_trader_daily", "category": "ft_vs_lt_by_category_daily",
              "price_bucket": "ft_vs_lt_by_price_bucket_daily"}


@contextmanager
def _timed(seconds: dict[str, float] | None, name: str) -> Iterator[None]:
    began = time.perf_counter()
    yield
    if seconds is not None:
        seconds[name] = time.perf_counter() - began


def build_figures(duck, source: str = "signal_facts", seconds: dict[str, float] | None = None) -> dict[str, int]:
    """The grouped results fig_* from the signal facts in `source`; returns their row counts, and puts
    each statement's wall time in `seconds` when given (the partial passes and each result table).

    Two passes over the signals add up the counts and sums, at (day, strategy, trader) and at (day,
    strategy, category, price decile); every table's totals are rolled up from one of them. Latency
    percentiles are computed at each table's own grouping (they do not add up): the trader table's in
    the first pass, whose grouping it is."""
    days = KEYS
    trader = (*days, DIMENSIONS["trader"])
    partials = {
        "part_trader": (trader, _totals(trader, source) + _quantiles(fill_error=False)),
        "part_market": ((*days, DIMENSIONS["category"], DIMENSIONS["price_bucket"]), None),
    }
    for name, (keys, columns) in partials.items():
        key_list = ", ".join(keys)
        columns = columns or _totals(keys, source)
        with _timed(seconds, name):
            duck.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS "
                         f"SELECT {key_list}, {', '.join(columns)} FROM {source} GROUP BY {key_list}")
    results = {"fig_skip_reasons": SKIP_REASONS_SQL.format(source=source),
               "fig_trader": _outer(trader, "SELECT * FROM part_trader", fill_error=False)}
    cuts = {"fig_strategy": (days, "part_trader")}
    cuts.update({f"fig_{dimension}": ((*days, DIMENSIONS[dimension]), "part_market")
                 for dimension in ("category", "price_bucket")})
    for name, (keys, partial) in cuts.items():
        key_list = ", ".join(keys)
        fill_error = name == "fig_strategy"  # the fill error's distribution is a strategy-level figure
        quantiles = f"(SELECT {key_list}, {', '.join(_quantiles(fill_error))} FROM {source} GROUP BY {key_list})"
        results[name] = _rolled_up_sql(keys, partial, quantiles, fill_error)
    counts = {}
    for name, sql in results.items():
        with _timed(seconds, name):
            duck.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        counts[name] = duck.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    for name in partials:
        duck.execute(f"DROP TABLE {name}")
    return counts
