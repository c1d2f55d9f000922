"""Who should review a pull request: ownership of its files, weighed down by current load.

For each person, over the ``window_days`` before the pull request (``as_of``):

- *authorship*: commits they authored that touched the same files (1 point each) or other
  files in the same directories (0.25), each decayed by age (half-life ``half_life_days``);
- *reviews*: reviews they gave to pull requests touching the same files (same points),
  where GitHub data holds them;
- *load*: pull requests still open at ``as_of`` that they reviewed or are asked to review.

score = (authorship + reviews) / (1 + load). The pull request's author, bots, and people
with nothing in the window are left out. Every number behind a score is returned, so the
ranking can be explained in words.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from posixpath import dirname
from typing import Any

from catherd.errors import InputError
from catherd.metrics import Params
from catherd.metrics.runner import run_metric
from catherd.store.database import Store

DIRECTORY_WEIGHT = 0.25


@dataclass
class Candidate:
    who: str
    person_id: str | None = None
    login: str | None = None
    commits_on_files: int = 0
    commits_in_directories: int = 0
    reviews_on_files: int = 0
    ownership: float = 0.0
    load: int = 0
    last_active: datetime | None = None
    files: set[str] = field(default_factory=set)

    @property
    def score(self) -> float:
        return self.ownership / (1 + self.load)

    def explain(self, total_files: int) -> str:
        parts = []
        if self.commits_on_files:
            parts.append(f"wrote {self.commits_on_files} commit(s) on {len(self.files)} of the "
                         f"{total_files} files")  # fmt: skip
        if self.commits_in_directories:
            parts.append(f"{self.commits_in_directories} more in the same directories")
        if self.reviews_on_files:
            parts.append(f"reviewed {self.reviews_on_files} pull request(s) on these files")
        if self.last_active:
            parts.append(f"last active {self.last_active:%Y-%m-%d}")
        parts.append(f"{self.load} open review(s) waiting" if self.load else "no open reviews")
        return "; ".join(parts)


@dataclass
class Suggestion:
    pull_request: int
    files: list[str]
    author: str | None
    as_of: datetime
    candidates: list[Candidate]


def _pr_commits(store: Store, number: int, repository: str | None) -> list[dict[str, Any]]:
    sql = (
        "SELECT c.sha, c.authored_at, i.person_id FROM commits c "
        "JOIN contributions i ON i.sha = c.sha AND i.role = 'author' WHERE c.pr_number = ?"
    )
    params: list[Any] = [number]
    if repository:
        sql += (
            " AND c.sha IN (SELECT sha FROM repo_commits "
            "JOIN repositories USING (repo_id) WHERE name = ?)"
        )
        params.append(repository)
    return store.rows(sql + " ORDER BY c.authored_at", params)


def suggest_reviewers(
    store: Store,
    number: int,
    repository: str | None = None,
    files: list[str] | None = None,
    as_of: datetime | None = None,
    window_days: int = 365,
    half_life_days: float = 180,
    limit: int = 5,
) -> Suggestion:
    """Rank people to review pull request ``number`` (see the module docstring)."""
    commits = _pr_commits(store, number, repository)
    same_repo = "AND ($repo IS NULL OR repo = $repo)"
    item = store.rows(
        f"SELECT author, created_at FROM gh_items WHERE is_pr AND number = $n {same_repo}",
        {"n": number, "repo": repository},
    )
    if files is None:
        files = sorted(
            {r["path"] for r in store.rows(
                "SELECT DISTINCT path FROM commit_files WHERE list_contains($shas, sha) UNION "
                f"SELECT path FROM gh_pull_files WHERE number = $n {same_repo}",
                {"shas": [c["sha"] for c in commits], "n": number, "repo": repository},
            )}
        )  # fmt: skip
    if not files:
        raise InputError(
            f"pull request #{number}: no files known for it (no commit names it, and no "
            "GitHub data lists them); give them with --files"
        )
    if as_of is None:
        as_of = item[0]["created_at"] if item else (commits[0]["authored_at"] if commits else None)
        as_of = as_of or datetime.now(UTC)
    authors = {c["person_id"] for c in commits}
    author_login = item[0]["author"] if item else None
    start = as_of - timedelta(days=window_days)
    wanted = set(files)
    directories = {dirname(f) for f in files}
    candidates: dict[str, Candidate] = {}
    names = {r["person_id"]: r for r in store.rows(
        "SELECT p.person_id, p.display_name, p.is_bot, any_value(i.login) AS login "
        "FROM people p JOIN identities i USING (person_id) GROUP BY ALL")}  # fmt: skip
    touched = store.rows(
        "SELECT c.sha, c.person_id, c.contributed_at, f.path FROM contributions c "
        "JOIN commit_files f USING (sha) WHERE c.role = 'author' AND NOT c.is_bot "
        "AND c.contributed_at >= ? AND c.contributed_at < ?", [start, as_of],
    )  # fmt: skip
    per_commit: dict[tuple[str, str, datetime], set[str]] = defaultdict(set)
    for row in touched:
        per_commit[(row["sha"], row["person_id"], row["contributed_at"])].add(row["path"])
    for (_, person, when), paths in per_commit.items():
        if person in authors:
            continue
        exact = paths & wanted
        near = not exact and any(dirname(p) in directories for p in paths)
        if not exact and not near:
            continue
        info = names.get(person, {})
        fresh = Candidate(info.get("display_name", person), person, info.get("login"))
        candidate = candidates.setdefault(person, fresh)
        decay = 0.5 ** ((as_of - when).total_seconds() / 86400 / half_life_days)
        if exact:
            candidate.commits_on_files += 1
            candidate.files |= exact
            candidate.ownership += decay
        else:
            candidate.commits_in_directories += 1
            candidate.ownership += DIRECTORY_WEIGHT * decay
        candidate.last_active = max(filter(None, [candidate.last_active, when]))
    _add_reviews(store, candidates, wanted, start, as_of, author_login, half_life_days)
    _add_load(store, candidates, as_of)
    ranked = sorted(
        (c for c in candidates.values() if c.ownership > 0 and not math.isnan(c.score)),
        key=lambda c: (-c.score, c.who),
    )
    return Suggestion(number, list(files), author_login, as_of, ranked[:limit])


def _add_reviews(
    store: Store,
    candidates: dict[str, Candidate],
    files: set[str],
    start: datetime,
    as_of: datetime,
    author: str | None,
    half_life: float,
) -> None:
    rows = store.rows(
        "SELECT r.reviewer, r.submitted_at, f.path FROM gh_reviews r "
        "JOIN gh_pull_files f ON f.repo = r.repo AND f.number = r.number "
        "WHERE NOT r.reviewer_is_bot AND r.submitted_at >= ? AND r.submitted_at < ?",
        [start, as_of],
    )
    by_login = {c.login.lower(): c for c in candidates.values() if c.login}
    seen: set[tuple[str, datetime]] = set()
    for row in rows:
        if row["path"] not in files or row["reviewer"] == author:
            continue
        key = (row["reviewer"], row["submitted_at"])
        if key in seen:
            continue
        seen.add(key)
        login = row["reviewer"].lower()
        candidate = by_login.get(login) or candidates.setdefault(
            f"github:{login}", Candidate(who=row["reviewer"], login=login))  # fmt: skip
        by_login[login] = candidate
        candidate.reviews_on_files += 1
        decay = 0.5 ** ((as_of - row["submitted_at"]).total_seconds() / 86400 / half_life)
        candidate.ownership += decay
        candidate.last_active = max(filter(None, [candidate.last_active, row["submitted_at"]]))


def _add_load(store: Store, candidates: dict[str, Candidate], as_of: datetime) -> None:
    """Open pull requests at ``as_of`` each candidate reviewed or is asked to review."""
    rows = store.rows(
        "WITH open_prs AS (SELECT repo, number FROM gh_items WHERE is_pr AND created_at <= $t "
        "AND (closed_at IS NULL OR closed_at > $t)) "
        "SELECT lower(r.reviewer) AS login, count(DISTINCT r.repo || r.number) AS n "
        "FROM gh_reviews r JOIN open_prs USING (repo, number) "
        "WHERE r.submitted_at <= $t GROUP BY 1 "
        "UNION ALL "
        "SELECT q.login, 1 FROM gh_review_requests q JOIN open_prs USING (repo, number)",
        {"t": as_of},
    )
    load: dict[str, int] = defaultdict(int)
    for row in rows:
        load[row["login"]] += int(row["n"])
    for candidate in candidates.values():
        if candidate.login:
            candidate.load = load.get(candidate.login.lower(), 0)


def gini(values: list[float]) -> float:
    """Gini coefficient of non-negative values: 0 when all equal, towards 1 when one has all."""
    ordered = sorted(v for v in values if v >= 0)
    n, total = len(ordered), sum(ordered)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((i + 1) * v for i, v in enumerate(ordered))
    return (2 * weighted) / (n * total) - (n + 1) / n


def reviewers_over_load(
    store: Store, as_of: datetime, factor: float = 1.5, floor: int = 3
) -> list[dict[str, Any]]:
    """Reviewers asked for more than they usually give: open pull requests awaiting their
    review now, against their usual month (pull requests they reviewed in the year before
    ``as_of``, divided by 12). Over when awaiting > max(``floor``, ``factor`` x usual)."""
    since = (as_of - timedelta(days=365)).date()
    rows = run_metric(store, "review_load", Params(since=since, until=as_of.date()))
    over = []
    for row in rows:
        usual = row["pull_requests"] / 12
        if row["awaiting"] > max(floor, factor * usual):
            over.append({**row, "usual_per_month": round(usual, 1)})
    return sorted(over, key=lambda r: (-r["awaiting"], r["reviewer"]))


SPARE_DAYS = 90  # a reviewer is active when they reviewed within this many days


def spare_reviewers(
    store: Store, as_of: datetime, days: int = SPARE_DAYS, exclude: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """Who has review capacity to spare: the people who reviewed in the ``days`` before
    ``as_of`` (the ``review_load`` metric), fewest open reviews waiting on them first, then
    the most reviews given. ``exclude`` are logins left out (a pull request's author)."""
    params = Params(since=(as_of - timedelta(days=days)).date(), until=as_of.date() + timedelta(1))
    left_out = {login.lower() for login in exclude}
    rows = [r for r in run_metric(store, "review_load", params)
            if r["reviews"] and r["reviewer"].lower() not in left_out]  # fmt: skip
    return sorted(rows, key=lambda r: (r["awaiting"], -r["reviews"], r["reviewer"].lower()))
