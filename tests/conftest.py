"""Shared fixtures: the real data in ../shared/data, git helpers, fresh stores."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from catherd.config import Config, RepositorySpec
from catherd.engine.base import EngineSettings
from catherd.pipeline import SyncReport, sync
from catherd.store.database import Store

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CATHERD_SHARED_DATA", ROOT.parent / "shared" / "data"))
BUNDLES = SHARED / "git"


def git(cwd: Path | str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in ``cwd`` and return stdout as text (the independent computation in tests)."""
    full_env = {**os.environ, "TZ": "UTC", **(env or {})}
    return subprocess.run(
        ["git", "-C", str(cwd), *args], capture_output=True, check=True, env=full_env
    ).stdout.decode("utf-8", "replace")


def clone_bundle(name: str, target: Path, mirror: bool = False) -> Path:
    """A clone of one of the shared bundles (the real history), as a working tree or mirror."""
    bundle = BUNDLES / f"{name}.bundle"
    if not bundle.exists():
        pytest.skip(f"shared data missing: {bundle}")
    args = ["git", "clone", "--quiet", *(["--mirror"] if mirror else []), str(bundle), str(target)]
    subprocess.run(args, check=True, capture_output=True)
    if not mirror:
        git(target, "config", "user.name", "catherd tests")
        git(target, "config", "user.email", "tests@catherd.invalid")
    return target


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared data folder not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def mirrors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Read-only mirrors of every shared bundle, cloned once per test session."""
    base = tmp_path_factory.mktemp("mirrors")
    found = {}
    for bundle in sorted(BUNDLES.glob("*.bundle")):
        found[bundle.stem] = clone_bundle(bundle.stem, base / f"{bundle.stem}.git", mirror=True)
    if not found:
        pytest.skip(f"no bundles in {BUNDLES}")
    return found


@pytest.fixture(scope="session")
def ingested(tmp_path_factory: pytest.TempPathFactory, mirrors: dict[str, Path]) -> dict[str, Path]:
    """One store per shared repository, ingested once per session (tests only read them)."""
    base = tmp_path_factory.mktemp("stores")
    stores = {}
    for name, mirror in mirrors.items():
        path = base / f"{name}.duckdb"
        with Store(path) as store:
            ingest(store, base, str(mirror))
        stores[name] = path
    return stores


def ingest(
    store: Store, folder: Path, *locations: str, all_branches: bool = False, **kw: object
) -> SyncReport:
    config = Config(root=folder, db=store.path, **kw)  # type: ignore[arg-type]
    return sync(store, config, [RepositorySpec(loc, None, all_branches) for loc in locations])


def table_digest(store: Store) -> dict[str, object]:
    """Row counts and a content hash of every table: equal digests mean nothing changed."""
    digest = {}
    for (table,) in store.con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_name NOT IN ('meta', 'sync_cursors') ORDER BY 1"
    ).fetchall():
        columns = [
            r[0]
            for r in store.con.execute(f"DESCRIBE {table}").fetchall()
            if r[0] not in ("synced_at", "recorded_at", "added_at")
        ]
        digest[table] = store.con.execute(
            f"SELECT count(*), coalesce(sum(hash({', '.join(columns)})), 0) FROM {table}"
        ).fetchall()[0]
    return digest


def same(a: object, b: object) -> bool:
    """Equal, numbers within 1e-6 (a float summed by parallel threads may differ in its last
    bits from one run, or engine, to the next)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@pytest.fixture
def git_available() -> None:
    if shutil.which("git") is None:
        pytest.skip("git not installed")


@pytest.fixture(scope="session")
def spark_local() -> Iterator[EngineSettings]:
    """Spark in local mode, started once per test session (a JVM takes ~10 s to start).

    Yields the settings engines use; each test gives them its own lake. Skipped where
    PySpark (`pip install -e '.[test,spark]'`) or Java is missing.
    """
    pytest.importorskip("pyspark")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Java is not installed (Debian: default-jre-headless)")
    from catherd.engine.spark import spark_session, stop_spark

    settings = EngineSettings(kind="spark", master="local[2]")
    spark_session(settings)
    yield settings
    stop_spark()
