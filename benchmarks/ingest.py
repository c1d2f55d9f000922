"""Benchmark git ingestion against a bare ``git log --numstat`` measured in the same run.

    python benchmarks/ingest.py [REPOSITORY] [--repeat N]

REPOSITORY is any path catherd accepts (default: the networkx bundle in ../shared/data).
For the large case, bring a clone of git/git (82k commits) and pass its path. Prints, for
each step, the wall time and the ratio to the bare ``git log`` (the floor: catherd must at
least read that output), commits per second, and catherd's peak memory.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "git" / "networkx.bundle"

# Runs in a child process so that its peak memory is catherd's alone.
_CHILD = """
import json, resource, sys, time
from pathlib import Path
from catherd.config import Config, RepositorySpec
from catherd.metrics import REGISTRY, Params
from catherd.metrics.runner import run_metric
from catherd.pipeline import sync
from catherd.store.database import Store

db, location = Path(sys.argv[1]), sys.argv[2]
out = {}
with Store(db) as store:
    config = Config(root=db.parent, db=db)
    started = time.perf_counter()
    report = sync(store, config, [RepositorySpec(location)])
    out["ingest_s"] = time.perf_counter() - started
    out["commits"] = report.repositories[0].commits_added
    started = time.perf_counter()
    again = sync(store, config, [RepositorySpec(location)])
    out["resync_s"] = time.perf_counter() - started
    out["resync_unchanged"] = again.repositories[0].unchanged
    started = time.perf_counter()
    for name in REGISTRY:
        run_metric(store, name, Params(by="month"))
    out["all_metrics_s"] = time.perf_counter() - started
out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def git_dir_of(location: str, scratch: Path) -> tuple[Path, float]:
    """A git directory for the bare reference run, and the time a bundle took to clone.

    catherd mirrors a bundle before reading it, so its ingest time includes that clone.
    """
    path = Path(location)
    if path.is_file():
        target = scratch / "reference.git"
        started = time.perf_counter()
        subprocess.run(["git", "clone", "-q", "--mirror", str(path), str(target)], check=True)
        return target, time.perf_counter() - started
    found = subprocess.run(
        ["git", "-C", location, "rev-parse", "--absolute-git-dir"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(found.stdout.strip()), 0.0


def bare_git_log(git_dir: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            "git",
            "--git-dir",
            str(git_dir),
            "log",
            "-z",
            "--numstat",
            "--find-renames",
            "--format=%H",
            "HEAD",
        ],
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return time.perf_counter() - started


def catherd_run(location: str, scratch: Path, n: int) -> dict[str, float]:
    db = scratch / f"bench-{n}.duckdb"
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(db), location],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("repository", nargs="?", default=str(DEFAULT))
    parser.add_argument("--repeat", type=int, default=1, help="runs of each step (median reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        git_dir, clone = git_dir_of(args.repository, scratch)
        commits = int(
            subprocess.run(
                ["git", "--git-dir", str(git_dir), "rev-list", "--count", "HEAD"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        bare, runs = [], []
        for n in range(args.repeat):
            bare.append(bare_git_log(git_dir))
            runs.append(catherd_run(args.repository, scratch, n))
        reference = statistics.median(bare)
        ingest = statistics.median(r["ingest_s"] for r in runs)
        resync = statistics.median(r["resync_s"] for r in runs)
        metrics = statistics.median(r["all_metrics_s"] for r in runs)
        peak = max(r["peak_rss_mib"] for r in runs)
        assert all(r["commits"] == commits for r in runs), "catherd stored another commit count"
        unchanged = all(r["resync_unchanged"] for r in runs)
        print(f"repository      {args.repository}")
        print(f"                {commits:,} commits on HEAD, {args.repeat} run(s), medians")
        rows = [
            ("bare git log", reference, f"{commits / reference:10,.0f} commits/s", 1.0),
            ("catherd ingest", ingest, f"{commits / ingest:10,.0f} commits/s", ingest / reference),
            ("catherd re-sync", resync, f"unchanged: {unchanged}", resync / reference),
        ]
        if clone:
            rows.insert(2, ("  of which clone", clone, "(mirroring the bundle)", clone / reference))
        for label, seconds, rate, ratio in rows:
            print(f"{label:<16}{seconds:9.3f} s   {rate:<22} ratio {ratio:.3f}")
        print(f"all metrics       {metrics:8.2f} s   (every registered metric, by month)")
        print(f"peak memory       {peak:8.0f} MiB  (catherd process)")


if __name__ == "__main__":
    main()
