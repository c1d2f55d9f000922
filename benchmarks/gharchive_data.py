"""Build GH Archive-shaped hourly dumps from the real events in ../shared/data.

Every event written is one of the real events (lnav's copy of a 2024 hour, devstats' payload
shapes, PyGithub's Events API answer) with its identifying values varied: event id, time,
actor, repository (id and name), organisation, and the issue, pull request, comment and
review ids, numbers and dates inside the payload, so that a store receives as many distinct
records as a real hour gives. Event types follow the shares of a 2024 hour (below); the
shapes, sizes and nesting are the real ones. Repositories and actors are drawn from pools
with a long tail (a few very active, most quiet), as on GitHub.

A small, labelled share of the known awkward lines is mixed in, as real archives have them:
pre-2015 events, ids written as floats by other tools, PushEvents without commits (GitHub's
shape since 2025-10-07), events repeated in the next hour, and truncated lines.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
ARCHIVE = SHARED / "gharchive"

# share of each event type in a 2024 hour (rounded; GH Archive statistics)
TYPE_SHARES = {
    "PushEvent": 0.50, "CreateEvent": 0.13, "PullRequestEvent": 0.08, "WatchEvent": 0.07,
    "IssueCommentEvent": 0.05, "PullRequestReviewEvent": 0.03, "IssuesEvent": 0.03,
    "DeleteEvent": 0.03, "ForkEvent": 0.02, "PullRequestReviewCommentEvent": 0.02,
    "ReleaseEvent": 0.01, "GollumEvent": 0.005, "CommitCommentEvent": 0.003,
    "MemberEvent": 0.002, "PublicEvent": 0.001,
}  # fmt: skip
ODD_SHARES = {"old": 0.002, "float_id": 0.002, "push_without_commits": 0.01,
              "repeat": 0.002, "truncated": 0.0005}  # fmt: skip


def real_events() -> list[dict[str, Any]]:
    """Every real event of the shared data, in the 2015+ schema."""
    from catherd.demo.replay import read_recording  # the one reader of API recordings

    events = [json.loads(line) for line in (ARCHIVE / "lnav" / "gharchive_log.jsonl").open()]
    for path in sorted((ARCHIVE / "devstats" / "analysis").glob("*.json")):
        events.append(json.loads(path.read_text()))
    recorded = SHARED / "github-api" / "pygithub" / "Repository.testGetEvents.txt"
    events += json.loads(read_recording(recorded)[0].body)
    for event in events:
        event.pop("a_structure", None)  # devstats' own annotation, not GitHub's
    return [e for e in events if isinstance(e.get("repo"), dict)]


def old_events() -> list[dict[str, Any]]:
    found = []
    for path in sorted((ARCHIVE / "devstats" / "analysis").glob("old_*.json")):
        event = json.loads(path.read_text())
        event.pop("a_structure", None)
        found.append(event)
    return found


def push_without_commits() -> dict[str, Any]:
    path = ARCHIVE / "devstats" / "analysis" / "post-20251007" / "push_event_without_commits.json"
    return json.loads(path.read_text())


_MARK = "\u2063{}\u2063"  # an invisible separator no real event contains


class Template:
    """One real event serialised once, with its varying values as ``%`` fields."""

    def __init__(self, event: dict[str, Any], old: bool = False) -> None:
        event = json.loads(json.dumps(event))
        self.type = str(event.get("type"))
        self.old = old
        if old:
            _put(event, ["repository", "id"], "repo_id")
            _put(event, ["repository", "name"], "repo_short")
            _put(event, ["repository", "owner"], "owner")
            _put(event, ["actor"], "login")
            _put(event, ["created_at"], "at_local")
        else:
            _put(event, ["id"], "id_text")
            _put(event, ["created_at"], "at")
            _put(event, ["actor", "id"], "actor_id")
            _put(event, ["actor", "login"], "login")
            _put(event, ["repo", "id"], "repo_id")
            _put(event, ["repo", "name"], "repo")
            _put(event, ["org", "id"], "org_id")
            _put(event, ["org", "login"], "owner")
            payload = event.get("payload") or {}
            _put(payload, ["number"], "number")
            for part, number_key in (("issue", "number"), ("pull_request", "number")):
                if isinstance(payload.get(part), dict):
                    _put(payload, [part, "id"], "item_id")
                    _put(payload, [part, number_key], "number")
                    _put(payload, [part, "user", "login"], "author")
                    _put(payload, [part, "created_at"], "opened")
                    _put(payload, [part, "updated_at"], "at")
            for part in ("comment", "review"):
                if isinstance(payload.get(part), dict):
                    _put(payload, [part, "id"], "sub_id")
                    _put(payload, [part, "user", "login"], "login")
                    for key in ("created_at", "updated_at", "submitted_at"):
                        _put(payload, [part, key], "at")
                    for key in ("issue_url", "pull_request_url"):
                        _put(payload, [part, key], "item_url")
        text = json.dumps(event, separators=(",", ":"), ensure_ascii=False).replace("%", "%%")
        for name in _NUMBERS:
            text = text.replace(f'"{_MARK.format(name)}"', f"%({name})d")
        for name in _TEXTS:
            text = text.replace(_MARK.format(name), f"%({name})s")
        self.text = text

    def render(self, values: dict[str, Any]) -> str:
        return self.text % values


_NUMBERS = ("repo_id", "actor_id", "org_id", "number", "item_id", "sub_id")
_TEXTS = ("id_text", "at", "at_local", "login", "repo", "repo_short", "owner", "author",
          "opened", "item_url")  # fmt: skip


def _put(obj: dict[str, Any], path: list[str], name: str) -> None:
    for key in path[:-1]:
        obj = obj.get(key)  # type: ignore[assignment]
        if not isinstance(obj, dict):
            return
    if path[-1] in obj and obj[path[-1]] is not None:
        obj[path[-1]] = _MARK.format(name)


class Pools:
    """Repositories (eight an owner) and actors, a few very active and most quiet."""

    def __init__(self, rng: random.Random, repositories: int, actors: int) -> None:
        self.rng = rng
        self.repositories = repositories
        self.actors = actors

    def repository(self) -> int:
        return int(self.repositories * self.rng.random() ** 2)  # the busiest: 0.2% of events

    def actor(self) -> int:
        return int(self.actors * self.rng.random() ** 2)

    @staticmethod
    def repo_name(index: int) -> tuple[str, str]:
        owner = f"org-{index // 8:06d}"
        return owner, f"{owner}/project-{index:07d}"


def build_dataset(
    folder: Path, target_bytes: int, start: datetime, hour_bytes: int, seed: int = 13,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:  # fmt: skip
    """Write gzip hour dumps ``YYYY-MM-DD-H.json.gz`` into ``folder`` until ``target_bytes``
    of uncompressed JSON; return their paths (in hour order)."""
    rng = random.Random(seed)
    by_type: dict[str, list[Template]] = {}
    for event in real_events():
        by_type.setdefault(event["type"], []).append(Template(event))
    types = [t for t in TYPE_SHARES if t in by_type]
    weights = [TYPE_SHARES[t] for t in types]
    old = [Template(e, old=True) for e in old_events()]
    no_commits = Template(push_without_commits())
    pools = Pools(rng, repositories=200_000, actors=400_000)
    written, paths, event_id, item_counter = 0, [], 30_000_000_000, 0
    hour = start
    previous_tail: list[str] = []
    while written < target_bytes:
        path = folder / f"{hour:%Y-%m-%d}-{hour.hour}.json.gz"
        lines: list[str] = previous_tail[:]
        size = sum(len(line) for line in lines)
        seconds = 0.0
        while size < hour_bytes:
            seconds = min(3599.0, seconds + rng.expovariate(1 / 0.05))
            at = hour + timedelta(seconds=seconds)
            event_id += rng.randint(1, 3)
            item_counter += 1
            repo = pools.repository()
            owner, repo_name = pools.repo_name(repo)
            actor = pools.actor()
            number = 1 + (item_counter * 2654435761 + repo) % 5000
            opened = at - timedelta(days=number % 40, hours=number % 24)
            values = {
                "id_text": str(event_id), "at": f"{at:%Y-%m-%dT%H:%M:%SZ}",
                "at_local": (at - timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M:%S-07:00"),
                "actor_id": 1_000_000 + actor, "login": f"user-{actor:06d}",
                "repo_id": 500_000_000 + repo, "repo": repo_name,
                "repo_short": repo_name.split("/")[1], "owner": owner,
                "org_id": 9_000_000 + repo // 8, "number": number,
                "item_id": 2_000_000_000 + repo * 5000 + number,
                "sub_id": 3_000_000_000 + event_id % 1_000_000_000,
                "author": f"user-{(actor + number) % pools.actors:06d}",
                "opened": f"{opened:%Y-%m-%dT%H:%M:%SZ}",
                "item_url": f"https://api.github.com/repos/{repo_name}/issues/{number}",
            }  # fmt: skip
            odd = rng.random()
            if odd < ODD_SHARES["old"]:
                line = rng.choice(old).render(values)
            elif odd < ODD_SHARES["old"] + ODD_SHARES["push_without_commits"]:
                line = no_commits.render(values)
            else:
                template = rng.choice(by_type[rng.choices(types, weights)[0]])
                line = template.render(values)
                if rng.random() < ODD_SHARES["float_id"]:
                    line = line.replace(f'"id":"{event_id}"', f'"id":{event_id}.0', 1)
            if rng.random() < ODD_SHARES["truncated"]:
                line = line[: len(line) // 2]
            lines.append(line)
            size += len(line) + 1
        previous_tail = [line for line in lines if rng.random() < ODD_SHARES["repeat"]]
        data = ("\n".join(lines) + "\n").encode()
        path.write_bytes(gzip.compress(data, compresslevel=1))
        written += len(data)
        paths.append(path)
        if progress:
            progress(f"{path.name}: {len(data) / 1e6:.0f} MB, {len(lines):,} events")
        hour += timedelta(hours=1)
    return paths


def uncompressed_size(path: Path) -> int:
    with gzip.open(path, "rb") as handle:
        return sum(len(chunk) for chunk in iter(lambda: handle.read(1 << 20), b""))


if __name__ == "__main__":
    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    build_dataset(target, int(float(sys.argv[2]) * 1e6), datetime(2024, 3, 1, tzinfo=UTC),
                  100_000_000, progress=print)  # fmt: skip
