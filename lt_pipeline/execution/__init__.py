"""The live engine: deciding signals, placing orders, the order journal, the venue sync, controls and
settlement. Its shared words (sides, states, events, reports) live in `lt_pipeline.model`."""
