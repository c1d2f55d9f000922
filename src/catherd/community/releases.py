"""Releases and their credits: who contributed to each release, and who for the first time.

A *release* is a version tag (``sources.git.versions``: ``v1.2.3``, ``1.2.3``,
``name-1.2.3``); pre-releases (``a``, ``b``, ``rc``, ``.dev``) are marked and left out of
the list of releases unless asked for. A release's *range* is what ``git log PREVIOUS..TAG``
would show if releases were cut on one line, made right for maintenance branches: the
commits reachable from the tag and not from its *base*, the merge base of the tag with the
previous final release of the same series in version order (its branch point). The first
release of a series has no base: all its history. ``since`` overrides the base with any
revision.

Its *contributors* are the authors and ``Co-authored-by`` co-authors of the range's commits,
both read through the mailmap, as people (identity rules) and then as names: people catherd
keeps apart who carry the same display name are one name, as in the lists projects publish.
A name is a *first-timer* when nobody of that name, and none of its people, has a
contribution reachable from the base. Bots are left out; people who asked to be forgotten
are counted but not named. With GitHub data, the *reviewers* are the people who reviewed the
pull requests whose merge commits are in the range (not their own, no bots).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from catherd.community.ancestry import CommitGraph
from catherd.errors import InputError, SourceError
from catherd.identity.suggest import name_key
from catherd.sources.git.repository import GitRepository, run_git
from catherd.sources.git.versions import TagVersion, tag_version
from catherd.store.database import Store


@dataclass(frozen=True)
class Release:
    repository: str
    repo_id: int
    tag: str
    sha: str
    tagged_at: datetime
    version: TagVersion

    @property
    def prerelease(self) -> bool:
        return self.version.prerelease


@dataclass
class Credit:
    """One name in a release's credits."""

    name: str
    first_time: bool
    commits: int  # commits of the range this name authored or co-authored
    person_ids: list[str] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


@dataclass
class Credits:
    release: Release
    since: str | None  # where the range starts (previous release or given); None: all history
    rule: str  # how the range was chosen, in words
    commits: int
    contributors: list[Credit]
    unnamed: int  # contributors who asked not to be named (counted, not listed)
    reviewers: list[Credit] | None  # None: no GitHub data about this range

    @property
    def first_timers(self) -> int:
        return sum(c.first_time for c in self.contributors)

    @property
    def total(self) -> int:
        return len(self.contributors) + self.unnamed

    def summary(self) -> dict[str, Any]:
        """The release and its counts: one line of a list of releases."""
        return {
            "repository": self.release.repository,
            "release": self.release.tag,
            "version": str(self.release.version.version),
            "prerelease": self.release.prerelease,
            "date": self.release.tagged_at,
            "since": self.since,
            "range_rule": self.rule,
            "commits": self.commits,
            "contributors": self.total,
            "first_timers": self.first_timers,
        }

    def to_json(self) -> dict[str, Any]:
        """Everything, with the names: what ``catherd credits --json`` prints."""
        return {
            **self.summary(),
            "date": self.release.tagged_at.isoformat(),
            "total": self.total,
            "unnamed": self.unnamed,
            "contributors": [vars(c) for c in self.contributors],
            "reviewers": None if self.reviewers is None else [vars(c) for c in self.reviewers],
        }


class ReleaseBook:
    """The releases of a store's repositories, and their credits.

    One book answers many questions (every release with its credits, a page, a report), so
    it keeps what they share: each repository's commit graph (ancestry is answered in memory,
    community.ancestry), its contributions by commit, and its git copy (for revisions and
    the mailmap of a release).
    """

    def __init__(self, store: Store, mailmap_file: str | None = None) -> None:
        self.store = store
        self.mailmap_file = mailmap_file
        self._repos: dict[int, GitRepository] = {}
        self._graphs: dict[int, CommitGraph] = {}
        self._by_commit: dict[int, dict[str, list[tuple[str, str]]]] = {}
        self._all: list[Release] | None = None

    def releases(self, repository: str | None = None, prereleases: bool = False) -> list[Release]:
        """Every release of every repository (or of one), oldest version first."""
        if repository and not self.store.scalar(
            "SELECT count(*) FROM repositories WHERE name = ?", [repository]
        ):
            raise InputError(f"--repo {repository!r}: no repository of that name")
        return [
            r
            for r in self._every_release()
            if (repository is None or r.repository == repository)
            and (prereleases or not r.prerelease)
        ]

    def find(self, tag: str, repository: str | None = None) -> Release:
        """The release (or pre-release) tagged ``tag``; ``repository`` settles an ambiguous
        tag."""
        matches = [r for r in self.releases(repository, prereleases=True) if r.tag == tag]
        if not matches:
            where = f" in {repository}" if repository else ""
            raise InputError(
                f"{tag!r}: no version tag of that name{where} (see `catherd releases --all`)"
            )
        if len(matches) > 1:
            names = ", ".join(r.repository for r in matches)
            raise InputError(f"{tag!r} is a tag of several repositories ({names}): add --repo NAME")
        return matches[0]

    def previous(self, release: Release) -> Release | None:
        """The final release before ``release`` in version order, in the same series."""
        series, version = release.version.series, release.version.version
        earlier = [
            r
            for r in self.releases(release.repository)
            if r.version.series == series and r.version.version < version
        ]
        return earlier[-1] if earlier else None

    def credits(
        self,
        release: Release,
        since: str | None = None,
        reviewers: bool = True,
        coauthors: bool = True,
        current_names: bool = False,
        first_time_by: str = "person",
    ) -> Credits:
        """Who contributed to ``release`` (see the module's docstring for every rule).

        ``coauthors=False`` credits commit authors only, as projects that publish
        ``git shortlog``'s author list do. Names are those the release's own ``.mailmap``
        gives (plus the project's extra mailmap), as the project printed them then;
        ``current_names`` takes today's instead. A first-timer is someone neither whose
        person nor whose printed name contributed before the range; ``first_time_by="name"``
        judges on the printed name alone, as lists built from ``git shortlog`` names do (they
        welcome back as "+" someone who contributed before under another name).
        """
        if first_time_by not in ("person", "name"):
            raise InputError(f"first time by {first_time_by!r}: say person or name")
        graph = self._graph(release)
        if release.sha not in graph:
            raise SourceError(
                f"{release.repository}: the commits of {release.tag} are not in the store yet "
                "(run `catherd sync`)"
            )
        reachable = graph.ancestors(release.sha)
        start: str | None
        if since is not None:
            sha = _revision(self._repository(release), since, release)
            if sha not in graph:
                raise InputError(
                    f"--since {since!r}: not a commit catherd holds for {release.repository}"
                )
            start, rule = since, f"since {since} (given)"
            before = reachable & graph.ancestors(sha)
        elif (previous := self.previous(release)) is not None:
            start = previous.tag
            rule = f"since the branch point with {previous.tag} (the previous release)"
            before = reachable & graph.ancestors(previous.sha)  # what the merge base reaches
        else:
            start, rule, before = None, "the whole history: the first release of its series", 0
        in_range = list(graph.members(reachable & ~before))
        roles = ["author", "coauthor"] if coauthors else ["author"]
        by_commit = self._contributions(release)
        earlier = {
            identity
            for sha in graph.members(before)
            for identity, role in by_commit.get(sha, ())
            if role in roles
        }
        repo = None if current_names else self._repository(release)
        names = _current_names if repo is None else names_at(repo, release.sha, self.mailmap_file)
        contributors, unnamed = _contributors(
            self.store, in_range, earlier, roles, names, by_person=first_time_by == "person"
        )
        return Credits(
            release=release,
            since=start,
            rule=rule,
            commits=len(in_range),
            contributors=contributors,
            unnamed=unnamed,
            reviewers=_reviewers(self.store, in_range) if reviewers else None,
        )

    def _every_release(self) -> list[Release]:
        if self._all is None:
            found = []
            for row in self.store.rows(
                "SELECT r.name, r.repo_id, t.name AS tag, t.sha, t.tagged_at FROM repo_tags t "
                "JOIN repositories r USING (repo_id)"
            ):
                if version := tag_version(row["tag"]):
                    found.append(
                        Release(
                            row["name"],
                            row["repo_id"],
                            row["tag"],
                            row["sha"],
                            row["tagged_at"],
                            version,
                        )
                    )
            self._all = sorted(
                found, key=lambda r: (r.repository, r.version.series, r.version.version)
            )
        return self._all

    def _repository(self, release: Release) -> GitRepository:
        if release.repo_id not in self._repos:
            row = self.store.rows(
                "SELECT location, kind, git_dir FROM repositories WHERE repo_id = ?",
                [release.repo_id],
            )[0]
            if not Path(row["git_dir"]).exists():
                raise SourceError(
                    f"{release.repository}: its git data is no longer at {row['git_dir']} "
                    "(run `catherd sync` to mirror it again)"
                )
            self._repos[release.repo_id] = GitRepository(
                row["location"], Path(row["git_dir"]), row["kind"]
            )
        return self._repos[release.repo_id]

    def _graph(self, release: Release) -> CommitGraph:
        if release.repo_id not in self._graphs:
            self._graphs[release.repo_id] = CommitGraph(self.store, release.repo_id)
        return self._graphs[release.repo_id]

    def _contributions(self, release: Release) -> dict[str, list[tuple[str, str]]]:
        """(identity, role) of each commit's contributions (bots left out), per commit."""
        if release.repo_id not in self._by_commit:
            found: dict[str, list[tuple[str, str]]] = defaultdict(list)
            for sha, identity, role in self.store.con.execute(
                "SELECT sha, identity_id, role FROM contributions WHERE NOT is_bot AND sha IN "
                "(SELECT sha FROM repo_commits WHERE repo_id = ?)",
                [release.repo_id],
            ).fetchall():
                found[sha].append((identity, role))
            self._by_commit[release.repo_id] = found
        return self._by_commit[release.repo_id]


def _revision(repo: GitRepository, revision: str, release: Release) -> str:
    sha = run_git(
        repo.git_dir, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", check=False
    ).strip()
    if not sha:
        raise InputError(f"--since {revision!r}: not a revision of {release.repository}")
    return sha


# The identities of the range's contributions (how many commits each), and those before it
_RANGE_IDENTITIES = """
SELECT c.person_id, c.identity_id, i.name, i.email, i.mapped_name, count(DISTINCT c.sha) AS n,
       p.hidden OR p.forgotten AS unnamed
FROM contributions c JOIN identities i USING (identity_id) JOIN people p
  ON p.person_id = c.person_id
WHERE NOT c.is_bot AND c.role IN $roles AND c.sha IN (SELECT unnest($shas::VARCHAR[]))
GROUP BY ALL
"""
_PRIOR_IDENTITIES = """
SELECT i.person_id, i.identity_id, i.name, i.email, i.mapped_name, p.name_key
FROM identities i JOIN people p USING (person_id)
WHERE i.identity_id IN (SELECT unnest($ids::VARCHAR[]))
"""
_LOGINS = """
SELECT person_id, list(DISTINCT login ORDER BY login) AS logins FROM identities
WHERE login IS NOT NULL AND list_contains($ids, person_id) GROUP BY person_id
"""


def _contributors(
    store: Store, in_range: list[str], before: set[str], roles: list[str], names: Namer,
    by_person: bool = True,
) -> tuple[list[Credit], int]:  # fmt: skip
    """The range's credits by name, and how many may not be named. ``before`` holds the
    identities that contributed before the range."""
    # lists as parameters, not registered tables: the store may be the dashboard's snapshot
    current = store.rows(_RANGE_IDENTITIES, {"roles": roles, "shas": in_range})
    prior = store.rows(_PRIOR_IDENTITIES, {"ids": sorted(before)})
    name_of = names([*current, *prior])
    seen_people = {row["person_id"] for row in prior} if by_person else set()
    seen_names = {name_key(name_of[row["identity_id"]]) for row in prior}
    if by_person:
        seen_names |= {row["name_key"] for row in prior if row["name_key"]}
    people: dict[str, Counter[str]] = defaultdict(Counter)  # person -> names, by commits
    unnamed_people = {row["person_id"] for row in current if row["unnamed"]}
    for row in current:
        people[row["person_id"]][name_of[row["identity_id"]]] += row["n"]
    groups: dict[str, list[str]] = defaultdict(list)
    for person, used in people.items():
        groups[name_key(used.most_common(1)[0][0]) or person].append(person)
    ids = list(people)
    logins = {r["person_id"]: r["logins"] for r in store.rows(_LOGINS, {"ids": ids})}
    credits, unnamed = [], 0
    for key, members in groups.items():
        if unnamed_people.intersection(members):
            unnamed += 1
            continue
        used = sum((people[m] for m in members), Counter())
        credits.append(
            Credit(
                name=max(used, key=lambda n: (used[n], n)) or "(no name)",
                first_time=key not in seen_names and not seen_people.intersection(members),
                commits=sum(used.values()),
                person_ids=sorted(members),
                logins=sorted({x for m in members for x in logins.get(m, [])}),
            )
        )
    credits.sort(key=lambda c: (c.name.casefold(), c.name))
    return credits, unnamed


Namer = Callable[[list[dict[str, Any]]], dict[str, str]]  # identity rows -> id -> name


def _current_names(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Names as the mailmap in force at the last sync gives them."""
    return {row["identity_id"]: row["mapped_name"] or row["name"] or "" for row in rows}


def names_at(repo: GitRepository, revision: str, mailmap_file: str | None) -> Namer:
    """Names as the mailmap of ``revision`` gave them: what the project printed then."""

    def namer(rows: list[dict[str, Any]]) -> dict[str, str]:
        unique = {row["identity_id"]: row for row in rows}
        contacts = [
            f"{row['name']} <{row['email']}>" if row["name"] else f"<{row['email']}>"
            for row in unique.values()
        ]
        mapped = repo.check_mailmap(contacts, mailmap_file, revision)
        return {
            key: line.rpartition("<")[0].strip() for key, line in zip(unique, mapped, strict=True)
        }

    return namer


_REVIEWERS = """
WITH prs AS (
    SELECT DISTINCT pr.repo, pr.number, i.author FROM gh_pr_commits pr
    JOIN gh_items i ON i.repo = pr.repo AND i.number = pr.number
    WHERE pr.sha IN (SELECT unnest($shas::VARCHAR[]))
),
reviews AS (
    SELECT DISTINCT lower(r.reviewer) AS login, prs.repo, prs.number FROM gh_reviews r
    JOIN prs ON prs.repo = r.repo AND prs.number = r.number
    WHERE NOT r.reviewer_is_bot AND r.reviewer IS NOT NULL AND r.reviewer <> prs.author
)
SELECT r.login, any_value(p.display_name) AS name, any_value(p.person_id) AS person_id,
       count(*) AS reviews, bool_or(coalesce(p.hidden OR p.forgotten, FALSE)) AS unnamed
FROM reviews r
LEFT JOIN (SELECT DISTINCT login, person_id FROM identities WHERE login IS NOT NULL) i
       ON i.login = r.login
LEFT JOIN people p USING (person_id)
GROUP BY r.login ORDER BY lower(coalesce(any_value(p.display_name), r.login))
"""


def _reviewers(store: Store, in_range: list[str]) -> list[Credit] | None:
    """Who reviewed the range's pull requests; None when the store has no GitHub data."""
    if not store.scalar("SELECT count(*) FROM gh_items WHERE is_pr"):
        return None
    rows = store.rows(_REVIEWERS, {"shas": in_range})
    return [
        Credit(
            r["name"] or r["login"],
            False,
            r["reviews"],
            [r["person_id"]] if r["person_id"] else [],
            [r["login"]],
        )
        for r in rows
        if not r["unnamed"]
    ]
