"""GH Archive hourly dumps (``YYYY-MM-DD-H.json.gz``, one event per line): how to read them.

DuckDB reads the dumps (gzip-compressed or not) with ``read_json`` and the columns declared
here. Declared, because inferring a schema from a sample silently drops fields that first
appear later; ``payload`` and the objects stay JSON, so every field is kept, and ``actor``
is JSON because it is an object since 2015 and a login before. A line that is not JSON
becomes a row whose every column is null (``ignore_errors``): it is counted, never fatal.

Each event that concerns issues or pull requests holds the same records the GitHub API gives
(so the same views and metrics apply): the issue, pull request, comment or review inside the
event's ``payload`` (``RECORDS``), of the repository ``repo.name``. Events in the pre-2015
schema (``repository`` instead of ``repo``) hold ids, not those objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# event type -> [(payload key, stored kind, key field)]
RECORDS: dict[str, list[tuple[str, str, str]]] = {
    "IssuesEvent": [("issue", "issue", "id")],
    "IssueCommentEvent": [("issue", "issue", "id"), ("comment", "issue_comment", "id")],
    "PullRequestEvent": [("pull_request", "pull", "number")],
    "PullRequestReviewEvent": [("pull_request", "pull", "number"), ("review", "review", "id")],
    "PullRequestReviewCommentEvent": [
        ("pull_request", "pull", "number"),
        ("comment", "review_comment", "id"),
    ],
}

COLUMNS = {
    "id": "VARCHAR", "type": "VARCHAR", "actor": "JSON", "repo": "JSON", "org": "JSON",
    "payload": "JSON", "created_at": "VARCHAR",
    "repository": "JSON",  # pre-2015
}  # fmt: skip
UNREADABLE = " AND ".join(f"{c} IS NULL" for c in COLUMNS)  # how a non-JSON line reads


def read_json_sql(files: str, **options: str) -> str:
    """The ``read_json`` call reading the dumps named by the SQL ``files`` (a parameter)."""
    columns = ", ".join(f"{name}: '{kind}'" for name, kind in COLUMNS.items())
    extra = "".join(f", {key} = {value}" for key, value in options.items())
    return (
        f"read_json({files}, format = 'newline_delimited', ignore_errors = true, "
        f"columns = {{{columns}}}{extra})"
    )


@dataclass
class ArchiveStats:
    lines: int = 0  # lines that are not blank
    events: int = 0  # events of the repositories asked for
    records: int = 0
    other_repositories: int = 0
    other_types: int = 0
    old_schema: int = 0
    bad_lines: list[int] = field(default_factory=list)  # numbers among the non-blank lines
