"""Local Polymarket: CLOB V2 wire server, Data API, Gamma, market simulator and matching engine."""
