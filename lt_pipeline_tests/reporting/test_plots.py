"""The pictures render as PNGs with what they show, and embed in markdown the Dagster UI displays."""

from datetime import datetime, timedelta, timezone

from lt_pipeline.reporting.plots import as_markdown, attribution_waterfall, cumulative_pnl, latency_cdf, slippage_histogram

T0 = datetime(2026, 6, 1, tzinfo=timezone.utc)


def test_every_picture_is_a_png_and_embeds_in_markdown():
    times = [T0 + timedelta(hours=h) for h in range(5)]
    pictures = {
        "cumulative PnL": cumulative_pnl("LT_A", times, [1, -2, 3, 0.5, -1], [2, -1, 2, 1, -0.5]),
        "attribution": attribution_waterfall("LT_A", {"coverage": -1.0, "delay": -0.4, "fees": -0.1, "residual": 0.0}, -1.5),
        "slippage": slippage_histogram("LT_A", [0.5, 1.0, -0.2, 2.5, 0.0, 1.2]),
        "latency": latency_cdf("LT_A", [800, 1200, 950, 4000, 2100]),
    }
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2000 for png in pictures.values())
    markdown = as_markdown(pictures)
    assert markdown.count("data:image/png;base64,") == 4 and "**attribution**" in markdown
