"""One run of execution_job in this process, as the daemon's run worker would start it (no tests here):
`python -m lt_pipeline_tests.scale_out.launch_run ASSET[,ASSET...] KEY=VALUE...`; or, with no
arguments, the job is loaded first and the run waits for one line on stdin, `{"assets": [...], "tags":
{...}}` (so that a test can start its run processes while it prepares, and release them at once). The
instance comes from DAGSTER_HOME and the steps go wherever the job's executor sends them (LT_EXECUTOR).
Prints the run id and exits 0 when the run succeeded."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableRepository

REPO = Path(__file__).resolve().parents[2]
# The celery executor's loop looks at its steps' results once a second; a tenth of that here, so that a
# run of a dozen steps in a chain does not wait out a second after each (what runs where is unchanged).
STEP_POLL_SECONDS = 0.1


def main(argv: list[str]) -> int:
    job = ReconstructableRepository.for_module("lt_pipeline.definitions", "defs", working_directory=str(REPO)) \
        .get_reconstructable_job("execution_job")
    try:
        import dagster_celery.core_execution_loop as celery_loop
    except ImportError:  # not installed: an in-process run has no such loop
        pass
    else:
        celery_loop.TICK_SECONDS = STEP_POLL_SECONDS
    with dg.DagsterInstance.get() as instance:
        if argv:
            assets, *pairs = argv
            asset_names, tags = assets.split(","), dict(pair.split("=", 1) for pair in pairs)
        else:
            job.get_definition()  # loaded (and the instance opened) while the caller prepares
            asked = json.loads(sys.stdin.readline())
            asset_names, tags = asked["assets"], asked["tags"]
        with dg.execute_job(job, instance, tags=tags, asset_selection=[dg.AssetKey(a) for a in asset_names]) as result:
            print(result.run_id, flush=True)
            return 0 if result.success else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
