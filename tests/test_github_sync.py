"""GitHub activity into the store, from a local server replaying real recorded exchanges."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from catherd.config import Config, RepositorySpec
from catherd.demo.replay import Exchange, ReplayServer
from catherd.demo.sample import recorded_exchanges
from catherd.errors import InputError
from catherd.metrics import Params
from catherd.metrics.runner import run_metric
from catherd.pipeline import sync
from catherd.sources.github.client import GitHubClient, GitHubError
from catherd.sources.github.repository import GitHubRepository, parse_slug
from catherd.store.database import Store
from catherd.store.github_loader import sync_github_repository

from .conftest import shared_file, table_digest
from .test_github_client import FakeClock, recording

LISTING = re.compile(r"/(issues|pulls)/comments$|/reviews$|/files$|/issues/events$|/issues$")


def empty_listings(path: str) -> tuple[int, bytes] | None:
    """Synthetic: an unrecorded listing is empty, an unrecorded pull request is bare."""
    if LISTING.search(path):
        return 200, b"[]"
    found = re.search(r"/pulls/(\d+)$", path)
    return (200, json.dumps({"number": int(found.group(1))}).encode()) if found else None


def pygithub_server(**kw: object) -> ReplayServer:
    """PyGithub's recorded answers that the demo serves (shipped with catherd)."""
    return ReplayServer(recorded_exchanges(), fallback=empty_listings, **kw)  # type: ignore[arg-type]


def served(server: ReplayServer, path: str) -> int:
    return len(json.loads(next(e.body for e in server.exchanges if e.path == path)))


def test_rows_loaded_equal_records_served_and_resync_changes_nothing(tmp_path: Path) -> None:
    with pygithub_server() as server, Store(tmp_path / "s.duckdb") as store:
        config = Config(root=tmp_path, db=store.path, github_api_url=server.url, github_token=None)
        spec = [RepositorySpec("github:PyGithub/PyGithub")]
        first_report = sync(store, config, spec)
        first = first_report.github[0]
        assert first_report.identities is not None  # GitHub data changed: identities rebuilt
        base = "/repos/PyGithub/PyGithub"
        assert (
            store.scalar("SELECT count(*) FROM gh_items") == served(server, f"{base}/issues") == 16
        )
        assert store.scalar("SELECT count(*) FROM gh_events") == served(
            server, f"{base}/issues/events"
        )
        assert store.scalar(
            "SELECT count(*) FROM gh_comments WHERE kind = 'review_comment'"
        ) == served(server, f"{base}/pulls/comments")
        assert first.changed > 0
        # 2012 answers give every issue a pull_request object with null URLs: none is a PR
        assert store.scalar("SELECT count(*) FROM gh_items WHERE is_pr") == 0
        before = table_digest(store)
        second_report = sync(store, config, spec)
        second, third = second_report.github[0], sync(store, config, spec).github[0]
        assert second_report.identities is None  # nothing changed: nothing rebuilt
        assert second.changed == third.changed == 0
        assert third.not_modified > 0  # asked again with ETags: 304s, no rate limit spent
        assert table_digest(store) == before
        raw = store.scalar(
            "SELECT payload FROM github_raw WHERE kind = 'issue' AND key = ?",
            [str(json.loads(server.exchanges[1].body)[0]["id"])],
        )
        as_served = server.exchanges[1].body.replace(b"https://api.github.com", server.url.encode())
        assert json.loads(raw) == json.loads(as_served)[0]  # stored exactly as received


def test_interrupted_listing_resumes_at_its_page_without_duplicates(tmp_path: Path) -> None:
    exchanges = recording("PaginatedList.testIteration")  # openFrameworks issues, 14 pages
    total = sum(len(json.loads(e.body)) for e in exchanges)
    path = "/repos/openframeworks/openFrameworks/issues"
    script = {f"{path}?page=5": [(404, {}, b'{"message": "synthetic failure"}')]}
    metadata = {"full_name": "openframeworks/openFrameworks"}

    def fallback(p: str) -> tuple[int, bytes] | None:
        if p == "/repos/openframeworks/openFrameworks":
            return 200, json.dumps(metadata).encode()  # synthetic repository answer
        return empty_listings(p)

    with (
        ReplayServer(exchanges, script, fallback=fallback) as server,
        Store(tmp_path / "s.duckdb") as store,
    ):
        store.con.execute(
            "INSERT INTO repositories "
            "VALUES (1, 'of', 'github:of', 'github', '', false, NULL, now(), NULL)"
        )
        source = GitHubRepository(
            GitHubClient(api_url=server.url, clock=FakeClock()), "openframeworks/openFrameworks"
        )
        with pytest.raises(GitHubError, match="synthetic failure"):
            sync_github_repository(store, source, 1)
        first_four = sum(len(json.loads(e.body)) for e in exchanges[:4])
        assert store.scalar("SELECT count(*) FROM github_raw WHERE kind = 'issue'") == first_four
        cursor = store.cursor_value("github", 1)
        assert cursor["issue"]["resume"].endswith("issues?page=5")
        requests_before = len(server.requests)
        sync_github_repository(store, source, 1)
        resumed = [r[1] for r in server.requests[requests_before:] if r[1].startswith(path)]
        assert resumed[0].endswith("page=5")  # pages 1-4 were not asked for again
        assert store.scalar("SELECT count(*) FROM github_raw WHERE kind = 'issue'") == total


def test_rate_limited_replay_waits_and_loses_nothing(tmp_path: Path) -> None:
    clock = FakeClock()
    limited = {
        "/repos/PyGithub/PyGithub/issues": [
            (
                403,
                {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(clock.t) + 3600)},
                b'{"message": "API rate limit exceeded"}',
            )
        ]
    }
    waits: list[tuple[float, str]] = []
    with pygithub_server(script=limited) as server, Store(tmp_path / "s.duckdb") as store:
        store.con.execute(
            "INSERT INTO repositories "
            "VALUES (1, 'pg', 'github:pg', 'github', '', false, NULL, now(), NULL)"
        )
        client = GitHubClient(
            api_url=server.url, clock=clock, on_wait=lambda s, r: waits.append((s, r))
        )
        sync_github_repository(store, GitHubRepository(client, "PyGithub/PyGithub"), 1)
        assert waits == [(3601.0, "primary rate limit reached")]
        assert store.scalar("SELECT count(*) FROM gh_items") == 16


def test_a_missing_repository_is_reported_and_the_others_still_sync(tmp_path: Path) -> None:
    exchanges = recording("Exceptions.testUnknownObject")
    with (
        pygithub_server() as good,
        ReplayServer(exchanges) as bad,
        Store(tmp_path / "s.duckdb") as store,
    ):
        del good
        config = Config(root=tmp_path, db=store.path, github_api_url=bad.url, github_token=None)
        report = sync(store, config, [RepositorySpec("github:jacquev6/Xxx")], stop_on_error=False)
        assert report.failures and "404 not found" in report.failures[0][1]
        assert store.scalar("SELECT count(*) FROM github_raw") == 0


def test_slugs_are_checked_before_anything_is_written() -> None:
    assert parse_slug("github:scikit-learn/scikit-learn") == "scikit-learn/scikit-learn"
    with pytest.raises(InputError, match="expected github:owner/name"):
        parse_slug("github:not a slug")


def test_graphql_reads_pull_requests_in_bulk(tmp_path: Path) -> None:
    """Synthetic answers (labelled: no recording holds this query): three pull requests read
    with one GraphQL request; #2 has more reviews than one page, so REST completes it; #3 is
    not found. (Without a token, as in the tests above, REST does it all.)"""

    def pr_issue(n: int) -> dict:
        return {
            "id": 1000 + n,
            "number": n,
            "title": f"PR {n}",
            "state": "open" if n == 2 else "closed",
            "user": {"login": "author", "type": "User"},
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-03T00:00:00Z",
            "closed_at": None if n == 2 else "2024-01-02T00:00:00Z",
            "pull_request": {"html_url": f"https://github.com/o/r/pull/{n}"},
        }

    def review(n: int, who: str) -> dict:
        return {
            "databaseId": n,
            "state": "APPROVED",
            "submittedAt": "2024-01-01T05:00:00Z",
            "author": {"__typename": "User", "login": who},
        }

    node1 = {
        "number": 1,
        "updatedAt": "2024-01-03T00:00:00Z",
        "mergedAt": "2024-01-02T00:00:00Z",
        "mergeCommit": {"oid": "a" * 40},
        "reviewRequests": {
            "nodes": [{"requestedReviewer": {"__typename": "User", "login": "Carol"}}]
        },
        "reviews": {
            "pageInfo": {"hasNextPage": False},
            "nodes": [review(11, "bob"), review(12, "carol")],
        },
        "files": {
            "pageInfo": {"hasNextPage": False},
            "nodes": [
                {"path": "src/a.py", "additions": 1, "deletions": 0, "changeType": "MODIFIED"}
            ],
        },
    }
    node2 = {
        **node1,
        "number": 2,
        "mergedAt": None,
        "mergeCommit": None,
        "reviews": {"pageInfo": {"hasNextPage": True}, "nodes": [review(21, "bob")]},
    }
    answer = {
        "data": {
            "rateLimit": {"cost": 1, "remaining": 4999, "resetAt": "2024-01-01T01:00:00Z"},
            "repository": {"pr1": node1, "pr2": node2, "pr3": None},
        },
        "errors": [{"type": "NOT_FOUND", "path": ["repository", "pr3"], "message": "no PR 3"}],
    }

    def fallback(path: str) -> tuple[int, bytes] | None:
        if path == "/repos/o/r":
            return 200, b'{"full_name": "o/r"}'
        if path == "/repos/o/r/issues":
            return 200, json.dumps([pr_issue(1), pr_issue(2), pr_issue(3)]).encode()
        return empty_listings(path)

    script = {"/graphql": [(200, {}, json.dumps(answer).encode())]}
    with (
        ReplayServer([], script, fallback=fallback) as server,
        Store(tmp_path / "s.duckdb") as store,
    ):
        config = Config(root=tmp_path, db=store.path, github_api_url=server.url, github_token="t")
        result = sync(store, config, [RepositorySpec("github:o/r")]).github[0]
        posts = [
            body
            for (method, _, _), body in zip(server.requests, server.bodies, strict=True)
            if method == "POST"
        ]
        assert len(posts) == 1  # three pull requests, one request
        query = json.loads(posts[0])["query"]
        assert all(f"pullRequest(number: {n})" in query for n in (1, 2, 3))
        rest = {
            r[1].split("?")[0] for r in server.requests if r[1].startswith("/repos/o/r/pulls/2")
        }
        assert rest == {
            "/repos/o/r/pulls/2",
            "/repos/o/r/pulls/2/reviews",
            "/repos/o/r/pulls/2/files",
        }
        assert result.warnings == ["pull request #3 not found by GraphQL"]
        items = {r["number"]: r for r in store.rows("SELECT * FROM gh_items")}
        assert items[1]["merged_at"] is not None and items[1]["merge_commit_sha"] == "a" * 40
        assert items[2]["merged_at"] is None
        reviews = store.rows("SELECT number, reviewer FROM gh_reviews ORDER BY id")
        assert reviews == [
            {"number": 1, "reviewer": "bob"},
            {"number": 1, "reviewer": "carol"},
            {"number": 2, "reviewer": "bob"},
        ]
        assert store.rows("SELECT number, path FROM gh_pull_files ORDER BY number") == [
            {"number": 1, "path": "src/a.py"},
            {"number": 2, "path": "src/a.py"},
        ]
        assert store.scalar("SELECT count(*) FROM gh_review_requests WHERE login = 'carol'") == 2
        load = {r["reviewer"]: r for r in run_metric(store, "review_load", Params())}
        assert (load["bob"]["reviews"], load["bob"]["pull_requests"], load["bob"]["awaiting"]) == (
            2, 2, 0)  # fmt: skip
        # carol reviewed #1 and is still asked to review #2, which is open
        assert (load["carol"]["reviews"], load["carol"]["awaiting"]) == (1, 1)


def test_perceval_recordings_load_whole(tmp_path: Path) -> None:
    """Perceval's recorded answers (anonymised, real shapes): an issue listing holding a pull
    request, its comments and review comments, its reviews (one by a deleted "ghost" user)."""
    folder = shared_file("github-api", "perceval")
    base = "/repos/zhquan_example/repo"
    served = {
        base: folder / "github_repo",
        f"{base}/issues": folder / "github_request",
        f"{base}/issues/comments": folder / "github_issue_comments_1",
        f"{base}/pulls/comments": folder / "github_request_pull_request_1_comments",
        f"{base}/pulls/1": folder / "github_request_pull_request_1",
        f"{base}/pulls/1/reviews": folder / "github_request_pull_request_1_reviews",
    }
    exchanges = [Exchange("GET", path, 200, [], file.read_bytes()) for path, file in served.items()]
    with (
        ReplayServer(exchanges, fallback=empty_listings) as server,
        Store(tmp_path / "s.duckdb") as store,
    ):
        config = Config(root=tmp_path, db=store.path, github_api_url=server.url, github_token=None)
        sync(store, config, [RepositorySpec("github:zhquan_example/repo")])
        count = {p: len(json.loads(f.read_bytes())) for p, f in served.items() if p != base}
        assert store.scalar("SELECT count(*) FROM gh_items WHERE is_pr") == count[f"{base}/issues"]
        kinds = dict(
            store.con.execute("SELECT kind, count(*) FROM gh_comments GROUP BY 1").fetchall()
        )
        assert kinds["issue_comment"] == count[f"{base}/issues/comments"]
        assert kinds["review_comment"] == count[f"{base}/pulls/comments"]
        assert store.scalar("SELECT count(*) FROM gh_reviews") == 2
        assert store.scalar("SELECT count(*) FROM gh_reviews WHERE reviewer IS NULL") == 1  # ghost
        assert store.scalar("SELECT reactions FROM gh_items") == 0
        assert store.scalar("SELECT merge_commit_sha FROM gh_items") == json.loads(
            served[f"{base}/pulls/1"].read_bytes())["merge_commit_sha"]  # fmt: skip
        assert [r["reviewer"] for r in run_metric(store, "review_load", Params())] == [
            "zhquan_example"
        ]


def test_a_disabled_feature_is_skipped_with_a_warning(tmp_path: Path) -> None:
    """Synthetic: GitHub answers 410 Gone for the issues of a repository that disabled them."""
    gone = {"/repos/PyGithub/PyGithub/issues": [(410, {}, b'{"message": "Issues are disabled"}')]}
    with pygithub_server(script=gone) as server, Store(tmp_path / "s.duckdb") as store:
        config = Config(root=tmp_path, db=store.path, github_api_url=server.url, github_token=None)
        result = sync(store, config, [RepositorySpec("github:PyGithub/PyGithub")]).github[0]
        assert result.warnings == ["issue: not available (410); skipped"]
        assert store.scalar("SELECT count(*) FROM gh_items") == 0
        assert store.scalar("SELECT count(*) FROM gh_events") > 0  # the rest was read
