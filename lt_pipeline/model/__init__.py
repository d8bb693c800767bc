"""The model layer: the types every layer shares (sides, order types, order states and events with the
one transition table, fill statuses, skip reasons, the signal, the order plan, the venue's order and
trade reports). It sits below the engine (`execution/`), the adapters (`venues/`) and the measures
(`quality/`), and imports none of them.
"""
