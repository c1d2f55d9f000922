"""Read GH Archive hourly dumps (``YYYY-MM-DD-H.json.gz``, one event per line), streaming.

Each event that concerns issues or pull requests becomes the same records the GitHub API
gives (so the same views and metrics apply): the issue, pull request, comment or review
inside the event's ``payload``, with the repository from ``repo.name``. Memory stays
bounded whatever the file size: lines are read one at a time and handed on in batches.

Events in the pre-2015 GH Archive schema (``repository`` instead of ``repo``, ``actor`` as a
string) are counted and skipped: their payloads hold ids, not the objects.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catherd.errors import InputError

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


@dataclass
class ArchiveStats:
    lines: int = 0
    events: int = 0  # events of the repositories asked for
    records: int = 0
    other_repositories: int = 0
    other_types: int = 0
    old_schema: int = 0
    bad_lines: list[int] = field(default_factory=list)


@dataclass
class Record:
    repo: str
    kind: str
    key: str
    payload: dict[str, Any]


def open_lines(path: Path) -> Iterator[bytes]:
    """The lines of a dump, gzip-compressed or not."""
    with path.open("rb") as raw:
        magic = raw.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    try:
        with opener(path, "rb") as handle:
            yield from io.BufferedReader(handle)  # type: ignore[arg-type]
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot read the dump: {exc}") from exc


def read_events(
    path: Path, wanted: set[str], owners: set[str], stats: ArchiveStats
) -> Iterator[Record]:
    """Records of the repositories in ``wanted`` (owner/name) or owned by ``owners``."""
    for number, line in enumerate(open_lines(path), start=1):
        stats.lines += 1
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            stats.bad_lines.append(number)
            continue
        repo = event.get("repo") if isinstance(event, dict) else None
        if not isinstance(repo, dict):
            stats.old_schema += 1
            continue
        name = str(repo.get("name", ""))
        if name.lower() not in wanted and name.split("/")[0].lower() not in owners:
            stats.other_repositories += 1
            continue
        stats.events += 1
        recipe = RECORDS.get(str(event.get("type")))
        if recipe is None:
            stats.other_types += 1
            continue
        payload = event.get("payload") or {}
        for field_name, kind, key in recipe:
            obj = payload.get(field_name)
            if isinstance(obj, dict) and obj.get(key) is not None:
                stats.records += 1
                yield Record(name, kind, str(obj[key]), obj)
