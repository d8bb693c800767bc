"""The trader killed at a crash point, and the child process that runs the executor with it (no tests
here); kept apart from `test_faults_support` so that the child imports only what it runs (no Dagster,
no pytest, no emulator server): it starts in about half the time.

Run as a module, it is that child: `python -m lt_pipeline_tests.live.killed_child
{before-submit|after-submit} LEDGER_URL EMULATOR_URL NOW KEY_SEED`.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime
from typing import Any

from lt_pipeline.clock import SimulatedClock
from lt_pipeline.execution.executor import BookSource, run_executor
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.venues.polymarket.clob import ClobReader
from lt_pipeline.venues.polymarket.trading import ClobTrader, SignedIntent, SubmitResult
from lt_pipeline_tests.emulator.keys import CHAIN_ID, test_private_key


class KilledAtSubmit:
    """A trader whose process is SIGKILLed in submit: before anything is sent, or after the venue
    answered and before the answer is returned to be recorded."""

    def __init__(self, trader: ClobTrader, *, after_sending: bool) -> None:
        self._trader = trader
        self._after_sending = after_sending

    def __getattr__(self, name: str) -> Any:
        return getattr(self._trader, name)

    def submit(self, intents: list[SignedIntent]) -> list[SubmitResult]:
        if self._after_sending:
            self._trader.submit(intents)
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable: the process was killed")


def _child(argv: list[str]) -> int:
    crash_point, ledger_url, emulator_url, now, key_seed = argv
    engine = make_engine(ledger_url)
    clock = SimulatedClock(datetime.fromisoformat(now))
    trader = ClobTrader(emulator_url, CHAIN_ID, test_private_key(int(key_seed)), use_server_time=True)
    killed = KilledAtSubmit(trader, after_sending=crash_point == "after-submit")
    report = run_executor(engine, clock, BookSource(ClobReader(emulator_url).book), lambda user: killed)
    print(f"not killed: nothing was submitted ({report})", file=sys.stderr)
    return 3


if __name__ == "__main__":
    raise SystemExit(_child(sys.argv[1:]))
