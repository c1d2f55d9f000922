"""Every registered metric gives the same rows on Apache Spark as on DuckDB, over real data.

The store holds networkx's whole history (git) and GitHub activity: PyGithub's recorded API
answers (issues, issue events, review comments, and the single issue events PyGithub read,
which include labels added and removed) and GH Archive events (lnav's copy of a 2024 hour and
devstats' payload shapes: pull requests, reviews, comments, issues). It is exported
to a Parquet lake (one large table partitioned by month) and read by Spark in local mode.
Every metric in ``REGISTRY`` (so a metric added later is covered without touching this file)
runs on both engines with each parameter set below: same periods, same order, numbers within
1e-6. The Spark answers are computed concurrently (Spark runs jobs side by side), so the
session's start-up and the many small jobs cost less CI time.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from catherd.config import Config, RepositorySpec
from catherd.engine.base import EngineSettings
from catherd.engine.embedded import DuckDBEngine
from catherd.engine.lake import export_lake
from catherd.metrics import REGISTRY, Params
from catherd.metrics.runner import TABLES, on_engine, run_metric
from catherd.pipeline import sync
from catherd.reports.community import write_report
from catherd.store.database import Store
from catherd.store.gharchive_loader import import_archives
from catherd.store.github_loader import upsert_raw
from catherd.store.github_tables import refresh_github_tables

from .conftest import same, shared_file
from .test_github_client import recording
from .test_github_sync import pygithub_server

PARAMS = (
    Params(by="month"),
    Params(since=date(2012, 1, 1), until=date(2025, 1, 1), by="quarter", include_bots=True),
    Params(since=date(2010, 1, 1), by="year", repository="networkx"),
    Params(since=date(2011, 1, 1), by="all", repository="PyGithub/PyGithub"),
)


def archive_dumps(folder: Path) -> tuple[list[Path], set[str]]:
    """lnav's hour and devstats' shapes as dump files, and every repository they name."""
    hour = folder / "2024-01-01-15.json.gz"
    lnav = shared_file("gharchive", "lnav", "gharchive_log.jsonl")
    hour.write_bytes(gzip.compress(lnav.read_bytes()))
    analysis = sorted(shared_file("gharchive", "devstats", "analysis").glob("*.json"))
    events = [json.loads(p.read_text()) for p in analysis]
    shapes = folder / "shapes.jsonl"
    shapes.write_text("".join(json.dumps(e) + "\n" for e in events))
    names = {json.loads(line)["repo"]["name"] for line in gzip.decompress(hour.read_bytes())
             .decode().splitlines()}  # fmt: skip
    names |= {e["repo"]["name"] for e in events if isinstance(e.get("repo"), dict)}
    return [hour, shapes], {n.lower() for n in names}


@pytest.fixture(scope="module")
def stores(
    tmp_path_factory: pytest.TempPathFactory,
    ingested: dict[str, Path],
    spark_local: EngineSettings,
) -> Iterator[tuple[Store, Any]]:
    from catherd.engine.spark import SparkEngine

    folder = tmp_path_factory.mktemp("parity")
    shutil.copy(ingested["networkx"], folder / "s.duckdb")
    store = Store(folder / "s.duckdb")
    with pygithub_server() as server:
        config = Config(root=folder, db=store.path, github_api_url=server.url, github_token=None)
        sync(store, config, [RepositorySpec("github:PyGithub/PyGithub")])
    events = [json.loads(e.body) for e in recording("IssueEvent.setUp")[1:]]
    with store.transaction():  # as the events listing gives them
        upsert_raw(store, "PyGithub/PyGithub", "event", events)
        refresh_github_tables(store.con)
    dumps, repositories = archive_dumps(folder)
    import_archives(store, dumps, repositories, set())
    export_lake(store, folder / "lake", partition_rows=20_000)  # commit_files: by month
    yield store, SparkEngine(replace(spark_local, lake=str(folder / "lake")))
    store.close()


@pytest.fixture(scope="module")
def answers(stores: tuple[Store, Any]) -> dict[tuple[str, Params], Any]:
    """Every (metric, parameters) on Spark, computed concurrently; failures kept as such."""
    _, spark = stores

    def on_spark(key: tuple[str, Params]) -> Any:
        try:
            return run_metric(spark, *key)
        except Exception as exc:  # reported by the metric's own test
            return exc

    keys = [(name, params) for name in REGISTRY for params in PARAMS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(keys, pool.map(on_spark, keys), strict=True))


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_metric_on_spark_equals_duckdb(
    name: str, stores: tuple[Store, Any], answers: dict[tuple[str, Params], Any]
) -> None:
    store, _ = stores
    compared_rows = 0
    for params in PARAMS:
        expected = run_metric(store, name, params)
        got = answers[(name, params)]
        if isinstance(got, Exception):
            raise AssertionError(f"{name} {params} failed on Spark: {got}") from got
        assert len(got) == len(expected), (name, params)
        for row_spark, row_duckdb in zip(got, expected, strict=True):
            assert list(row_spark) == list(row_duckdb), (name, params)
            differ = {k: (row_spark[k], v) for k, v in row_duckdb.items()
                      if not same(row_spark[k], v)}  # fmt: skip
            assert not differ, (name, params, differ)
        compared_rows += len(expected)
    assert compared_rows > 0, f"{name}: no rows to compare in the shared data"


def test_spark_reads_every_table_metrics_read_as_stored(stores: tuple[Store, Any]) -> None:
    store, spark = stores
    duckdb = DuckDBEngine(store)
    for table in TABLES:
        assert spark.schema(table) == duckdb.schema(table), table
        count = f"SELECT count(*) AS n FROM {table}"
        assert spark.arrow(count).to_pylist() == [{"n": store.scalar(count)}], table


def test_the_community_report_is_the_same_on_spark(
    stores: tuple[Store, Any], tmp_path: Path
) -> None:
    """The report computed with its metrics on Spark is, byte for byte, DuckDB's."""
    store, spark = stores
    params = Params(since=date(2024, 1, 1), until=date(2026, 1, 1), by="quarter")
    write_report(store, tmp_path / "duckdb", "networkx", params)
    with on_engine(spark):
        write_report(store, tmp_path / "spark", "networkx", params)
    for name in ("index.html", "report.md"):
        assert (tmp_path / "spark" / name).read_text() == (tmp_path / "duckdb" / name).read_text()


# Runs in a child process: one SparkContext per process, and this one is a cluster's.
_CLUSTER = """
import json, sys
from typer.testing import CliRunner
from catherd.cli.main import app
from catherd.engine import spark
answer = CliRunner().invoke(app, ["metrics", "bus_factor", "--by", "year", "--json",
                                  "--config", sys.argv[1]])
assert answer.exit_code == 0, answer.output
status = spark._SESSION.sparkContext._jsc.sc().getExecutorMemoryStatus()
print(json.dumps({"rows": json.loads(answer.stdout)["rows"], "executors": status.size() - 1}))
"""


def test_a_metric_on_a_local_cluster_of_two_executors(
    tmp_path: Path, ingested: dict[str, Path], spark_local: EngineSettings
) -> None:
    """Spark's local-cluster master runs two executor processes: the distributed path
    (shuffles between JVMs), configured through catherd.toml, through the CLI."""
    project = tmp_path / "catherd.toml"
    project.write_text(f'[project]\ndb = "{ingested["networkx"]}"\n\n[engine]\nkind = "spark"\n'
                       'master = "local-cluster[2,1,1024]"\nlake = "lake"\n')  # fmt: skip
    child = subprocess.run([sys.executable, "-c", _CLUSTER, str(project)],
                           capture_output=True, text=True, cwd=tmp_path, timeout=600)  # fmt: skip
    assert child.returncode == 0, child.stderr[-3000:]
    answer = json.loads(child.stdout.strip().splitlines()[-1])
    assert answer["executors"] == 2
    with Store(ingested["networkx"], read_only=True) as store:
        expected = run_metric(store, "bus_factor", Params(by="year"))
    assert answer["rows"] == json.loads(json.dumps(expected, default=str))
