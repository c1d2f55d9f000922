"""GH Archive import on real events: lnav's copy of an hour, devstats' payload shapes, and
PyGithub's Events API answer (the same schema), each written one event per line."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from catherd.demo.replay import read_recording
from catherd.errors import InputError
from catherd.sources.gharchive import RECORDS
from catherd.store.database import Store
from catherd.store.gharchive_loader import import_archives

from .conftest import shared_file, table_digest


def archive(*parts: str) -> Path:
    return shared_file("gharchive", *parts)


def events_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def expected_rows(events: list[dict], keep: set[str]) -> Counter:
    """Independent count: distinct objects per kind among the kept events."""
    seen: dict[str, set] = {}
    for event in events:
        repo = event.get("repo")
        if not isinstance(repo, dict) or repo["name"].lower() not in keep:
            continue
        for field, kind, key in RECORDS.get(event["type"], []):
            obj = event["payload"].get(field)
            if isinstance(obj, dict) and obj.get(key) is not None:
                seen.setdefault(kind, set()).add((repo["name"], str(obj[key])))
    return Counter({kind: len(keys) for kind, keys in seen.items()})


@pytest.fixture
def hour(tmp_path: Path) -> Path:
    source = archive("lnav", "gharchive_log.jsonl")
    target = tmp_path / "2024-01-01-15.json.gz"
    target.write_bytes(gzip.compress(source.read_bytes()))
    return target


def test_an_hour_dump_filtered_to_chosen_repositories(tmp_path: Path, hour: Path) -> None:
    events = events_of(archive("lnav", "gharchive_log.jsonl"))
    pr_repos = {e["repo"]["name"].lower() for e in events if e["type"].startswith("PullRequest")}
    with Store(tmp_path / "s.duckdb") as store:
        result = import_archives(store, [hour], pr_repos, set())
        stored = Counter(
            dict(store.con.execute("SELECT kind, count(*) FROM github_raw GROUP BY 1").fetchall())
        )
        assert stored == expected_rows(events, pr_repos) and stored["pull"] > 0
        assert result.stats.lines == 50
        assert result.stats.other_repositories == sum(
            1 for e in events if e["repo"]["name"].lower() not in pr_repos
        )
        # every pull request known only from its event is an item, with its merge time
        assert store.scalar("SELECT count(*) FROM gh_items WHERE is_pr") == stored["pull"]
        assert store.scalar("SELECT count(*) FROM gh_reviews") == stored["review"]
        before = table_digest(store)
        again = import_archives(store, [hour], pr_repos, set())
        assert again.skipped_files == [hour.name] and table_digest(store) == before


def test_payload_shapes_from_devstats_and_the_events_api(tmp_path: Path) -> None:
    shapes = sorted(archive("devstats", "analysis").glob("*.json"))
    events = [json.loads(p.read_text()) for p in shapes]
    dump = tmp_path / "shapes.jsonl"
    dump.write_text("".join(json.dumps(e) + "\n" for e in events) + "not json at all\n")
    keep = {e["repo"]["name"].lower() for e in events if isinstance(e.get("repo"), dict)}
    with Store(tmp_path / "s.duckdb") as store:
        result = import_archives(store, [dump], keep, set())
        stored = Counter(
            dict(store.con.execute("SELECT kind, count(*) FROM github_raw GROUP BY 1").fetchall())
        )
        assert stored == expected_rows(events, keep)
        assert (
            result.stats.old_schema
            == sum(1 for e in events if not isinstance(e.get("repo"), dict))
            == 64
        )
        assert result.stats.bad_lines == [len(events) + 1]
        # the 2025 PushEvent without commits is simply another type
        assert store.scalar("SELECT count(*) FROM gh_items") > 0


def test_events_api_answer_has_the_archive_schema(tmp_path: Path) -> None:
    answer = shared_file("github-api", "pygithub", "Repository.testGetEvents.txt")
    exchanges = read_recording(answer)
    events = json.loads(exchanges[0].body)
    dump = tmp_path / "events.jsonl"
    dump.write_text("".join(json.dumps(e) + "\n" for e in events))
    with Store(tmp_path / "s.duckdb") as store:
        result = import_archives(store, [dump], {"pygithub/pygithub"}, set())
        stored = Counter(
            dict(store.con.execute("SELECT kind, count(*) FROM github_raw GROUP BY 1").fetchall())
        )
    assert result.stats.events == len(events) and stored == expected_rows(
        events, {"pygithub/pygithub"}
    )


def test_missing_file_changes_nothing(tmp_path: Path, hour: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(InputError, match="no such file"):
            import_archives(store, [hour, tmp_path / "nope.json.gz"], {"a/b"}, set())
        assert store.scalar("SELECT count(*) FROM github_raw") == 0


def test_cli_import_by_owner(tmp_path: Path, hour: Path) -> None:
    owner = events_of(archive("lnav", "gharchive_log.jsonl"))[0]["repo"]["name"].split("/")[0]
    command = [sys.executable, "-m", "catherd", "import", "gharchive", str(hour)]
    proc = subprocess.run(
        [*command, "--org", owner, "--db", str(tmp_path / "s.duckdb")],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "1 file(s) imported" in proc.stdout
    none = subprocess.run(
        [*command, "--db", str(tmp_path / "t.duckdb")], capture_output=True, text=True, cwd=tmp_path
    )
    assert none.returncode == 2 and "no repository to keep" in none.stderr


def test_dumps_are_downloaded_from_urls(tmp_path: Path, hour: Path) -> None:
    """A dump given as a URL is downloaded first (served here from 127.0.0.1, no network)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(hour.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{hour.name}"
        owner = events_of(archive("lnav", "gharchive_log.jsonl"))[0]["repo"]["name"].split("/")[0]
        command = [sys.executable, "-m", "catherd", "import", "gharchive", url, "--org", owner]
        proc = subprocess.run([*command, "--db", str(tmp_path / "s.duckdb")],
                              capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
        missing = subprocess.run([*command[:-3], url + ".missing", "--org", owner,
                                  "--db", str(tmp_path / "s.duckdb")],
                                 capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 0 and "1 file(s) imported" in proc.stdout, proc.stderr
    assert missing.returncode == 3 and "download failed" in missing.stderr
