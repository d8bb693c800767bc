"""Paper-versus-live PnL attribution (docs/tca.md, D6): why the live twin made more or less than its
paper strategy since launch, term by term, adding up exactly.

PnL_paper - PnL_live = Coverage + Sizing + Delay + Impact + Opportunity + Fees + Residual.

Coverage is the paper PnL of signals live never sent; Sizing is s * (Q_paper - Q_live) * (P_T - P_d)
on sent signals; Delay, Impact, Opportunity and Fees are the implementation shortfall of the live
order (measures.implementation_shortfall). With PnL measured from the same records the model terms
are the whole difference and the exact Residual is zero; given the ledgers' own PnL totals, the
Residual is what the records do not explain (exit timing, resolution timing, paper fill model).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import Decimal

from lt_pipeline.model.trading import Side
from lt_pipeline.money import ZERO, cents, to_decimal
from lt_pipeline.quality.measures import exact, implementation_shortfall, paper_pnl



@dataclass(frozen=True)
class NotSent:
    """Live never sent this signal; `reason` is the skip reason from the decision log."""

    reason: str


@dataclass(frozen=True)
class LiveExecution:
    """What the live order did: Q_live intended shares, q filled at P_x, mid at arrival M_0, fees F."""

    intended_shares: Decimal
    filled_shares: Decimal
    executed_price: Decimal | None  # None when nothing filled
    arrival_mid: Decimal | None  # None when the book had no mid at submit
    fees: Decimal = ZERO


@dataclass(frozen=True)
class SignalPair:
    """One paper signal since launch (t_d >= t_launch) and what live did with it, matched by signal id."""

    signal_id: str
    side: Side
    paper_shares: Decimal  # Q_paper
    signal_price: Decimal  # P_d, the paper entry
    terminal_price: Decimal  # P_T: 1 / 0 / 0.5 at resolution, or the mark at evaluation time
    live: LiveExecution | NotSent


@dataclass(frozen=True)
class AttributionTerms:
    """The seven terms, USD; `total` is their sum."""

    coverage: Decimal = ZERO
    sizing: Decimal = ZERO
    delay: Decimal = ZERO
    impact: Decimal = ZERO
    opportunity: Decimal = ZERO
    fees: Decimal = ZERO
    residual: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        with exact():
            return sum((getattr(self, f.name) for f in fields(self)), ZERO)

    def plus(self, other: AttributionTerms) -> AttributionTerms:
        with exact():
            return AttributionTerms(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})


@dataclass(frozen=True)
class Attribution:
    """The attribution of paper PnL - live PnL. `terms` are exact; `terms_in_cents` is the display."""

    paper_pnl: Decimal
    live_pnl: Decimal
    terms: AttributionTerms
    by_signal: dict[str, AttributionTerms]
    coverage_by_reason: dict[str, Decimal]
    invalid: list[tuple[str, str]]  # (signal id, what was wrong with its record), left out of the terms

    @property
    def difference(self) -> Decimal:
        with exact():
            return self.paper_pnl - self.live_pnl

    def terms_in_cents(self) -> AttributionTerms:
        """The terms rounded to the cent so that the displayed table adds up.

        Paper and live PnL are each shown rounded to the cent (money.cents, half-even), and so is each
        term but the residual; the residual is then the displayed difference minus the other six
        displayed terms. It therefore also absorbs the rounding, at most half a cent per rounded
        figure (4 cents in all), and the seven displayed terms sum to cents(paper) - cents(live)
        exactly.
        """
        shown = {f.name: cents(getattr(self.terms, f.name)) for f in fields(AttributionTerms) if f.name != "residual"}
        displayed_difference = cents(self.paper_pnl) - cents(self.live_pnl)
        return AttributionTerms(**shown, residual=displayed_difference - sum(shown.values(), ZERO))


def attribute_signal(pair: SignalPair) -> tuple[AttributionTerms, Decimal, Decimal]:
    """The model terms of one signal, with its paper and live PnL; ValueError names a bad field."""
    paper = paper_pnl(pair.side, pair.paper_shares, pair.signal_price, pair.terminal_price)
    if isinstance(pair.live, NotSent):
        return AttributionTerms(coverage=paper), paper, ZERO
    live = pair.live
    if not isinstance(live, LiveExecution):
        raise ValueError(f"live: expected a LiveExecution or NotSent, got {live!r}")
    shortfall = implementation_shortfall(
        side=pair.side,
        intended_shares=live.intended_shares,
        filled_shares=live.filled_shares,
        signal_price=pair.signal_price,
        executed_price=live.executed_price,
        arrival_mid=live.arrival_mid,
        terminal_price=pair.terminal_price,
        fees=live.fees,
    )
    with exact():
        sizing = paper - shortfall.paper_pnl  # s * (Q_paper - Q_live) * (P_T - P_d)
    terms = AttributionTerms(
        sizing=sizing,
        delay=shortfall.delay,
        impact=shortfall.impact,
        opportunity=shortfall.opportunity,
        fees=shortfall.fees,
    )
    return terms, paper, shortfall.live_pnl


def attribute(
    pairs: Iterable[SignalPair],
    *,
    paper_pnl_total: Decimal | None = None,
    live_pnl_total: Decimal | None = None,
) -> Attribution:
    """Attribute paper PnL - live PnL over `pairs` (restricted by the caller to signals since launch).

    Give both totals (from the ledgers) or neither: with them, the difference is theirs and the exact
    residual is what the per-signal model does not explain; without them, PnL is computed from the
    pairs and the exact residual is zero. A pair whose record is invalid is reported in `invalid`
    and left out, so one bad record never hides the rest; with ledger totals its PnL lands in the
    residual.
    """
    if (paper_pnl_total is None) != (live_pnl_total is None):
        raise ValueError("attribute: give both paper_pnl_total and live_pnl_total, or neither")
    terms = AttributionTerms()
    by_signal: dict[str, AttributionTerms] = {}
    coverage_by_reason: dict[str, Decimal] = {}
    invalid: list[tuple[str, str]] = []
    seen: set[str] = set()
    paper_sum = live_sum = ZERO
    for pair in pairs:
        if pair.signal_id in seen:
            invalid.append((pair.signal_id, "signal_id: expected each signal once, got it again"))
            continue
        seen.add(pair.signal_id)
        try:
            signal_terms, paper, live = attribute_signal(pair)
        except ValueError as exc:
            invalid.append((pair.signal_id, str(exc)))
            continue
        by_signal[pair.signal_id] = signal_terms
        terms = terms.plus(signal_terms)
        with exact():
            paper_sum += paper
            live_sum += live
            if isinstance(pair.live, NotSent):
                coverage_by_reason[pair.live.reason] = coverage_by_reason.get(pair.live.reason, ZERO) + paper

    if paper_pnl_total is None:
        paper_total, live_total = paper_sum, live_sum
    else:
        paper_total = to_decimal(paper_pnl_total, "paper_pnl_total")
        live_total = to_decimal(live_pnl_total, "live_pnl_total")
    with exact():
        residual = (paper_total - live_total) - terms.total
    return Attribution(
        paper_pnl=paper_total,
        live_pnl=live_total,
        terms=terms.plus(AttributionTerms(residual=residual)),
        by_signal=by_signal,
        coverage_by_reason=coverage_by_reason,
        invalid=invalid,
    )
