"""Benchmark the scale path: GH Archive into the lake and the store, ecosystem questions on
DuckDB and on Spark, against DuckDB's ``read_json`` with declared columns in the same run.

    python benchmarks/scale.py [--size-mb 1024] [--hour-mb 100] [--keep DIR] [--no-spark]

Builds a GH Archive-shaped data set (hour dumps, gzip) from the real events of
../shared/data (``gharchive_data.py``: real shapes, varied ids and dates) in a temporary
folder, then measures, each step in a child process of its own (so that its peak memory is
its own):

- the reference: DuckDB ``read_json`` with catherd's declared columns over every dump;
- ``import gharchive --lake --all`` (every event) and ``--orgs`` (ten owners), in MB/s of
  uncompressed JSON and as a ratio to the reference;
- ``import gharchive`` into the store, ``--repo`` (the busiest repository) and ``--all``
  (every repository: the ecosystem-wide import), with each file's time, to show whether the
  tenth file is as fast as the first;
- the ecosystem questions (breadth of the 20 most active people, organisations across ten
  owners, health of one owner's repositories) on DuckDB and on Spark in local mode.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gharchive_data import build_dataset, uncompressed_size

# Each child prints one JSON line; peak memory is the child's own (VmHWM: ru_maxrss would
# carry over the parent's peak through fork and exec).
_PRELUDE = """
import json, sys, time
from pathlib import Path
def done(out):
    status = Path("/proc/self/status").read_text().splitlines()
    hwm = next(line for line in status if line.startswith("VmHWM:"))
    out["peak_rss_mib"] = int(hwm.split()[1]) / 1024
    print(json.dumps(out))
files = json.loads(sys.argv[1])
"""
_REFERENCE = _PRELUDE + """
import duckdb
from catherd.sources.gharchive import read_json_sql
con = duckdb.connect()
started = time.perf_counter()
rows = con.execute(f"SELECT count(*), count(DISTINCT type) FROM {read_json_sql('$files')}",
                   {"files": files}).fetchall()[0]
done({"seconds": time.perf_counter() - started, "rows": rows[0]})
"""
_LAKE = _PRELUDE + """
from catherd.engine.archive import Selection, import_to_lake
lake, owners = Path(sys.argv[2]), json.loads(sys.argv[3])
selection = Selection(everything=not owners, owners=frozenset(owners))
started = time.perf_counter()
result = import_to_lake(lake, files, selection)
done({"seconds": time.perf_counter() - started, "written": result.written,
      "skipped": result.skipped, "repaired": result.repaired})
"""
_STORE = _PRELUDE + """
from catherd.store.database import Store
from catherd.store.gharchive_loader import import_archives
db, repos = Path(sys.argv[2]), set(json.loads(sys.argv[3]))
per_file = []
with Store(db) as store:
    started = time.perf_counter()
    for path in files:
        began = time.perf_counter()
        result = import_archives(store, [Path(path)], repos, set(), everything=not repos)
        per_file.append([time.perf_counter() - began, result.changed])
    seconds = time.perf_counter() - started
    raw = store.scalar("SELECT count(*) FROM github_raw")
    items = store.scalar("SELECT count(*) FROM gh_items")
done({"seconds": seconds, "per_file": per_file, "raw_rows": raw, "items": items})
"""
_QUERIES = _PRELUDE + """
from dataclasses import replace
from catherd.ecosystem.acts import breadth, organisations
from catherd.ecosystem.health import health
from catherd.engine.base import EngineSettings, open_engine
from catherd.store.database import Store
db, lake, kind = Path(sys.argv[2]), sys.argv[3], sys.argv[4]
team, owners, health_owner = json.loads(sys.argv[5]), set(json.loads(sys.argv[6])), sys.argv[7]
out = {}
with Store(db, read_only=True) as store:
    started = time.perf_counter()
    engine = open_engine(EngineSettings(kind=kind, master="local[2]", lake=lake), store)
    out["open_s"] = time.perf_counter() - started  # Spark: JVM start and lake export
    for label, question in (
        ("breadth", lambda: breadth(engine, team)),
        ("organisations", lambda: organisations(engine, set(), owners)),
        ("health", lambda: health(engine, set(), {health_owner})),
    ):
        times = []
        for _ in range(2):  # first run, then warm (Spark compiles and caches on first use)
            began = time.perf_counter()
            answer = question()
            times.append(time.perf_counter() - began)
        out[label] = times
        out[label + "_rows"] = len(answer if isinstance(answer, list) else answer["organisations"])
done(out)
"""


def child(code: str, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"child failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=float, default=1024, help="uncompressed JSON to build")
    parser.add_argument("--hour-mb", type=float, default=100, help="size of one hour dump")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the data set here")
    parser.add_argument("--no-spark", action="store_true", help="skip the Spark queries")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        data = args.keep or scratch / "dumps"
        data.mkdir(parents=True, exist_ok=True)
        dumps = sorted(data.glob("*.json.gz"), key=lambda p: p.stat().st_mtime)
        started = time.perf_counter()
        if not dumps:
            dumps = build_dataset(data, int(args.size_mb * 1e6), datetime(2024, 3, 1, tzinfo=UTC),
                                  int(args.hour_mb * 1e6))  # fmt: skip
        built = time.perf_counter() - started
        sizes = [uncompressed_size(p) for p in dumps]
        total = sum(sizes) / 1e6
        files = json.dumps([str(p) for p in dumps])
        print(f"data set        {len(dumps)} hour dumps, {total:,.0f} MB of JSON "
              f"({sum(p.stat().st_size for p in dumps) / 1e6:,.0f} MB gzip), built in "
              f"{built:.0f} s")  # fmt: skip

        reference = child(_REFERENCE, files)
        ref_rate = total / reference["seconds"]
        print(f"events          {reference['rows']:,} lines")
        print(f"{'step':<34}{'seconds':>9}{'MB/s':>9}{'ratio':>8}{'peak MiB':>10}")

        def line(label: str, out: dict, seconds: float | None = None) -> None:
            seconds = out["seconds"] if seconds is None else seconds
            rate = total / seconds
            print(f"{label:<34}{seconds:9.1f}{rate:9.0f}{rate / ref_rate:8.2f}"
                  f"{out['peak_rss_mib']:10.0f}")  # fmt: skip

        line("DuckDB read_json (reference)", reference)
        lake = scratch / "lake"
        everything = child(_LAKE, files, str(lake), "[]")
        line("lake --all", everything)
        owners = [f"org-{n:06d}" for n in range(10)]
        chosen = child(_LAKE, files, str(scratch / "lake-orgs"), json.dumps(owners))
        line("lake --orgs (10 owners)", chosen)
        parquet = sum(p.stat().st_size for p in (lake / "gharchive").rglob("*.parquet"))
        print(f"                lake --all wrote {everything['written']:,} events "
              f"({parquet / 1e6:,.0f} MB of Parquet); skipped {everything['skipped']}; "
              f"repaired {everything['repaired']}")  # fmt: skip
        busiest = "org-000000/project-0000000"
        one = child(_STORE, files, str(scratch / "one.duckdb"), json.dumps([busiest]))
        line(f"store --repo {busiest}", one)
        store = scratch / "all.duckdb"
        wide = child(_STORE, files, str(store), "[]")
        line("store --all (every repository)", wide)
        print(f"                store --all: {wide['raw_rows']:,} raw rows, "
              f"{wide['items']:,} issues and pull requests")  # fmt: skip
        print("store --all, each file: " + ", ".join(
            f"{size / 1e6 / s:.0f}" for (s, _), size in zip(wide["per_file"], sizes, strict=True)
        ) + " MB/s")  # fmt: skip
        first, last = wide["per_file"][0][0], wide["per_file"][-1][0]
        print(f"                last file / first file time: {last / first:.2f}")

        team = json.dumps(active_logins(lake, 20))
        for kind in ("duckdb", *(() if args.no_spark else ("spark",))):
            out = child(_QUERIES, files, str(store), str(lake), kind, team,
                        json.dumps(owners), owners[0])  # fmt: skip
            # peak: the Python process (Spark's JVM is another process)
            print(f"queries on {kind:<7} open {out['open_s']:6.1f} s; " + "; ".join(
                f"{q} {out[q][0]:.1f} s, warm {out[q][1]:.1f} s ({out[q + '_rows']} rows)"
                for q in ("breadth", "organisations", "health")
            ) + f"; peak {out['peak_rss_mib']:.0f} MiB")  # fmt: skip
        if args.keep is None:
            shutil.rmtree(data, ignore_errors=True)


def active_logins(lake: Path, n: int) -> dict[str, str]:
    """The ``n`` most active logins of the lake, as a stand-in funded team."""
    import duckdb

    files = str(lake / "gharchive" / "events" / "*" / "*.parquet")
    rows = duckdb.connect().execute(
        f"SELECT lower(actor_login), count(*) FROM read_parquet('{files}') "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?", [n]
    ).fetchall()  # fmt: skip
    return {login: login for login, _ in rows}


if __name__ == "__main__":
    main()
