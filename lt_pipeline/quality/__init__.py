"""Execution quality (TCA): slippage, fill and latency KPIs, implementation shortfall, the
paper-versus-live PnL attribution and the execution-quality score. Pure functions over Decimals.
"""
