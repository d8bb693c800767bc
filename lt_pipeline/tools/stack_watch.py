"""What `lt run` tells a person while the stack runs: the Dagster UI's GraphQL API (is the code
loaded, launch the first runs, which runs finished, are schedules and sensors on) and the ledger's
milestones (first paper order, first live order, first fill, first settled position), as short lines
instead of every run's log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from lt_pipeline.ledger.schema import fills, ft_orders, lt_orders

LOCATION = "lt_pipeline"  # workspace.yaml's location_name
REPOSITORY = "__repository__"  # the name Dagster gives the repository of a @definitions module
EXECUTION_JOB = "execution_job"
RESOLUTION_JOB = "resolution_job"
IN_FLIGHT = ["QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING"]
FINISHED_BAD = {"FAILURE", "CANCELED"}


class DagsterUIError(RuntimeError):
    """The webserver did not answer a GraphQL request as expected; the message says what it said."""


class DagsterUI:
    """The few GraphQL calls `lt run` and its test need from the Dagster webserver."""

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._timeout = timeout_s

    def query(self, text: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = httpx.post(f"{self.url}/graphql", json={"query": text, "variables": variables or {}},
                                  timeout=self._timeout)
        except httpx.HTTPError as error:
            raise DagsterUIError(f"{self.url}/graphql: {type(error).__name__}: {error}") from None
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        if response.status_code != 200 or body.get("errors"):
            raise DagsterUIError(f"{self.url}/graphql: HTTP {response.status_code} {body.get('errors') or response.text[:200]}")
        return body["data"]

    def location_status(self) -> tuple[str, str | None]:
        """(load status, error message) of the code location: ('LOADED', None) once usable."""
        data = self.query(
            "{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus "
            "locationOrLoadError { __typename ... on PythonError { message } } } } } }"
        )
        for entry in data["workspaceOrError"].get("locationEntries", []):
            if entry["name"] == LOCATION:
                error = entry.get("locationOrLoadError") or {}
                return entry["loadStatus"], error.get("message") if error.get("__typename") == "PythonError" else None
        return "MISSING", None

    def launch(self, job: str, tags: dict[str, str]) -> str:
        data = self.query(
            """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
                 __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
                 ... on InvalidSubsetError { message } ... on PipelineNotFoundError { message }
                 ... on RunConfigValidationInvalid { errors { message } } } }""",
            {"params": {
                "selector": {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "jobName": job},
                "runConfigData": {},
                "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
            }},
        )["launchRun"]
        if data["__typename"] != "LaunchRunSuccess":
            raise DagsterUIError(f"launching {job}: {data['__typename']} {data.get('message') or data.get('errors')}")
        return data["run"]["runId"]

    def runs(self, limit: int = 50, statuses: list[str] | None = None, job: str | None = None) -> list[dict[str, Any]]:
        """Newest first: runId, jobName, status, startTime, endTime (unix seconds)."""
        run_filter: dict[str, Any] = {}
        if statuses:
            run_filter["statuses"] = statuses
        if job:
            run_filter["pipelineName"] = job
        data = self.query(
            """query($filter: RunsFilter, $limit: Int) { runsOrError(filter: $filter, limit: $limit) {
                 __typename ... on Runs { results { runId jobName status startTime endTime } } } }""",
            {"filter": run_filter, "limit": limit},
        )["runsOrError"]
        return data.get("results", [])

    def in_flight(self, job: str) -> bool:
        return bool(self.runs(limit=1, statuses=IN_FLIGHT, job=job))

    def automation(self) -> dict[str, str]:
        """Every schedule's and sensor's status (RUNNING or STOPPED) by name."""
        selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}
        data = self.query(
            """query($selector: RepositorySelector!) {
                 schedulesOrError(repositorySelector: $selector) { ... on Schedules { results { name scheduleState { status } } } }
                 sensorsOrError(repositorySelector: $selector) { ... on Sensors { results { name sensorState { status } } } } }""",
            {"selector": selector},
        )
        found = {s["name"]: s["scheduleState"]["status"] for s in data["schedulesOrError"].get("results", [])}
        found.update({s["name"]: s["sensorState"]["status"] for s in data["sensorsOrError"].get("results", [])})
        return found


# --- the ledger's milestones -------------------------------------------------------------------------

MILESTONES = {
    "paper_orders": ("paper (FT) order", select(func.count()).select_from(ft_orders)),
    "live_orders": ("live order placed", select(func.count()).select_from(lt_orders).where(lt_orders.c.submitted_at.is_not(None))),
    "fills": ("fill", select(func.count()).select_from(fills)),
    "paper_settled": ("paper position settled", select(func.count()).select_from(ft_orders).where(ft_orders.c.resolved_at.is_not(None))),
    "live_settled": ("live position settled", select(func.count()).select_from(lt_orders).where(lt_orders.c.resolved_at.is_not(None))),
}


def ledger_counts(engine: Engine) -> dict[str, int] | None:
    """The milestone counts, or None while the ledger is busy (SQLite under a writing run)."""
    try:
        with engine.connect() as connection:
            return {name: int(connection.execute(query).scalar() or 0) for name, (_, query) in MILESTONES.items()}
    except SQLAlchemyError:
        return None


@dataclass
class Progress:
    """Turns polls of the ledger and the runs into the lines a person wants to read: each milestone the
    first time it happens in this session, each job's first success, every failed run, and now and
    then a one-line summary."""

    ui_url: str
    baseline: dict[str, int] | None = None
    reached: set[str] = field(default_factory=set)
    succeeded_jobs: set[str] = field(default_factory=set)
    reported_runs: set[str] = field(default_factory=set)
    runs_ok: int = 0
    runs_failed: int = 0
    last_counts: dict[str, int] = field(default_factory=dict)

    def ledger_lines(self, counts: dict[str, int] | None) -> list[str]:
        if counts is None:
            return []
        if self.baseline is None:
            self.baseline = dict(counts)
        self.last_counts = counts
        lines = []
        for name, (label, _) in MILESTONES.items():
            if name not in self.reached and counts[name] > self.baseline[name]:
                self.reached.add(name)
                lines.append(f"first {label} of this session ({counts[name]} in the ledger)")
        return lines

    def run_lines(self, runs: list[dict[str, Any]], started_at: float) -> list[str]:
        lines = []
        for run in reversed(runs):  # oldest first
            if run["runId"] in self.reported_runs or run["status"] not in FINISHED_BAD | {"SUCCESS"}:
                continue
            if (run.get("startTime") or run.get("endTime") or 0) < started_at:
                self.reported_runs.add(run["runId"])  # a previous session's run
                continue
            self.reported_runs.add(run["runId"])
            seconds = (run.get("endTime") or 0) - (run.get("startTime") or 0)
            link = f"{self.ui_url}/runs/{run['runId']}"
            if run["status"] == "SUCCESS":
                self.runs_ok += 1
                if run["jobName"] not in self.succeeded_jobs:
                    self.succeeded_jobs.add(run["jobName"])
                    lines.append(f"first {run['jobName']} run succeeded in {seconds:.0f} s: {link}")
            else:
                self.runs_failed += 1
                lines.append(f"WARNING: {run['jobName']} run {run['status']}: {link}")
        return lines

    def summary(self) -> str:
        c = self.last_counts
        if not c:
            return f"runs this session: {self.runs_ok} succeeded, {self.runs_failed} failed"
        return (f"ledger: {c['paper_orders']} paper orders, {c['live_orders']} live orders placed, {c['fills']} fills, "
                f"{c['paper_settled']} paper and {c['live_settled']} live positions settled; "
                f"runs this session: {self.runs_ok} succeeded, {self.runs_failed} failed")


def stamp(line: str) -> str:
    return f"{datetime.now():%H:%M:%S}  {line}"
