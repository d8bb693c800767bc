"""Addresses in the Dagster UI the dashboard links to: the runs of a job, an asset's lineage, the
schedules and sensors. Paths as the Dagster 1.13 UI routes them (the code location `lt_pipeline`)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

LOCATION = "lt_pipeline"  # workspace.yaml's location_name


@dataclass(frozen=True)
class DagsterLinks:
    base: str  # e.g. http://127.0.0.1:3000

    def _url(self, path: str, query: dict[str, str] | None = None) -> str:
        return self.base.rstrip("/") + path + (f"?{urlencode(query)}" if query else "")

    @property
    def home(self) -> str:
        return self._url("/")

    @property
    def runs(self) -> str:
        return self._url("/runs")

    def job_runs(self, job: str) -> str:
        return self._url(f"/locations/{LOCATION}/jobs/{quote(job)}/runs")

    def asset(self, key: str) -> str:
        return self._url(f"/assets/{quote(key)}")

    def asset_lineage(self, key: str) -> str:
        return self._url(f"/assets/{quote(key)}", {"view": "lineage"})

    @property
    def lineage(self) -> str:
        return self._url("/asset-groups")

    @property
    def automation(self) -> str:
        return self._url("/automation")
