"""The ledger: every signal, order, fill and outcome, in exact decimals and UTC, on SQLite or PostgreSQL."""
