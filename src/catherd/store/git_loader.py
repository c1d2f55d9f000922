"""Load one repository's history into the store: incremental, idempotent, force-push safe.

The cursor of a repository is the set of ref tips read last time. A sync reads only the
commits reachable from the new tips and not from the old ones; commits no longer reachable
(a rewritten history) lose their membership, and a commit no repository reaches any more is
deleted with its files. A commit shared by several repositories or branches is stored once.
All of it happens inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from catherd.sources.git.logstream import LOG_FORMAT, LogBatch, LogStreamParser, ParseWarning
from catherd.sources.git.repository import GitRepository
from catherd.store.database import Store

CURSOR_SOURCE = "git"
Progress = Callable[[int, int], None]  # (commits done, commits expected)


@dataclass
class GitSyncResult:
    repository: str
    unchanged: bool = False
    commits_read: int = 0
    commits_added: int = 0
    commits_removed: int = 0
    files_added: int = 0
    warnings: list[ParseWarning] = field(default_factory=list)


def sync_git_repository(
    store: Store,
    repo: GitRepository,
    repo_id: int,
    all_branches: bool,
    mailmap_file: str | None = None,
    progress: Progress | None = None,
) -> GitSyncResult:
    """Bring ``repo_commits`` of ``repo_id`` to the repository's current tips.

    Must run inside ``store.transaction()``: on any error nothing of it is kept.
    """
    result = GitSyncResult(repository=repo.location)
    tips = repo.tips(all_branches)
    cursor = store.cursor_value(CURSOR_SOURCE, repo_id) or {}
    old_tips: dict[str, str] = cursor.get("tips", {})
    mailmap = repo.mailmap_fingerprint(mailmap_file)
    same_branches = cursor.get("all_branches") == all_branches
    if old_tips == tips and same_branches and cursor.get("mailmap") == mailmap:
        result.unchanged = True
        return result

    new_tips = sorted(set(tips.values()))
    old = sorted(set(old_tips.values()))
    known = [sha for sha in old if repo.has_commit(sha)]
    con = store.con
    if same_branches and len(known) == len(old):
        exclude = known
        removed = repo.rev_list(old, exclude=new_tips)
        expected = len(repo.rev_list(new_tips, exclude=exclude))
    else:
        # First sync, other branches, or old tips gone (rewritten and pruned): re-read all.
        exclude = []
        reachable = repo.rev_list(new_tips)
        stored = {
            row[0]
            for row in con.execute(
                "SELECT sha FROM repo_commits WHERE repo_id = ?", [repo_id]
            ).fetchall()
        }
        removed = stored - reachable
        expected = len(reachable)
    if exclude and cursor.get("mailmap") != mailmap:
        _remap(con, repo, exclude, mailmap_file)

    parser = LogStreamParser(pr_refs=repo.pull_request_heads())
    if new_tips:
        command = repo.log_command(new_tips, exclude, LOG_FORMAT, mailmap_file)
        for batch in parser.parse_all(repo.stream_log(command)):
            added_commits, added_files = _load_batch(con, batch, repo_id)
            result.commits_added += added_commits
            result.files_added += added_files
            if progress:
                progress(parser.commit_count, expected)
    result.commits_read = parser.commit_count
    result.warnings = parser.warnings
    result.commits_removed = _remove(con, repo_id, removed)
    store.set_cursor(
        CURSOR_SOURCE, repo_id, {"tips": tips, "all_branches": all_branches, "mailmap": mailmap}
    )
    now = datetime.now(UTC)
    con.execute(
        "UPDATE repositories SET synced_at = ?, default_branch = ? WHERE repo_id = ?",
        [now, repo.default_branch(), repo_id],
    )
    if parser.warnings:
        con.executemany(
            "INSERT INTO sync_warnings VALUES (?, ?, ?, ?)",
            [[repo_id, now, w.sha, w.message] for w in parser.warnings],
        )
    return result


def _load_batch(con: duckdb.DuckDBPyConnection, batch: LogBatch, repo_id: int) -> tuple[int, int]:
    """Insert a batch's new commits (with files and co-authors) and its memberships."""
    con.register("batch_commits", batch.commits)
    con.register("batch_files", batch.files)
    con.register("batch_coauthors", batch.coauthors)
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE batch_new AS SELECT sha FROM batch_commits "
            "ANTI JOIN commits USING (sha)"
        )
        files = con.execute(
            "INSERT INTO commit_files SELECT f.* FROM batch_files f SEMI JOIN batch_new USING (sha)"
        ).fetchall()[0]
        con.execute(
            "INSERT INTO commit_coauthors SELECT c.* FROM batch_coauthors c "
            "SEMI JOIN batch_new USING (sha)"
        )
        commits = con.execute(
            "INSERT INTO commits SELECT c.* FROM batch_commits c SEMI JOIN batch_new USING (sha)"
        ).fetchall()[0]
        con.execute(
            "INSERT OR IGNORE INTO repo_commits SELECT ?, sha FROM batch_commits", [repo_id]
        )
    finally:
        for name in ("batch_commits", "batch_files", "batch_coauthors"):
            con.unregister(name)
        con.execute("DROP TABLE IF EXISTS batch_new")
    return commits[0], files[0]


def _remove(con: duckdb.DuckDBPyConnection, repo_id: int, shas: set[str]) -> int:
    """Drop ``shas`` from the repository; delete commits that no repository reaches any more."""
    if not shas:
        return 0
    gone = pa.table({"sha": pa.array(sorted(shas), pa.string())})
    con.register("gone", gone)
    try:
        con.execute(
            "DELETE FROM repo_commits WHERE repo_id = ? AND sha IN (SELECT sha FROM gone)",
            [repo_id],
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE orphans AS SELECT sha FROM gone "
            "ANTI JOIN repo_commits USING (sha)"
        )
        for table in ("commit_files", "commit_coauthors", "commits"):
            con.execute(f"DELETE FROM {table} WHERE sha IN (SELECT sha FROM orphans)")
        con.execute("DROP TABLE orphans")
    finally:
        con.unregister("gone")
    return len(shas)


def _remap(
    con: duckdb.DuckDBPyConnection, repo: GitRepository, tips: list[str], mailmap_file: str | None
) -> None:
    """Refresh the mailmap-resolved names of already stored commits (the mailmap changed)."""
    command = repo.log_command(
        tips, [], "%H%x00%aN%x00%aE%x00%cN%x00%cE", mailmap_file, numstat=False
    )
    raw = b"".join(repo.stream_log(command)).decode("utf-8", "replace").split("\0")
    columns = [raw[i::5] for i in range(5)]
    if not columns[0] or not columns[0][0]:
        return
    size = min(len(c) for c in columns)
    names = ["sha", "a_name", "a_email", "c_name", "c_email"]
    remap = pa.table(
        {
            n: [v.lstrip("\n") if n == "sha" else v for v in c[:size]]
            for n, c in zip(names, columns, strict=True)
        }
    )
    con.register("remap", remap)
    try:
        con.execute(
            "UPDATE commits SET author_name_mapped = r.a_name, author_email_mapped = r.a_email, "
            "committer_name_mapped = r.c_name, committer_email_mapped = r.c_email "
            "FROM remap r WHERE commits.sha = r.sha"
        )
    finally:
        con.unregister("remap")
