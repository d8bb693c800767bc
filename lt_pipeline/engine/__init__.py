"""The live lane (`lt engine`): a long-running process that sees tracked traders' trades as they
happen, decides them with the FT code, and places the live twins' orders in-process through the same
executor, journal and ledger as the Dagster job. Plain Python; only `dagster_events` imports Dagster.
"""
