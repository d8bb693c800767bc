"""Checks on what the analytics wrote for a range of days, by SQL over the analytics tables (each table
as an `analytics_store` schema or the current one): the attribution adds up, the cuts add up to the
strategy totals, and every rate is in [0, 1]. Each check returns the rows that break it, so a failure
names what is wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from lt_pipeline.analytics.facts import TERMS
from lt_pipeline.analytics.figures import CUT_TABLES, DIMENSIONS, RATE_COLUMNS

COMPARISON_TABLES = ("ft_vs_lt_daily", *CUT_TABLES.values())
RATED_TABLES = ("strategy_quality_daily", *CUT_TABLES.values())
SAMPLE = 5


# The checks each table gets, by name (defs/analytics declares them as asset checks).
ATTRIBUTION = "attribution_sums_to_difference"
CUT_TOTALS = "cut_adds_up_to_strategy_totals"
RATES = "rates_within_unit_interval"
COVERAGE = "coverage_adds_up_to_strategy_coverage"


@dataclass(frozen=True)
class CheckOutcome:
    table: str
    name: str
    check: str
    rows_checked: int
    broken: int
    sample: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.broken == 0

    def describe(self) -> str:
        if self.passed:
            return f"{self.table}: {self.check} holds on {self.rows_checked} row(s)"
        return f"{self.table}: {self.check} broken on {self.broken} of {self.rows_checked} row(s): " + "; ".join(self.sample)


def _run(duck, table: str, name: str, check: str, sql_broken: str, start: date, end: date) -> CheckOutcome:
    rows = duck.execute(f"SELECT count(*) FROM {table} WHERE day BETWEEN ? AND ?", [start, end]).fetchone()[0]
    broken = duck.execute(f"SELECT row_label FROM ({sql_broken}) LIMIT 1000", [start, end]).fetchall()
    return CheckOutcome(table, name, check, rows, len(broken), [str(row[0]) for row in broken[:SAMPLE]])


def attribution_adds_up(duck, table: str, start: date, end: date) -> CheckOutcome:
    """Exactly: the seven terms sum to paper - live. Displayed: paper and live and six terms rounded
    half-even to the cent, the displayed residual making the displayed terms sum to the displayed
    difference, which is within a cent of the exact one."""
    exact = " + ".join(TERMS)
    shown = " + ".join(f"{t}_cents" for t in TERMS)
    rounded = " OR ".join(f"{t}_cents <> cents({t})" for t in TERMS if t != "residual")
    broken = f"""
        SELECT day || ' ' || strategy_id AS row_label FROM {table} WHERE day BETWEEN $1 AND $2 AND (
            {exact} <> paper_minus_live OR paper_minus_live <> paper_pnl - live_pnl
            OR paper_pnl_cents <> cents(paper_pnl) OR live_pnl_cents <> cents(live_pnl)
            OR difference_cents <> paper_pnl_cents - live_pnl_cents OR {rounded}
            OR {shown} <> difference_cents OR abs(difference_cents - paper_minus_live) > 0.01
            OR {exact} IS NULL OR {shown} IS NULL)"""
    return _run(duck, table, ATTRIBUTION, "attribution sums to paper - live (exactly, and to the cent as displayed)",
                broken, start, end)


def cut_matches_strategy_totals(duck, table: str, start: date, end: date) -> CheckOutcome:
    """A cut's rows of one strategy-day add up to that strategy-day: signals, PnL and every term."""
    figures = ("signals", "settled", "paper_pnl", "live_pnl", *TERMS)
    sums = ", ".join(f"sum({f}) AS {f}" for f in figures)
    differs = " OR ".join(f"c.{f} IS DISTINCT FROM t.{f}" for f in figures)
    broken = f"""
        SELECT coalesce(c.day, t.day) || ' ' || coalesce(c.strategy_id, t.strategy_id) AS row_label
        FROM (SELECT day, strategy_id, {sums} FROM {table} WHERE day BETWEEN $1 AND $2 GROUP BY ALL) c
        FULL OUTER JOIN (SELECT * FROM ft_vs_lt_daily WHERE day BETWEEN $1 AND $2) t
            ON c.day = t.day AND c.strategy_id = t.strategy_id
        WHERE {differs}"""
    return _run(duck, table, CUT_TOTALS, "cut adds up to the strategy totals", broken, start, end)


def coverage_matches_strategy_totals(duck, start: date, end: date) -> CheckOutcome:
    broken = """
        SELECT coalesce(r.day, t.day) || ' ' || coalesce(r.strategy_id, t.strategy_id) AS row_label
        FROM (SELECT day, strategy_id, sum(coverage) AS coverage FROM skip_reasons_daily
              WHERE day BETWEEN $1 AND $2 GROUP BY ALL) r
        FULL OUTER JOIN (SELECT * FROM ft_vs_lt_daily WHERE day BETWEEN $1 AND $2 AND coverage <> 0) t
            ON r.day = t.day AND r.strategy_id = t.strategy_id
        WHERE r.coverage IS DISTINCT FROM t.coverage AND coalesce(r.coverage, t.coverage) <> 0"""
    return _run(duck, "skip_reasons_daily", COVERAGE, "coverage by reason adds up to the strategy's coverage",
                broken, start, end)


def rates_in_unit_interval(duck, table: str, start: date, end: date) -> CheckOutcome:
    outside = " OR ".join(f"NOT coalesce({r} BETWEEN 0 AND 1, TRUE)" for r in RATE_COLUMNS)
    named = " || ".join(
        f"CASE WHEN NOT coalesce({r} BETWEEN 0 AND 1, TRUE) THEN ' {r}=' || {r} ELSE '' END" for r in RATE_COLUMNS
    )
    broken = f"SELECT day || ' ' || strategy_id || {named} AS row_label FROM {table} WHERE day BETWEEN $1 AND $2 AND ({outside})"
    return _run(duck, table, RATES, "every rate in [0, 1]", broken, start, end)


def verify(duck, start: date, end: date) -> dict[str, list[CheckOutcome]]:
    """Every check, by table, over days start..end of the tables visible to `duck` (USE the store)."""
    outcomes: dict[str, list[CheckOutcome]] = {}
    for table in COMPARISON_TABLES:
        outcomes.setdefault(table, []).append(attribution_adds_up(duck, table, start, end))
    for table in CUT_TABLES.values():
        outcomes[table].append(cut_matches_strategy_totals(duck, table, start, end))
    for table in RATED_TABLES:
        outcomes.setdefault(table, []).append(rates_in_unit_interval(duck, table, start, end))
    outcomes["skip_reasons_daily"] = [coverage_matches_strategy_totals(duck, start, end)]
    return outcomes


def checks_by_table() -> dict[str, list[str]]:
    """The check names `verify` reports for each table."""
    names: dict[str, list[str]] = {}
    for table in COMPARISON_TABLES:
        names.setdefault(table, []).append(ATTRIBUTION)
    for table in CUT_TABLES.values():
        names[table].append(CUT_TOTALS)
    for table in RATED_TABLES:
        names.setdefault(table, []).append(RATES)
    names["skip_reasons_daily"] = [COVERAGE]
    return names


assert set(DIMENSIONS) == set(CUT_TABLES)
