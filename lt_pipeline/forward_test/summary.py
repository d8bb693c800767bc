"""Per-wallet FT summary: orders, open, won/lost/void and realised PnL, exact to the cent."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Engine, select

from lt_pipeline.ledger.schema import ft_orders
from lt_pipeline.money import cents


@dataclass
class WalletSummary:
    wallet_id: str
    orders: int = 0
    open: int = 0
    won: int = 0
    lost: int = 0
    void: int = 0
    invested: Decimal = Decimal(0)
    pnl: Decimal = Decimal(0)


def ft_summary(engine: Engine) -> list[WalletSummary]:
    summaries: dict[str, WalletSummary] = {}
    with engine.connect() as connection:
        for row in connection.execute(select(ft_orders.c.wallet_id, ft_orders.c.outcome, ft_orders.c.size, ft_orders.c.pnl)):
            summary = summaries.setdefault(row.wallet_id, WalletSummary(row.wallet_id))
            summary.orders += 1
            summary.invested += row.size
            outcome = row.outcome.lower()
            setattr(summary, outcome, getattr(summary, outcome) + 1)
            if row.pnl is not None:
                summary.pnl += row.pnl
    return sorted(summaries.values(), key=lambda s: s.wallet_id)


def format_summary(summaries: list[WalletSummary]) -> str:
    header = f"{'FT wallet':<26}{'trades':>7}{'open':>6}{'won':>5}{'lost':>6}{'void':>6}{'invested $':>12}{'PnL $':>10}"
    lines = [header, "-" * len(header)]
    for s in summaries:
        lines.append(
            f"{s.wallet_id:<26}{s.orders:>7}{s.open:>6}{s.won:>5}{s.lost:>6}{s.void:>6}{cents(s.invested):>12}{cents(s.pnl):>10}"
        )
    return "\n".join(lines)
