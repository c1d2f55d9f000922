"""``catherd import gharchive --lake``: GH Archive events as Parquet by day, checked against
an independent reading of the same lines in plain Python.

Real events: lnav's copy of the hour 2024-01-01-15, devstats' payload shapes (pre-2015
events, the post-2025-10 PushEvent without commits) and PyGithub's Events API answer (the
same schema). Where a test needs what the shared data lacks (a duplicated event, an id
rewritten as a float, a truncated line, a renamed repository), it says SYNTHETIC.
"""

from __future__ import annotations

import functools
import gzip
import json
import shutil
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest

from catherd.demo.replay import ReplayServer, read_recording
from catherd.engine import archive
from catherd.engine.archive import Selection, expand_pattern, import_to_lake, read_lake_manifest
from catherd.engine.reconcile import reconcile
from catherd.errors import InputError
from catherd.sources.github.client import GitHubClient

from .conftest import recording_file, shared_file


def lnav() -> list[str]:
    return shared_file("gharchive", "lnav", "gharchive_log.jsonl").read_text().splitlines()


def shapes() -> list[str]:
    paths = sorted(shared_file("gharchive", "devstats", "analysis").glob("**/*.json"))
    return [json.dumps(json.loads(p.read_text())) for p in paths]


def events_api() -> list[str]:
    recording = recording_file("Repository.testGetEvents")
    return [json.dumps(e) for e in json.loads(read_recording(recording)[0].body)]


def dump(folder: Path, name: str, lines: list[str]) -> str:
    path = folder / f"{name}.json.gz"
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return str(path)


def expected(lines: list[str]) -> dict[str, Any]:
    """What the lake must hold, read independently: events by id (old ones by content),
    what is skipped, and what is kept after a repair."""
    kept: dict[Any, dict[str, Any]] = {}
    counts = {"unreadable": 0, "no_repository": 0, "duplicate": 0, "pre_2015_schema": 0,
              "float_id": 0, "push_without_commits": 0}  # fmt: skip
    for line in lines:
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            counts["unreadable"] += 1
            continue
        if isinstance(event.get("repo"), dict):
            repo, login = event["repo"], event["actor"]["login"]
            name = repo["name"]
        elif isinstance(event.get("repository"), dict):
            repo, login = event["repository"], event["actor"]
            name = f"{repo['owner']}/{repo['name']}"
        else:
            counts["no_repository"] += 1
            continue
        at = datetime.fromisoformat(event["created_at"].replace("Z", "+00:00")).astimezone(UTC)
        if "id" in event:
            key: Any = int(float(event["id"]))
            counts["float_id"] += isinstance(event["id"], float)
        else:  # no id before 2015: an event is its content (devstats' own key aside)
            key = (
                "old",
                *(
                    json.dumps(event.get(k), sort_keys=True)
                    for k in ("type", "created_at", "actor", "repository", "payload")
                ),
            )
        if key in kept:  # the same event again
            counts["duplicate"] += 1
            continue
        counts["pre_2015_schema"] += "repository" in event and "repo" not in event
        payload = event.get("payload") or {}
        no_commits = event["type"] == "PushEvent" and "repo" in event and "commits" not in payload
        counts["push_without_commits"] += no_commits
        kept[key] = {"type": event["type"], "created_at": at, "actor_login": login,
                     "repo_id": int(repo["id"]), "repo_name": name, "day": at.date(),
                     "payload": event.get("payload")}  # fmt: skip
    return {"events": kept, "counts": counts}


def lake_rows(lake: Path) -> list[dict[str, Any]]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    files = str(lake / "gharchive" / "events" / "*" / "*.parquet")
    cursor = con.execute(f"SELECT * FROM read_parquet('{files}', hive_partitioning = true)")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_events_by_day_as_read_independently(tmp_path: Path) -> None:
    first = lnav()
    # SYNTHETIC: the next hour repeats five events of the first, holds one id rewritten as a
    # float (as pandas writes it), a truncated line and a blank one, then real shapes.
    floated = json.loads(first[7])
    floated["id"] = float(floated["id"]) + 1e9  # a new event id, written as a float
    second = [*first[:5], json.dumps(floated), first[9][:200], "", *shapes()]
    inputs = [dump(tmp_path, "2024-01-01-15", first), dump(tmp_path, "2024-01-01-16", second)]
    result = import_to_lake(tmp_path / "lake", inputs, Selection(everything=True))
    truth = expected(first + second)
    assert result.hours == 2 and result.written == len(truth["events"])
    counts = {**result.skipped, **result.repaired}
    for key, value in truth["counts"].items():
        assert counts[key] == value, key
    assert truth["counts"]["pre_2015_schema"] > 0 and truth["counts"]["duplicate"] >= 5
    rows = lake_rows(tmp_path / "lake")
    real = {r["id"]: r for r in rows if r["id"] > 0}
    old = [r for r in rows if r["id"] < 0]  # pre-2015 events have no id: one is made
    assert len(old) == sum(1 for k in truth["events"] if isinstance(k, tuple))
    assert len(real) + len(old) == len(rows) == len(truth["events"])
    for key, event in truth["events"].items():
        if isinstance(key, tuple):
            continue
        row = real[key]
        for column in ("type", "created_at", "actor_login", "repo_id", "repo_name", "day"):
            assert row[column] == event[column], (key, column)
        assert json.loads(row["payload"]) == event["payload"]
    folders = {p.name for p in (tmp_path / "lake" / "gharchive" / "events").iterdir()}
    assert folders == {f"day={e['day']}" for e in truth["events"].values()}


def test_an_interrupted_import_restarts_at_the_first_missing_hour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # hours 9, 10 and 12: by name, "10" would sort before "9"
    inputs = [dump(tmp_path, "2024-01-01-9", lnav()), dump(tmp_path, "2024-01-01-10", shapes()),
              dump(tmp_path, "2024-01-01-12", events_api())]  # fmt: skip
    lake = tmp_path / "lake"
    real_batch, batches = archive._import_batch, []

    def interrupted(*args: Any, **kwargs: Any) -> None:
        batches.append(args[2])
        if len(batches) == 2:
            raise KeyboardInterrupt
        real_batch(*args, **kwargs)

    monkeypatch.setattr(archive, "_import_batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        import_to_lake(lake, inputs, Selection(everything=True), batch=1)
    assert set(read_lake_manifest(lake)["hours"]) == {"2024-01-01-9"}
    monkeypatch.setattr(archive, "_import_batch", real_batch)
    again = import_to_lake(lake, list(reversed(inputs)), Selection(everything=True), batch=1)
    assert (again.already, again.hours) == (1, 2)
    assert again.gaps == [("2024-01-01-11", "2024-01-01-11")]
    clean = import_to_lake(tmp_path / "clean", inputs, Selection(everything=True))
    key = lambda r: (r["id"], r["day"])  # noqa: E731
    assert sorted(lake_rows(lake), key=key) == sorted(lake_rows(tmp_path / "clean"), key=key)
    assert len(lake_rows(lake)) == clean.written
    assert not list((lake / "gharchive").glob(".staging-*"))


def test_repositories_are_kept_by_id(tmp_path: Path) -> None:
    """SYNTHETIC renames on real events: repository R is renamed in the next hour (same id,
    new name), and an unrelated repository later takes R's old name (another id)."""
    events = [json.loads(line) for line in lnav()]
    first, later, other = events[0], events[1], events[2]
    name, renamed = first["repo"]["name"], first["repo"]["name"] + "-renamed"
    later["repo"] = {**first["repo"], "name": renamed}
    other["repo"] = {**other["repo"], "name": name}
    inputs = [dump(tmp_path, "2024-01-01-15", [json.dumps(first)]),
              dump(tmp_path, "2024-01-01-16", [json.dumps(later), json.dumps(other)])]  # fmt: skip
    result = import_to_lake(tmp_path / "lake", inputs, Selection(repositories=frozenset({name})),
                            batch=1)  # fmt: skip
    assert result.written == 3
    kept = {(r["repo_id"], r["repo_name"]) for r in lake_rows(tmp_path / "lake")}
    assert kept == {(first["repo"]["id"], name), (first["repo"]["id"], renamed),
                    (other["repo"]["id"], name)}  # fmt: skip
    with pytest.raises(InputError, match="this lake keeps"):
        import_to_lake(tmp_path / "lake", inputs, Selection(everything=True))


def test_url_patterns_are_expanded_and_hours_done_are_not_fetched_again(tmp_path: Path) -> None:
    assert expand_pattern("h/2024-01-{01..02}-{0..1}.json.gz") == [
        "h/2024-01-01-0.json.gz", "h/2024-01-01-1.json.gz",
        "h/2024-01-02-0.json.gz", "h/2024-01-02-1.json.gz",
    ]  # fmt: skip
    served = tmp_path / "served"
    served.mkdir()
    dump(served, "2024-01-01-15", lnav())
    dump(served, "2024-01-01-16", events_api())
    requests: list[str] = []

    class Logged(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            requests.append(self.path)

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Logged, directory=served))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/2024-01-01-{{15..16}}.json.gz"
    command = [sys.executable, "-m", "catherd", "import", "gharchive", url, "--all",
               "--lake", str(tmp_path / "lake")]  # fmt: skip
    try:
        first = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
        again = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
        other = subprocess.run([*command[:6], "--repos", "a/b", *command[7:]],
                               capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert first.returncode == 0, first.stderr
    said = " ".join(first.stdout.split())  # rich wraps lines at the terminal's width
    assert "2 dump(s) imported (0 already there), 80 lines, 80 events written" in said
    assert "0 dump(s) imported (2 already there)" in " ".join(again.stdout.split())
    assert len(requests) == 2  # the second run downloaded nothing
    assert other.returncode == 2 and "this lake keeps every repository" in other.stderr
    shutil.rmtree(tmp_path / "lake")


def test_counts_are_reconciled_with_github_for_a_sample(tmp_path: Path) -> None:
    """PyGithub's events of 22-27 May 2012 in the lake, and a SYNTHETIC one: a pull request
    of lnav's hour said opened that week. GitHub's answers are SYNTHETIC too (no recording
    searches these hours): 3 items for PyGithub, and a 404 for the other (deleted since)."""
    pull = next(json.loads(e) for e in lnav() if '"PullRequestEvent"' in e)
    pull["payload"]["action"], pull["created_at"] = "opened", "2012-05-27T06:30:00Z"
    events = [*(json.loads(line) for line in events_api()), pull]
    inputs = [dump(tmp_path, "2012-05-22-18", events_api()),
              dump(tmp_path, "2012-05-27-6", [json.dumps(pull)])]  # fmt: skip
    import_to_lake(tmp_path / "lake", inputs, Selection(everything=True))
    opened = Counter(e["repo"]["name"] for e in events
                     if e["type"] in ("IssuesEvent", "PullRequestEvent")
                     and e["payload"].get("action") == "opened")  # fmt: skip
    assert opened  # PyGithub's author opened issues that week
    script = {"/search/issues": [(200, {}, b'{"total_count": 3, "items": []}'),
                                 (404, {}, b'{"message": "Not Found"}')]}  # fmt: skip
    with ReplayServer([], script) as server:
        client = GitHubClient(api_url=server.url)
        rows = reconcile(tmp_path / "lake", client, 2)
        client.close()
    name, other = "PyGithub/PyGithub", pull["repo"]["name"]
    assert [(r["repository"], r["archive"]) for r in rows] == [(name, opened[name]), (other, 1)]
    assert rows[0]["github"] == 3 and rows[0]["difference"] == 3 - opened[name]
    assert rows[1]["github"] is None and "not found" in rows[1]["problem"]
    asked = [parse_qs(urlsplit(path).query)["q"][0] for _, path, _ in server.requests]
    assert asked[0] == f"repo:{name} created:2012-05-22T18:00:00Z..2012-05-27T06:59:59Z"
