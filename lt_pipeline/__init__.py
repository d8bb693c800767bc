"""lt_pipeline: forward-test copy-trading strategies and their live twins on Polymarket."""
