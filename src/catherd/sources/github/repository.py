"""The GitHub endpoints catherd reads for one repository, Perceval-style: one class, one source.

Repository-wide listings with ``since`` (issues and pull requests, issue comments, review
comments) cost one request per 100 changed items; issue events are read newest first until
known ones appear; each pull request updated since the last sync costs one request for its
details (merge time, requested reviewers) and one per 100 reviews.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from catherd.errors import InputError
from catherd.sources.github.client import GitHubClient, Page

# GitHub Enterprise allows "_" in owners (github.com does not): accept both.
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,38}/[A-Za-z0-9._-]{1,100}$")
PREFIX = "github:"
PER_PAGE = 100

# kind stored -> (path under the repository, query); all sorted by update time, oldest first
UPDATED_LISTINGS: dict[str, tuple[str, dict[str, Any]]] = {
    "issue": ("/issues", {"state": "all", "sort": "updated", "direction": "asc"}),
    "issue_comment": ("/issues/comments", {"sort": "updated", "direction": "asc"}),
    "review_comment": ("/pulls/comments", {"sort": "updated", "direction": "asc"}),
}


def parse_slug(location: str) -> str:
    """``github:owner/name`` (or ``owner/name``) -> ``owner/name``, or a clear error."""
    slug = location.removeprefix(PREFIX).strip().strip("/")
    if not _SLUG.match(slug):
        raise InputError(f"{location}: not a GitHub repository (expected github:owner/name)")
    return slug


def is_github(location: str) -> bool:
    return location.startswith(PREFIX)


GRAPHQL_BATCH = 25  # pull requests per GraphQL query: well under GitHub's node limits
_PULL_FIELDS = """
number updatedAt mergedAt mergeCommit { oid }
reviewRequests(first: 100) { nodes { requestedReviewer {
  __typename ... on User { login } ... on Team { slug } } } }
reviews(first: 100) { pageInfo { hasNextPage }
  nodes { databaseId state submittedAt author { __typename login } } }
files(first: 100) { pageInfo { hasNextPage } nodes { path additions deletions changeType } }
"""


def pulls_query(numbers: list[int]) -> str:
    """One query for the details, reviews and files of several pull requests (aliases)."""
    parts = [f"pr{n}: pullRequest(number: {int(n)}) {{ {_PULL_FIELDS} }}" for n in numbers]
    return (
        "query($owner: String!, $name: String!) {\n"
        "  rateLimit { cost remaining resetAt }\n"
        "  repository(owner: $owner, name: $name) {\n" + "\n".join(parts) + "\n  }\n}"
    )


@dataclass
class GitHubRepository:
    client: GitHubClient
    slug: str

    @property
    def base(self) -> str:
        return f"/repos/{self.slug}"

    def metadata(self) -> dict[str, Any]:
        """The repository itself; a 404 or 401 here means nothing else can be read."""
        page = self.client.get(self.base)
        return dict(page.data)

    def updated_since(
        self, kind: str, since: str | None, resume_url: str | None, etag: str | None
    ) -> Iterator[tuple[Page, str]]:
        """Pages of one listing, from ``resume_url`` if an earlier sync stopped midway."""
        path, query = UPDATED_LISTINGS[kind]
        if resume_url:
            yield from self.client.paginate(resume_url)
            return
        params = {**query, "per_page": PER_PAGE, **({"since": since} if since else {})}
        first = self.client.get(self.base + path, params, etag=etag)
        yield first, self.base + path
        if first.next_url:
            yield from self.client.paginate(first.next_url)

    def events(self, etag: str | None) -> Iterator[tuple[Page, str]]:
        """Issue and pull-request events, newest first."""
        url = f"{self.base}/issues/events"
        first = self.client.get(url, {"per_page": PER_PAGE}, etag=etag)
        yield first, url
        if first.next_url:
            yield from self.client.paginate(first.next_url)

    def pulls_graphql(self, numbers: list[int]) -> dict[int, dict[str, Any] | None]:
        """Details, reviews and files of ``numbers`` in one request (None: not found)."""
        owner, name = self.slug.split("/", 1)
        data = self.client.graphql(pulls_query(numbers), {"owner": owner, "name": name})
        repository = data.get("repository") or {}
        return {n: repository.get(f"pr{n}") for n in numbers}

    def pull(self, number: int) -> dict[str, Any]:
        return dict(self.client.get(f"{self.base}/pulls/{number}").data)

    def files(self, number: int) -> list[dict[str, Any]]:
        """The files a pull request changes (GitHub lists at most 3,000)."""
        url = f"{self.base}/pulls/{number}/files"
        return [
            f for page, _ in self.client.paginate(url, {"per_page": PER_PAGE}) for f in page.data
        ]

    def reviews(self, number: int) -> list[dict[str, Any]]:
        url = f"{self.base}/pulls/{number}/reviews"
        return [
            r for page, _ in self.client.paginate(url, {"per_page": PER_PAGE}) for r in page.data
        ]
