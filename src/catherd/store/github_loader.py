"""Load one GitHub repository's activity into ``github_raw``: incremental and resumable.

Every page is stored in its own transaction together with the cursor that says what comes
next, so an interrupted sync resumes at the page it stopped at and never loses or doubles a
row (rows are upserted by id, and a row whose payload did not change is not touched). The
cursor of each listing is the newest ``updated_at`` seen, plus the ETag of the last first
page: asked again with nothing new, GitHub answers 304, which costs no rate limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from catherd.sources.github.client import GitHubError, Page
from catherd.sources.github.repository import GRAPHQL_BATCH, UPDATED_LISTINGS, GitHubRepository
from catherd.store.database import Store
from catherd.store.github_tables import refresh_github_tables

CURSOR_SOURCE = "github"


def upsert_sql(rows: str, returning: str) -> str:
    """Insert or update the raw rows ``rows`` (repo, kind, key, updated_at, fetched_at,
    payload) selects, by key, each with its item; return ``returning`` of the rows changed.

    A row whose payload did not change is not touched, and an older snapshot (a replayed
    archive, a late page) never replaces a newer one.
    """
    return (
        "INSERT INTO github_raw (repo, kind, key, updated_at, fetched_at, payload, number) "
        f"SELECT *, gh_item_number(kind, key, payload) FROM ({rows}) "
        "ON CONFLICT (repo, kind, key) DO UPDATE SET "
        "updated_at = excluded.updated_at, fetched_at = excluded.fetched_at, "
        "payload = excluded.payload, number = excluded.number "
        "WHERE github_raw.payload::VARCHAR <> excluded.payload::VARCHAR "
        "AND (github_raw.updated_at IS NULL OR excluded.updated_at IS NULL "
        f"OR excluded.updated_at >= github_raw.updated_at) RETURNING {returning}"
    )


Progress = Callable[[int, int], None]


@dataclass
class GitHubSyncResult:
    repository: str
    fetched: dict[str, int] = field(default_factory=dict)  # rows received, by kind
    changed: int = 0  # rows inserted or updated
    not_modified: int = 0  # 304 answers
    requests: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return self.changed == 0


def upsert_raw(
    store: Store, repo: str, kind: str, items: list[dict[str, Any]], key: str = "id",
    updated_at: datetime | None = None, keys: list[str] | None = None,
) -> int:  # fmt: skip
    """Insert or update payloads by (repo, kind, key); return how many rows changed.

    ``updated_at`` overrides the time read from the payloads (pull-request details are
    dated by their issue's update, which is what decides whether they are stale); ``keys``
    gives the keys outright where no single field is one (a pull request's files).
    """
    if not items:
        return 0
    # one row a key: a batch may hold several snapshots of one object; the newest wins
    newest: dict[str, dict[str, Any]] = {}
    for item_key, item in zip(keys or [str(i[key]) for i in items], items, strict=True):
        seen = newest.get(item_key)
        if seen is None or _stamp(item) >= _stamp(seen):
            newest[item_key] = item
    now = datetime.now(UTC)
    table = pa.table({
        "repo": [repo] * len(newest),
        "kind": [kind] * len(newest),
        "key": list(newest),
        "updated_at": [updated_at or _timestamp(_stamp(item)) for item in newest.values()],
        "fetched_at": [now] * len(newest),
        "payload": [json.dumps(item, ensure_ascii=False, sort_keys=True)
                    for item in newest.values()],
    })  # fmt: skip
    store.con.register("raw_rows", table)
    try:
        rows = "SELECT * REPLACE (payload::JSON AS payload) FROM raw_rows"
        changed = len(store.con.execute(upsert_sql(rows, "key")).fetchall())
    finally:
        store.con.unregister("raw_rows")
    return int(changed)


def sync_github_repository(
    store: Store, source: GitHubRepository, repo_id: int, progress: Progress | None = None
) -> GitHubSyncResult:
    """Bring the stored activity of ``source`` up to date; each page commits on its own."""
    slug = source.slug
    result = GitHubSyncResult(repository=slug)
    start_requests = source.client.requests_made
    cursor: dict[str, Any] = store.cursor_value(CURSOR_SOURCE, repo_id) or {}

    def save(done: int = 0) -> None:
        store.set_cursor(CURSOR_SOURCE, repo_id, cursor)
        if progress:
            progress(sum(result.fetched.values()) + done, 0)

    if "repository" not in cursor:
        with store.transaction():
            result.changed += upsert_raw(store, slug, "repo", [source.metadata()], key="full_name")
            cursor["repository"] = slug
            save()

    for kind in UPDATED_LISTINGS:
        _sync_listing(store, source, kind, cursor, result, save)
    _sync_events(store, source, cursor, result, save)
    with store.transaction() as con:
        # which pull requests are stale is read from gh_items
        refresh_github_tables(con, source.slug)
    _sync_pulls(store, source, repo_id, result, save)
    with store.transaction() as con:
        refresh_github_tables(con, source.slug)
    result.requests = source.client.requests_made - start_requests
    with store.transaction():
        store.con.execute("UPDATE repositories SET synced_at = ? WHERE repo_id = ?",
                          [datetime.now(UTC), repo_id])  # fmt: skip
    return result


def _pages_unless_disabled(
    pages: Iterator[tuple[Page, str]], result: GitHubSyncResult, what: str
) -> Iterator[tuple[Page, str]]:
    """The pages of a listing; if its very first request finds the feature turned off
    (404/410, e.g. issues disabled), say so and yield nothing. Later failures raise."""
    try:
        first = next(pages)
    except StopIteration:
        return
    except GitHubError as exc:
        if exc.status not in (404, 410):
            raise
        result.warnings.append(f"{what}: not available ({exc.status}); skipped")
        return
    yield first
    yield from pages


def _sync_listing(store: Store, source: GitHubRepository, kind: str, cursor: dict[str, Any],
                  result: GitHubSyncResult, save: Callable[[], None]) -> None:  # fmt: skip
    """One listing sorted by update time, page by page, each page with its cursor."""
    state = cursor.setdefault(kind, {})
    pages = source.updated_since(kind, state.get("since"), state.get("resume"), state.get("etag"))
    for page, url in _pages_unless_disabled(iter(pages), result, kind):
        if page.status == 304:
            result.not_modified += 1
            continue
        items = list(page.data or [])
        with store.transaction():
            result.changed += upsert_raw(store, source.slug, kind, items)
            result.fetched[kind] = result.fetched.get(kind, 0) + len(items)
            newest = max((i.get("updated_at") or "" for i in items), default="")
            state["max_seen"] = max(state.get("max_seen") or "", newest) or None
            if url == source.base + UPDATED_LISTINGS[kind][0] and page.etag:
                state["first_etag"] = page.etag
            state["resume"] = page.next_url
            save()
    with store.transaction():
        # A finished pass: the next one asks for what changed since the newest item seen.
        if state.get("max_seen") and state.get("since") != state["max_seen"]:
            state.pop("etag", None)  # a new `since` is a new request: no validator yet
            state["since"] = state["max_seen"]
        else:
            state["etag"] = state.get("first_etag", state.get("etag"))
        state["resume"] = None
        save()


def _sync_events(store: Store, source: GitHubRepository, cursor: dict[str, Any],
                 result: GitHubSyncResult, save: Callable[[], None]) -> None:  # fmt: skip
    """Events come newest first: read until a page reaches the newest id already stored."""
    state = cursor.setdefault("event", {})
    known = int(state.get("max_id") or 0)
    newest = known
    for page, url in _pages_unless_disabled(
        iter(source.events(state.get("etag"))), result, "event"
    ):
        if page.status == 304:
            result.not_modified += 1
            return
        items = list(page.data or [])
        with store.transaction():
            result.changed += upsert_raw(store, source.slug, "event", items)
            result.fetched["event"] = result.fetched.get("event", 0) + len(items)
            newest = max([newest, *(int(i["id"]) for i in items)])
            if url.endswith("/issues/events") and page.etag:
                state["pending_etag"] = page.etag
            save()
        if items and min(int(i["id"]) for i in items) <= known:
            break
    with store.transaction():
        state["max_id"] = newest
        state["etag"] = state.pop("pending_etag", state.get("etag"))
        save()


def _sync_pulls(store: Store, source: GitHubRepository, repo_id: int,
                result: GitHubSyncResult, save: Callable[[], None]) -> None:  # fmt: skip
    """Details, reviews and files of every pull request updated since they were last read.

    With a token, GraphQL reads them for 25 pull requests a request (REST would take three
    requests each); a pull request with more than 100 reviews or files is completed with
    REST. Without a token (GraphQL needs one) REST does it all.
    """
    stale = store.con.execute(
        "SELECT i.number, i.updated_at FROM gh_items i "
        "LEFT JOIN github_raw p ON p.repo = i.repo AND p.kind IN ('pull', 'pull_graphql') "
        "AND p.key = i.number::VARCHAR "
        "WHERE i.repo = ? AND i.is_pr GROUP BY ALL "
        "HAVING max(p.updated_at) IS NULL OR max(p.updated_at) < i.updated_at "
        "ORDER BY i.number",
        [source.slug],
    ).fetchall()
    if source.client.token:
        for start in range(0, len(stale), GRAPHQL_BATCH):
            batch = dict(stale[start : start + GRAPHQL_BATCH])
            nodes = source.pulls_graphql(list(batch))
            with store.transaction():
                for number, node in nodes.items():
                    if node is None:
                        result.warnings.append(f"pull request #{number} not found by GraphQL")
                        continue
                    result.changed += upsert_raw(store, source.slug, "pull_graphql", [node],
                                                 "number", batch[number])  # fmt: skip
                    result.fetched["pull"] = result.fetched.get("pull", 0) + 1
                save()
            incomplete = [n for n, node in nodes.items() if node and _truncated(node)]
            for number in incomplete:
                _pull_by_rest(store, source, number, batch[number], result, save)
        return
    for number, updated_at in stale:
        _pull_by_rest(store, source, number, updated_at, result, save)


def _truncated(node: dict[str, Any]) -> bool:
    return any(((node.get(part) or {}).get("pageInfo") or {}).get("hasNextPage")
               for part in ("reviews", "files"))  # fmt: skip


def _pull_by_rest(store: Store, source: GitHubRepository, number: int, updated_at: datetime,
                  result: GitHubSyncResult, save: Callable[[], None]) -> None:  # fmt: skip
    pull = source.pull(number)
    reviews = source.reviews(number)
    files = source.files(number)
    with store.transaction():
        result.changed += upsert_raw(
            store, source.slug, "pull_file", files, "filename", updated_at,
            keys=[f"{number}:{f.get('filename')}" for f in files],
        )  # fmt: skip
        result.changed += upsert_raw(store, source.slug, "pull", [pull], "number", updated_at)
        result.changed += upsert_raw(store, source.slug, "review", reviews)
        result.fetched["pull"] = result.fetched.get("pull", 0) + 1
        result.fetched["review"] = result.fetched.get("review", 0) + len(reviews)
        save()


def _stamp(item: dict[str, Any]) -> str:
    return str(item.get("updated_at") or item.get("submitted_at") or item.get("created_at") or "")


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
