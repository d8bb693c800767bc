"""One run of execution_job in this process, as the daemon's run worker would start it (no tests here):
`python -m lt_pipeline_tests.scale_out.launch_run ASSET[,ASSET...] KEY=VALUE...`. The instance comes
from DAGSTER_HOME and the steps go wherever the job's executor sends them (LT_EXECUTOR). Prints the
run id and exits 0 when the run succeeded."""

from __future__ import annotations

import sys
from pathlib import Path

import dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableRepository

REPO = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    assets, *pairs = argv
    tags = dict(pair.split("=", 1) for pair in pairs)
    job = ReconstructableRepository.for_module("lt_pipeline.definitions", "defs", working_directory=str(REPO)) \
        .get_reconstructable_job("execution_job")
    with dg.DagsterInstance.get() as instance:
        with dg.execute_job(job, instance, tags=tags, asset_selection=[dg.AssetKey(a) for a in assets.split(",")]) as result:
            print(result.run_id, flush=True)
            return 0 if result.success else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
