"""Strategy logic shared by forward tests (FT, paper) and their live twins (LT): wallet config
(config.py, ft_wallets.yaml), trader quality, filters, sizing, and the one-pass decision
(evaluate.py: `evaluate`, `explain`, `accepted_order`). Benchmark: tools/bench_strategy.py (`lt bench strategy`).
"""
