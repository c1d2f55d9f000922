"""Shared fixtures: the real data (the sample shipped in catherd/demo/data, and more in
../shared/data), git helpers, fresh stores.

A test that needs ../shared/data and does not find it is skipped, except when the ``CI``
environment variable is set: there the data must be present, so the test fails and says what
is missing. Tests that the shipped sample can feed read it from there (the same bytes as the
shared copies): they run from a fresh clone alone.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest

from catherd.config import Config, RepositorySpec
from catherd.demo.sample import DATA as SAMPLE
from catherd.engine.base import EngineSettings
from catherd.pipeline import SyncReport, sync
from catherd.sources.git.versions import tag_version
from catherd.store.database import Store

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CATHERD_SHARED_DATA", ROOT.parent / "shared" / "data"))
BUNDLES = SHARED / "git"


def missing(what: object) -> NoReturn:
    """Shared data a test needs is not here: skip it, or fail it under CI."""
    message = f"shared data missing: {what} (CATHERD_SHARED_DATA may name another folder)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI is set, where the shared data must be present",
                    pytrace=False)  # fmt: skip
    pytest.skip(message)


def shared_file(*parts: str) -> Path:
    """A file or folder of ../shared/data, or a skip (a failure under CI) if it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        missing(path)
    return path


def bundle_file(name: str) -> Path:
    """A git bundle: the shipped sample's if it is that one, else the shared one."""
    shipped = SAMPLE / f"{name}.bundle"
    return shipped if shipped.exists() else shared_file("git", f"{name}.bundle")


def recording_file(name: str) -> Path:
    """A PyGithub recording: the shipped sample's if it holds it, else the shared one."""
    shipped = SAMPLE / "github-api" / f"{name}.txt"
    return shipped if shipped.exists() else shared_file("github-api", "pygithub", f"{name}.txt")


def git(cwd: Path | str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in ``cwd`` and return stdout as text (the independent computation in tests)."""
    full_env = {**os.environ, "TZ": "UTC", **(env or {})}
    return subprocess.run(
        ["git", "-C", str(cwd), *args], capture_output=True, check=True, env=full_env
    ).stdout.decode("utf-8", "replace")


def synthetic_commit(
    repo: Path,
    name: str,
    email: str,
    when: str = "2026-01-05T12:00:00+00:00",
    message: str = "SYNTHETIC commit made by a test",
    file: str = "synthetic.txt",
) -> str:
    """Add a SYNTHETIC commit (labelled so in its message) to a clone of real history."""
    target = repo / file
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as handle:
        handle.write(f"{name} {when}\n")
    git(repo, "add", file)
    env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": when,
           "GIT_COMMITTER_NAME": "catherd tests", "GIT_COMMITTER_EMAIL": "tests@catherd.invalid",
           "GIT_COMMITTER_DATE": when}  # fmt: skip
    git(repo, "commit", "-q", "-m", message, env=env)
    return git(repo, "rev-parse", "HEAD").strip()


def followed(repo: Path | str, *refs: str) -> list[str]:
    """What catherd reads by default: ``refs`` (the default branch, ``HEAD``) and every version
    tag, whatever branch it is on. ``git log *followed(repo)`` must agree with the store."""
    tags = [tag for tag in git(repo, "tag", "--list").split() if tag_version(tag)]
    return [*(refs or ("HEAD",)), *tags]


def commit_count(repo: Path | str) -> int:
    """How many commits catherd stores for ``repo`` (default branch and version tags)."""
    return int(git(repo, "rev-list", "--count", *followed(repo)))


def clone_bundle(name: str, target: Path, mirror: bool = False) -> Path:
    """A clone of one of the bundles (a real history), as a working tree or mirror."""
    bundle = bundle_file(name)
    args = ["git", "clone", "--quiet", *(["--mirror"] if mirror else []), str(bundle), str(target)]
    subprocess.run(args, check=True, capture_output=True)
    if not mirror:
        git(target, "config", "user.name", "catherd tests")
        git(target, "config", "user.email", "tests@catherd.invalid")
    return target


class Made(Mapping[str, Path]):
    """Something made once per test session for each bundle, when a test first asks for it;
    a bundle that is not here is skipped (failed under CI) by the test that asks."""

    def __init__(self, make: Any) -> None:
        self.make = make
        self.made: dict[str, Path] = {}

    def __getitem__(self, name: str) -> Path:
        if name not in self.made:
            self.made[name] = self.make(name)
        return self.made[name]

    def __iter__(self) -> Iterator[str]:
        """The bundles that are here: shipped or shared."""
        here = {p.stem for folder in (SAMPLE, BUNDLES) for p in folder.glob("*.bundle")}
        return iter(sorted(here))

    def __len__(self) -> int:
        return len(list(iter(self)))


@pytest.fixture(scope="session")
def mirrors(tmp_path_factory: pytest.TempPathFactory) -> Made:
    """Read-only mirrors of the bundles, each cloned once per test session."""
    base = tmp_path_factory.mktemp("mirrors")
    return Made(lambda name: clone_bundle(name, base / f"{name}.git", mirror=True))


@pytest.fixture(scope="session")
def ingested(tmp_path_factory: pytest.TempPathFactory, mirrors: Made) -> Made:
    """One store per repository, ingested once per session (tests only read them)."""
    base = tmp_path_factory.mktemp("stores")

    def make(name: str) -> Path:
        path = base / f"{name}.duckdb"
        with Store(path) as store:
            ingest(store, base, str(mirrors[name]))
        return path

    return Made(make)


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


def post_login(client: Any, username: str, password: str, **kw: Any) -> Any:
    """Log in as a browser does: read the form (its token, and the cookie it pairs with),
    then post it. ``client`` is a TestClient; ``kw`` goes to its ``post``."""
    form = client.get("/login").text
    token = re.search(r'action="/login".*?name="csrf" value="([^"]+)"', form, re.S).group(1)
    data = {"username": username, "password": password, "csrf": token}
    return client.post("/login", data=data, **kw)


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve a dashboard application on a free loopback port as `catherd serve` does (with
    its serve file beside the store, for the CLI); yield its address; stop it after."""
    import uvicorn

    from catherd.web.syncing import announce, withdraw

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            proxy_headers=False)  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    board = app.state.board
    url = f"http://127.0.0.1:{port}"
    board.local_token = announce(board.store.path, url)
    try:
        yield url
    finally:
        withdraw(board.store.path)
        server.should_exit = True
        thread.join(timeout=10)
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
