"""The paper side: FT wallets, their orders on tracked traders' trades, and their outcomes."""
