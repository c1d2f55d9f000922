"""The GitHub tables refreshed item by item (GH Archive imports) or repository by repository
(API syncs) hold exactly what the views of schema 2 give over all raw rows, and a store of
schema 4 migrates to numbered raw rows without changing a table.

Real data: PyGithub's recorded API answers, then GH Archive files (lnav's hour, devstats'
shapes, and PyGithub's Events API answer, whose issues and comments are the same items the
API sync stored, so archive and API rows of one item meet)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb

from catherd.config import Config, RepositorySpec
from catherd.pipeline import sync
from catherd.store.database import Store
from catherd.store.gharchive_loader import import_archives
from catherd.store.schema import GITHUB_VIEWS, MIGRATIONS, SCHEMA_VERSION

from .conftest import shared_file, table_digest
from .test_github_client import recording
from .test_github_sync import pygithub_server


def original_views(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every GitHub table's rows as schema 2's views compute them over all of github_raw."""
    found = {}
    for name in GITHUB_VIEWS:
        view = next(s for s in MIGRATIONS[2] if s.startswith(f"CREATE VIEW {name}_json AS"))
        body = view.removeprefix(f"CREATE VIEW {name}_json AS")
        found[name] = sorted(con.execute(body).fetchall(), key=repr)
    return found


def tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {name: sorted(con.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
            for name in GITHUB_VIEWS}  # fmt: skip


def test_item_by_item_refresh_equals_the_views(tmp_path: Path) -> None:
    lines = shared_file("gharchive", "lnav", "gharchive_log.jsonl").read_text()
    shapes = "".join(
        json.dumps(json.loads(p.read_text())) + "\n"
        for p in sorted(shared_file("gharchive", "devstats", "analysis").glob("*.json"))
    )
    events = json.loads(recording("Repository.testGetEvents")[0].body)
    dumps = []
    for name, text in (
        ("2024-01-01-15.json.gz", lines),
        ("shapes.jsonl", shapes),
        ("events.jsonl", "".join(json.dumps(e) + "\n" for e in events)),
    ):
        path = tmp_path / name
        path.write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
        dumps.append(path)
    with pygithub_server() as server, Store(tmp_path / "s.duckdb") as store:
        config = Config(root=tmp_path, db=store.path, github_api_url=server.url, github_token=None)
        sync(store, config, [RepositorySpec("github:PyGithub/PyGithub")])
        assert tables(store.con) == original_views(store.con)
        before = store.scalar("SELECT count(*) FROM gh_comments")
        for path in dumps:  # one file at a time: each refreshes the items it changed
            result = import_archives(store, [path], set(), set(), everything=True)
            assert result.changed > 0
            assert tables(store.con) == original_views(store.con), path.name
        # the archive's comments on PyGithub's issues joined the API's
        assert store.scalar("SELECT count(*) FROM gh_comments") > before
        assert (
            store.scalar(
                "SELECT count(DISTINCT kind) FROM github_raw WHERE repo = 'PyGithub/PyGithub'"
            )
            >= 3
        )


def test_a_schema_4_store_migrates_without_changing_a_table(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    for version in (1, 2, 3, 4):
        for statement in MIGRATIONS[version]:
            con.execute(statement)
    con.execute("INSERT INTO meta VALUES ('schema_version', '4')")
    issues = json.loads(recording("Repository.testGetIssues")[0].body)
    comments = json.loads(recording("Repository.testGetPullsComments")[0].body)
    for kind, rows in (("issue", issues), ("review_comment", comments)):
        for row in rows:
            con.execute("INSERT INTO github_raw VALUES ('PyGithub/PyGithub', ?, ?, ?, now(), ?)",
                        [kind, str(row["id"]), row["updated_at"], json.dumps(row)])  # fmt: skip
    for name in GITHUB_VIEWS:
        con.execute(f"INSERT INTO {name} SELECT * FROM {name}_json")
    con.close()
    with Store(path) as store:
        before = {name: digest for name, digest in table_digest(store).items()
                  if name in GITHUB_VIEWS}  # fmt: skip
        assert store.schema_version() == SCHEMA_VERSION
        numbers = dict(store.con.execute(
            "SELECT key, number FROM github_raw WHERE kind = 'issue'").fetchall())  # fmt: skip
        assert numbers == {str(i["id"]): i["number"] for i in issues}
        comment_items = {
            n
            for (n,) in store.con.execute(
                "SELECT DISTINCT number FROM github_raw WHERE kind = 'review_comment'"
            ).fetchall()
        }
        # 2012 review comments carry no pull_request_url: their item is unknown (null)
        assert comment_items == {
            int(c["pull_request_url"].rsplit("/", 1)[1]) if c.get("pull_request_url") else None
            for c in comments
        }
        after = {name: digest for name, digest in table_digest(store).items()
                 if name in GITHUB_VIEWS}  # fmt: skip
        assert after == before and tables(store.con) == original_views(store.con)
