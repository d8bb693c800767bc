"""Pictures a user would rather look at than read, as PNG bytes: cumulative PnL live against paper, the
attribution of the difference as a waterfall, the slippage distribution and the latency CDF. Plain
inputs in (sequences of numbers), no ledger and no Dagster here."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from datetime import datetime

import matplotlib

matplotlib.use("Agg")  # no screen: render to memory
import matplotlib.pyplot as plt  # noqa: E402


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    return buffer.getvalue()


def cumulative_pnl(title: str, times: Sequence[datetime], live: Sequence[float], paper: Sequence[float]) -> bytes:
    """Running totals of settled PnL, live and paper, over settlement time."""
    figure, axes = plt.subplots(figsize=(6, 3))
    running_live, running_paper, total_live, total_paper = [], [], 0.0, 0.0
    for live_pnl, paper_pnl in zip(live, paper):
        total_live += live_pnl
        total_paper += paper_pnl
        running_live.append(total_live)
        running_paper.append(total_paper)
    axes.step(times, running_paper, where="post", label="paper (FT)", color="#888888")
    axes.step(times, running_live, where="post", label="live (LT)", color="#1f77b4")
    axes.axhline(0, color="#cccccc", linewidth=0.8)
    axes.set_title(title)
    axes.set_ylabel("cumulative PnL ($)")
    axes.legend(loc="best")
    figure.autofmt_xdate()
    return _png(figure)


def attribution_waterfall(title: str, terms: Mapping[str, float], difference: float) -> bytes:
    """Each attribution term as a step from 0 to the live-minus-paper difference."""
    figure, axes = plt.subplots(figsize=(6, 3))
    level = 0.0
    for index, (name, value) in enumerate(terms.items()):
        axes.bar(index, value, bottom=level if value >= 0 else level + value, color="#2ca02c" if value >= 0 else "#d62728")
        level += value
    axes.bar(len(terms), difference, color="#1f77b4")
    axes.set_xticks(range(len(terms) + 1), [*terms, "live − paper"], rotation=30, ha="right")
    axes.axhline(0, color="#cccccc", linewidth=0.8)
    axes.set_title(title)
    axes.set_ylabel("$")
    return _png(figure)


def slippage_histogram(title: str, cents: Sequence[float]) -> bytes:
    figure, axes = plt.subplots(figsize=(6, 3))
    axes.hist(cents, bins=min(30, max(5, len(cents) // 3 or 5)), color="#9467bd")
    axes.set_title(title)
    axes.set_xlabel("slippage versus signal (cents per share; positive costs us)")
    axes.set_ylabel("orders")
    return _png(figure)


def latency_cdf(title: str, milliseconds: Sequence[float]) -> bytes:
    figure, axes = plt.subplots(figsize=(6, 3))
    ordered = sorted(milliseconds)
    shares = [(i + 1) / len(ordered) for i in range(len(ordered))]
    axes.step([m / 1000 for m in ordered], shares, where="post", color="#ff7f0e")
    axes.set_title(title)
    axes.set_xlabel("signal to submit (s)")
    axes.set_ylabel("share of orders")
    axes.set_ylim(0, 1)
    return _png(figure)


def as_markdown(pictures: Mapping[str, bytes]) -> str:
    """PNGs inline in markdown, which the Dagster UI shows on the asset's page."""
    return "\n\n".join(f"**{name}**\n\n![{name}](data:image/png;base64,{base64.b64encode(png).decode()})"
                       for name, png in pictures.items())
