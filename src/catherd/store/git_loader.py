"""Load one repository's history into the store: incremental, idempotent, force-push safe.

The cursor of a repository is the set of ref tips read last time. A sync reads only the
commits reachable from the new tips and not from the old ones; commits no longer reachable
(a rewritten history) lose their membership, and a commit no repository reaches any more is
deleted with its files. A commit shared by several repositories or branches is stored once.
All of it happens inside the caller's transaction.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from catherd.dates import is_plausible
from catherd.errors import SourceError
from catherd.sources.git.logstream import LOG_FORMAT, LogBatch, LogStreamParser, ParseWarning
from catherd.sources.git.repository import GitLogError, GitRepository, Tag
from catherd.store.database import Store

CURSOR_SOURCE = "git"
SPLIT_THRESHOLD = 5_000  # commits to read before an ingest is cut across processes
# More ranges than cores: newer commits cost git more (larger trees), so equal commit counts
# are unequal work; a pool of small ranges keeps every core busy to the end.
RANGES_PER_CORE = 4
Progress = Callable[[int, int], None]  # (commits done, commits expected)
# Moves on when what a sync derives from the mailmap grows (v2: co-authors are mapped too), so
# that stores read by an older catherd get their mapped names refreshed on the next sync.
MAILMAP_RULES = "v2"


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
    skip_missing_objects: bool = False,
) -> GitSyncResult:
    """Bring ``repo_commits`` of ``repo_id`` to the repository's current tips.

    Must run inside ``store.transaction()``: on any error nothing of it is kept.
    """
    result = GitSyncResult(repository=repo.location)
    tags = repo.tags()
    _store_tags(store.con, repo_id, tags)  # tags move without the branches moving
    tips = repo.tips(all_branches, tags)
    cursor = store.cursor_value(CURSOR_SOURCE, repo_id) or {}
    old_tips: dict[str, str] = cursor.get("tips", {})
    mailmap = f"{MAILMAP_RULES}:{repo.mailmap_fingerprint(mailmap_file)}"
    boundary = repo.shallow_boundary()
    same_branches = cursor.get("all_branches") == all_branches
    # a clone deepened or unshallowed keeps its tips: the boundary says history changed
    same_depth = cursor.get("shallow", []) == sorted(boundary)
    if old_tips == tips and same_branches and same_depth and cursor.get("mailmap") == mailmap:
        result.unchanged = True
        return result

    new_tips = sorted(set(tips.values()))
    old = sorted(set(old_tips.values()))
    known = [sha for sha in old if repo.has_commit(sha)]
    con = store.con
    if same_branches and same_depth and len(known) == len(old):
        exclude = known
        removed = repo.rev_list(old, exclude=new_tips)
        to_read = repo.dated_commits(new_tips, exclude)
    else:
        # First sync, other branches, or old tips gone (rewritten and pruned): re-read all.
        exclude = []
        to_read = repo.dated_commits(new_tips)
        stored = {
            row[0]
            for row in con.execute(
                "SELECT sha FROM repo_commits WHERE repo_id = ?", [repo_id]
            ).fetchall()
        }
        removed = stored - {sha for _, sha in to_read}
    if exclude and cursor.get("mailmap") != mailmap:
        _remap(con, repo, exclude, mailmap_file)

    pr_refs = repo.pull_request_heads()
    main_tip = tips.get(f"refs/heads/{repo.default_branch()}") or (new_tips[0] if new_tips else "")
    cores = parallel_processes()
    ranges = _split_history(repo, new_tips, exclude, main_tip, to_read, cores * RANGES_PER_CORE)
    commands = [repo.log_command(inc, exc, LOG_FORMAT, mailmap_file) for inc, exc in ranges]
    parsers = [LogStreamParser(pr_refs=pr_refs, boundary=boundary) for _ in commands]
    coauthors = CoauthorMailmap(repo, mailmap_file)
    dates: list[ParseWarning] = []

    def load(batches: Iterable[LogBatch]) -> None:
        for batch in batches:
            batch.coauthors = coauthors.mapped(batch.coauthors)
            dates.extend(implausible_dates(batch.commits))
            added_commits, added_files = _load_batch(con, batch, repo_id)
            result.commits_added += added_commits
            result.files_added += added_files
            if progress:
                progress(sum(p.commit_count for p in parsers), len(to_read))

    try:
        for index, chunk in repo.stream_logs(commands, at_once=cores):
            # a finished range is loaded at once, so that its last batch is not held in memory
            load(parsers[index].feed(chunk) if chunk is not None else parsers[index].close())
    except GitLogError as exc:
        culprit = parsers[exc.index].last_sha
        if not (exc.missing_object and skip_missing_objects):
            if exc.missing_object:
                raise SourceError(
                    f"{repo.location}: commit {culprit or '(first)'} needs an object this copy "
                    f"lacks ({exc.stderr.splitlines()[-1] if exc.stderr else 'unknown'}); nothing "
                    "was stored. Run again with --skip-missing-objects to ingest such commits "
                    "without line counts."
                ) from None
            raise
        for parser in parsers:  # every process was stopped: keep their complete commits
            parser.abandon_current()
            load(parser.close())
        loaded = {
            row[0]
            for row in con.execute(
                "SELECT sha FROM repo_commits WHERE repo_id = ?", [repo_id]
            ).fetchall()
        }
        pending = [sha for _, sha in to_read if sha not in loaded]
        parsers.append(_read_one_by_one(repo, pending, pr_refs, boundary, mailmap_file, load))
    result.commits_read = sum(p.commit_count for p in parsers)
    result.warnings = [w for p in parsers for w in p.warnings] + dates
    if boundary:
        result.warnings.append(
            ParseWarning(
                None,
                f"shallow clone: history stops at {len(boundary)} boundary commit(s), whose "
                "changes are not counted; contributions older than them are missing (fetch the "
                "full history and sync again)",
            )
        )
    result.commits_removed = _remove(con, repo_id, removed)
    state = {"tips": tips, "all_branches": all_branches, "mailmap": mailmap}
    store.set_cursor(CURSOR_SOURCE, repo_id, {**state, "shallow": sorted(boundary)})
    now = datetime.now(UTC)
    con.execute(
        "UPDATE repositories SET synced_at = ?, default_branch = ? WHERE repo_id = ?",
        [now, repo.default_branch(), repo_id],
    )
    if result.warnings:
        con.executemany(
            "INSERT INTO sync_warnings VALUES (?, ?, ?, ?)",
            [[repo_id, now, w.sha, w.message] for w in result.warnings],
        )
    return result


def _store_tags(con: duckdb.DuckDBPyConnection, repo_id: int, tags: list[Tag]) -> None:
    rows = sorted(
        (repo_id, t.name, t.sha, t.tagged_at, t.tagger_name, t.tagger_email) for t in tags
    )
    stored = con.execute(
        "SELECT repo_id, name, sha, tagged_at, tagger_name, tagger_email FROM repo_tags "
        "WHERE repo_id = ? ORDER BY name",
        [repo_id],
    ).fetchall()
    if stored == rows:
        return  # unchanged: write nothing
    con.execute("DELETE FROM repo_tags WHERE repo_id = ?", [repo_id])
    if rows:
        con.executemany("INSERT INTO repo_tags VALUES (?, ?, ?, ?, ?, ?)", rows)


def _read_one_by_one(
    repo: GitRepository,
    pending: list[str],
    pr_refs: dict[str, int],
    boundary: set[str],
    mailmap_file: str | None,
    load: Callable[[Iterable[LogBatch]], None],
) -> LogStreamParser:
    """Read ``pending`` commits in order; a commit whose objects are missing keeps no lines.

    git stops at the first unreadable object, so each such commit costs a restart after it.
    Its metadata is read again without ``--numstat``, and a warning names it.
    """
    parser = LogStreamParser(pr_refs=pr_refs, boundary=boundary)
    while pending:
        command = repo.log_command([], [], LOG_FORMAT, mailmap_file)
        try:
            load(_feed_all(parser, repo, command, pending))
            return parser
        except GitLogError as exc:
            if not exc.missing_object:
                raise
            bad = parser.abandon_current() or pending[0]
            load(parser.close())
            bare = repo.log_command([], [], LOG_FORMAT, mailmap_file, numstat=False)
            load(_feed_all(parser, repo, bare, [bad]))
            reason = exc.stderr.splitlines()[-1] if exc.stderr else "an object is missing"
            parser.warnings.append(ParseWarning(bad, f"no line counts: {reason}"))
            pending = pending[pending.index(bad) + 1 :] if bad in pending else pending[1:]
    return parser


def _feed_all(
    parser: LogStreamParser, repo: GitRepository, command: list[str], shas: list[str]
) -> Iterator[LogBatch]:
    stdin = "".join(f"{sha}\n" for sha in shas).encode()
    for chunk in repo.stream_log(command, stdin=stdin):
        yield from parser.feed(chunk)
    yield from parser.close()


def parallel_processes() -> int:
    """How many ``git log`` processes one large ingest runs side by side: one per core."""
    return max(1, min(os.cpu_count() or 1, 8))


def _split_history(
    repo: GitRepository,
    include: list[str],
    exclude: list[str],
    main_tip: str,
    to_read: list[tuple[int, str]],
    parts: int,
) -> list[tuple[list[str], list[str]]]:
    """Cut the commits to read into ``parts`` disjoint ranges of about equal size.

    The cuts are commits ``M1, M2, ...`` on the main tip's first-parent chain, newest first,
    chosen by the commit times of what is to be read. Range 0 is ``include ^M1``, range k is
    ``M_k ^M_(k+1)``, the last is ``M_last``, all minus ``exclude``: since each cut is an
    ancestor of the one before, the ranges are disjoint and together are exactly the
    commits to read. Small reads stay in one range (a process costs more than it saves).
    """
    if not include:
        return []
    if parts < 2 or len(to_read) < max(SPLIT_THRESHOLD, 2 * parts) or not main_tip:
        return [(include, exclude)]
    times = sorted(ts for ts, _ in to_read)
    chain = repo.dated_commits([main_tip], exclude, first_parent=True)  # newest first
    cuts: list[str] = []
    for k in range(1, parts):
        target = times[len(times) * (parts - k) // parts]  # the older side holds (parts-k)/parts
        cut = next((sha for ts, sha in chain if ts <= target), None)
        if cut and cut not in cuts and cut != main_tip:
            cuts.append(cut)
    ranges = []
    tops = [include, *[[cut] for cut in cuts]]
    for k, top in enumerate(tops):
        below = [cuts[k]] if k < len(cuts) else []
        ranges.append((top, [*exclude, *below]))
    return ranges


class CoauthorMailmap:
    """Map co-authors through the repository's mailmap, as git maps authors (``%aN``/``%aE``).

    git applies the mailmap to authors and committers but not to trailers; ``git
    check-mailmap`` applies the same rules to any contact, in bulk. Contacts are mapped once
    per sync.
    """

    def __init__(self, repo: GitRepository, mailmap_file: str | None) -> None:
        self.repo = repo
        self.mailmap_file = mailmap_file
        self.known: dict[tuple[str, str], tuple[str, str]] = {}

    def lookup(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
        """(name, e-mail) -> (mapped name, mapped e-mail) for every pair given."""
        new = sorted({pair for pair in pairs if pair not in self.known})
        contacts = [f"{name} <{email}>" if name else f"<{email}>" for name, email in new]
        mapped = self.repo.check_mailmap(contacts, self.mailmap_file)
        for pair, line in zip(new, mapped, strict=True):
            name, _, email = line.rpartition("<")
            self.known[pair] = (name.strip(), email.rstrip().removesuffix(">"))
        return self.known

    def mapped(self, coauthors: pa.Table) -> pa.Table:
        """``coauthors`` with ``name_mapped`` and ``email_mapped`` columns added."""
        names, emails = coauthors.column("name").to_pylist(), coauthors.column("email").to_pylist()
        pairs = list(zip(names, emails, strict=True))
        known = self.lookup(pairs)
        return coauthors.append_column(
            "name_mapped", pa.array([known[p][0] for p in pairs], pa.string())
        ).append_column("email_mapped", pa.array([known[p][1] for p in pairs], pa.string()))


def implausible_dates(commits: pa.Table) -> list[ParseWarning]:
    """A warning for each commit whose author date cannot be right (2099, 1970...)."""
    dated = zip(
        commits.column("sha").to_pylist(), commits.column("authored_at").to_pylist(), strict=True
    )
    return [
        ParseWarning(
            sha,
            f"author date {when:%Y-%m-%d} is implausible: kept as recorded, "
            "left out of default periods",
        )
        for sha, when in dated
        if when is not None and not is_plausible(when)
    ]


def _load_batch(con: duckdb.DuckDBPyConnection, batch: LogBatch, repo_id: int) -> tuple[int, int]:
    """Insert a batch's new commits (with files and co-authors) and its memberships.

    A commit stored as a shallow clone's boundary (no parents, no changes counted) is
    replaced when it is read again from a complete history.
    """
    con.register("batch_commits", batch.commits)
    con.register("batch_files", batch.files)
    con.register("batch_coauthors", batch.coauthors)
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE batch_new AS SELECT b.sha FROM batch_commits b "
            "LEFT JOIN commits c USING (sha) "
            "WHERE c.sha IS NULL OR (c.shallow_boundary AND NOT b.shallow_boundary)"
        )
        for table in ("commit_files", "commit_coauthors", "commits"):
            con.execute(f"DELETE FROM {table} WHERE sha IN (SELECT sha FROM batch_new)")
        files = con.execute(
            "INSERT INTO commit_files SELECT f.* FROM batch_files f SEMI JOIN batch_new USING (sha)"
        ).fetchall()[0]
        con.execute(
            "INSERT INTO commit_coauthors BY NAME SELECT c.* FROM batch_coauthors c "
            "SEMI JOIN batch_new USING (sha)"
        )
        commits = con.execute(
            "INSERT INTO commits BY NAME SELECT c.*, coalesce(t.files, 0) AS files_changed, "
            "coalesce(t.added, 0) AS lines_added, coalesce(t.deleted, 0) AS lines_deleted "
            "FROM batch_commits c SEMI JOIN batch_new USING (sha) "
            "LEFT JOIN (SELECT sha, count(*) AS files, sum(added) AS added, "
            "sum(deleted) AS deleted FROM batch_files GROUP BY sha) t USING (sha)"
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
    con.register("coauthor_map", pa.table({"name": pa.array([], pa.string())}))
    try:
        con.execute(
            "UPDATE commits SET author_name_mapped = r.a_name, author_email_mapped = r.a_email, "
            "committer_name_mapped = r.c_name, committer_email_mapped = r.c_email "
            "FROM remap r WHERE commits.sha = r.sha"
        )
        pairs = con.execute(
            "SELECT DISTINCT name, email FROM commit_coauthors SEMI JOIN remap USING (sha)"
        ).fetchall()
        known = CoauthorMailmap(repo, mailmap_file).lookup(pairs)
        mapping = pa.table(
            {
                "name": [p[0] for p in pairs],
                "email": [p[1] for p in pairs],
                "name_mapped": [known[p][0] for p in pairs],
                "email_mapped": [known[p][1] for p in pairs],
            }
        )
        con.register("coauthor_map", mapping)
        con.execute(
            "UPDATE commit_coauthors SET name_mapped = m.name_mapped, "
            "email_mapped = m.email_mapped FROM coauthor_map m "
            "WHERE commit_coauthors.name = m.name AND commit_coauthors.email = m.email "
            "AND commit_coauthors.sha IN (SELECT sha FROM remap)"
        )
    finally:
        con.unregister("remap")
        con.unregister("coauthor_map")
