"""``catherd export lake``: the store's tables as Parquet, exactly, and re-exports that write
only what changed. Real data: networkx's history, then PyGithub's recorded GitHub answers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from catherd.config import Config, RepositorySpec
from catherd.engine import lake as lake_module
from catherd.engine.lake import TABLES, export_lake, read_manifest
from catherd.pipeline import sync
from catherd.store.database import Store

from .test_github_sync import pygithub_server


@pytest.fixture
def store(tmp_path: Path, ingested: dict[str, Path]) -> Store:
    shutil.copy(ingested["networkx"], tmp_path / "s.duckdb")
    with Store(tmp_path / "s.duckdb") as opened:
        yield opened


def assert_lake_equals_store(store: Store, lake: Path) -> None:
    """Every exported table holds exactly the store's rows (as multisets), read back by
    DuckDB from the Parquet files alone."""
    for table in TABLES:
        files = str(lake / "store" / table.name / "**" / "*.parquet")
        columns = [r[0] for r in store.con.execute(f"DESCRIBE {table.name}").fetchall()]
        listed = ", ".join(f'"{c}"' for c in columns)
        parquet = f"SELECT {listed} FROM read_parquet('{files}', hive_partitioning = false)"
        for left, right in ((f"SELECT {listed} FROM {table.name}", parquet),
                            (parquet, f"SELECT {listed} FROM {table.name}")):  # fmt: skip
            extra = store.scalar(f"SELECT count(*) FROM ({left} EXCEPT ALL {right})")
            assert extra == 0, table.name


def test_export_holds_the_store_and_reexport_writes_what_changed(
    store: Store, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    first = export_lake(store, lake, partition_rows=20_000)
    assert_lake_equals_store(store, lake)
    manifest = read_manifest(lake)
    assert manifest is not None and manifest["data_version"] == store.data_version()
    files = manifest["tables"]["commit_files"]
    assert files["partitioned"] and not manifest["tables"]["commits"]["partitioned"]
    months = {
        f"{m:%Y-%m}"
        for (m,) in store.con.execute(
            "SELECT DISTINCT date_trunc('month', c.authored_at) FROM commit_files f "
            "JOIN commits c USING (sha)"
        ).fetchall()
    }
    assert set(files["groups"]) == months
    assert {p.name for p in (lake / "store" / "commit_files").iterdir()} == {
        f"month={m}" for m in months
    }
    assert first.groups_written == sum(len(t["groups"]) for t in manifest["tables"].values())

    assert export_lake(store, lake, partition_rows=20_000).up_to_date

    # GitHub activity arrives: only the GitHub tables (and repositories) are written again
    with pygithub_server() as server:
        config = Config(root=tmp_path, db=store.path, github_api_url=server.url, github_token=None)
        sync(store, config, [RepositorySpec("github:PyGithub/PyGithub")])
    second = export_lake(store, lake, partition_rows=20_000)
    rewritten = {group.split("/")[0] for group in second.written}
    assert rewritten <= {"repositories", "gh_items", "gh_comments", "gh_events"}
    assert {"gh_items", "gh_events", "repositories"} <= rewritten
    assert_lake_equals_store(store, lake)

    # a month of history disappears: its folder goes
    gone = sorted(months)[0]
    with store.transaction():
        store.con.execute(
            "DELETE FROM commit_files WHERE sha IN (SELECT sha FROM commits "
            "WHERE strftime(authored_at, '%Y-%m') = ?)",
            [gone],
        )
    third = export_lake(store, lake, partition_rows=20_000)
    assert third.written == [] and third.groups_removed == 1
    assert not (lake / "store" / "commit_files" / f"month={gone}").exists()
    assert_lake_equals_store(store, lake)


def test_an_interrupted_export_is_finished_by_the_next(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = tmp_path / "lake"
    moves = 0
    real_replace = lake_module._replace

    def failing(new: Path, old: Path) -> None:
        nonlocal moves
        moves += 1
        if moves == 40:
            raise KeyboardInterrupt  # as Ctrl-C would, mid-way
        real_replace(new, old)

    monkeypatch.setattr(lake_module, "_replace", failing)
    with pytest.raises(KeyboardInterrupt):
        export_lake(store, lake, partition_rows=20_000)
    manifest = read_manifest(lake)
    assert manifest is not None and manifest["data_version"] is None  # not finished
    monkeypatch.setattr(lake_module, "_replace", real_replace)
    export_lake(store, lake, partition_rows=20_000)
    assert_lake_equals_store(store, lake)
    assert not list((lake / "store").glob(".staging-*"))


def test_cli_export(tmp_path: Path, ingested: dict[str, Path]) -> None:
    command = [sys.executable, "-m", "catherd", "export", "lake", str(tmp_path / "lake"),
               "--db", str(ingested["networkx"])]  # fmt: skip
    first = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "18 tables" in first.stdout
    again = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert "already up to date" in again.stdout
    manifest = json.loads((tmp_path / "lake" / "store" / "_catherd.json").read_text())
    with Store(ingested["networkx"], read_only=True) as store:
        commits = store.scalar("SELECT count(*) FROM commits")
    assert manifest["tables"]["commits"]["rows"] == commits
    not_a_folder = str(tmp_path / "lake" / "store" / "_catherd.json")
    bad = subprocess.run([*command[:5], not_a_folder, *command[6:]],
                         capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 2 and "not a folder" in bad.stderr
