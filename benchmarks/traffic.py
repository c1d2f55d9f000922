"""Benchmark access-log import against GoAccess reading the same file in the same run.

    python benchmarks/traffic.py [--copies N] [--gzip]

Builds a large combined log from the real ``apache_logs`` (10,000 lines) repeated N times
(default 300: 3 million lines, 711 MB), each copy shifted 4 days later so that days and
visitors stay realistic, in a temporary folder. Then times GoAccess (Debian's ``goaccess``,
``--log-format=COMBINED``, JSON output) and ``catherd traffic import`` into a fresh store
on that file, and prints lines per second for each and their ratio (above 1: catherd is
faster). Also times a second import of the same file (nothing to add) and the monthly
summary query, and checks that both tools counted the same requests and visitors.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "weblogs" / "elastic-examples" / "apache_logs"

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from catherd.store.database import Store
from catherd.store.visitor_keys import VisitorKeys
from catherd.store.weblog_loader import LogSource, import_logs
from catherd.traffic.figures import traffic_summary

db, log = Path(sys.argv[1]), Path(sys.argv[2])
out = {}
with Store(db) as store:
    keys = VisitorKeys(db.with_name("keys.json"))
    started = time.perf_counter()
    result = import_logs(store, [LogSource(log, "bench")], keys)
    out["import_s"] = time.perf_counter() - started
    out["requests"] = result.requests
    out["unparsed"] = sum(f.stats.unparsed for f in result.files)
    started = time.perf_counter()
    again = import_logs(store, [LogSource(log, "bench")], keys)
    out["again_s"] = time.perf_counter() - started
    out["again_state"] = again.files[0].state
    started = time.perf_counter()
    rows = traffic_summary(store, by="month")
    out["summary_s"] = time.perf_counter() - started
    out["visitors"] = sum(r["visitors"] for r in rows)
out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def build_log(target: Path, copies: int, compress: bool) -> int:
    """``apache_logs`` repeated ``copies`` times, copy k shifted 4k days later."""
    source = SOURCE.read_bytes()
    stamp = re.compile(rb"\[(\d\d/\w{3}/\d{4}):")
    shifted: dict[tuple[bytes, int], bytes] = {}

    def shift(match: re.Match[bytes], k: int) -> bytes:
        key = (match.group(1), k)
        if key not in shifted:
            day = datetime.strptime(match.group(1).decode(), "%d/%b/%Y") + timedelta(days=4 * k)
            shifted[key] = b"[" + day.strftime("%d/%b/%Y").encode() + b":"
        return shifted[key]

    opener = gzip.open if compress else open
    with opener(target, "wb") as out:
        for k in range(copies):
            out.write(stamp.sub(lambda m, k=k: shift(m, k), source))
    return source.count(b"\n") * copies


def run_goaccess(log: Path, scratch: Path) -> tuple[float, dict]:
    if log.suffix == ".gz":  # Debian's goaccess does not read compressed files itself
        plain = scratch / "for-goaccess.log"
        with gzip.open(log, "rb") as src, plain.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        log = plain
    started = time.perf_counter()
    subprocess.run(["goaccess", str(log), "--log-format=COMBINED", "-o", str(scratch / "ga.json")],
                   check=True, capture_output=True)  # fmt: skip
    elapsed = time.perf_counter() - started
    general = json.loads((scratch / "ga.json").read_bytes().decode("utf-8", "replace"))["general"]
    return elapsed, general


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=300, help="copies of apache_logs")
    parser.add_argument("--gzip", action="store_true", help="import a .gz of the log")
    args = parser.parse_args()
    if shutil.which("goaccess") is None:
        sys.exit("goaccess is not installed (apt-get install goaccess)")
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        log = scratch / ("access.log.gz" if args.gzip else "access.log")
        started = time.perf_counter()
        lines = build_log(log, args.copies, args.gzip)
        print(f"built {log.name}: {lines:,} lines, {log.stat().st_size / 1e6:,.0f} MB "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        goaccess_s, general = run_goaccess(log, scratch)
        child = subprocess.run(
            [sys.executable, "-c", _CHILD, str(scratch / "bench.duckdb"), str(log)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        ours = json.loads(child.stdout.strip().splitlines()[-1])
    ratio = goaccess_s / ours["import_s"]
    print(
        f"goaccess {general['total_requests']:,} requests, {general['unique_visitors']:,} "
        f"visitors: {goaccess_s:6.1f} s  {lines / goaccess_s:9,.0f} lines/s"
    )
    print(f"catherd  {ours['requests']:,} requests, {ours['visitors']:,} visitors: "
          f"{ours['import_s']:6.1f} s  {lines / ours['import_s']:9,.0f} lines/s  "
          f"(peak {ours['peak_rss_mib']:,.0f} MiB)")  # fmt: skip
    print(f"ratio (catherd speed / goaccess speed): {ratio:.2f}")
    print(f"second import of the same file: {ours['again_s']:.2f} s ({ours['again_state']}); "
          f"monthly summary: {ours['summary_s']:.2f} s")  # fmt: skip
    same = (ours["requests"], ours["visitors"]) == (general["valid_requests"],
                                                   general["unique_visitors"])  # fmt: skip
    print("counts equal GoAccess's" if same else "COUNTS DIFFER FROM GOACCESS")


if __name__ == "__main__":
    main()
