"""Benchmark the CLI's start-up: ``catherd --help`` against Python importing typer alone.

    python benchmarks/startup.py [--repeat N]

The reference, measured in the same run and interleaved with catherd's, is the least a
typer command costs (the interpreter and typer). Prints the median wall and CPU times of
each, their ratio, and what catherd imports that it should not need to list its commands
(the store, metrics, web or partnership modules): the target is ``catherd --help`` under
0.3 s on an idle machine. For a profile of the imports: ``python -X importtime -m catherd
--help``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

CATHERD = [sys.executable, "-m", "catherd", "--help"]
REFERENCE = [sys.executable, "-c", "import typer"]
HEAVY = ("duckdb", "ibis", "fastapi", "pyarrow", "httpx", "pydantic", "catherd.store",
         "catherd.metrics", "catherd.web.app", "catherd.partners")  # fmt: skip


def timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command`` (its children's CPU, as the OS counts)."""
    before = os.times()
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    timed(CATHERD)  # warm the file cache and the bytecode
    runs: dict[str, list[tuple[float, float]]] = {"catherd --help": [], "import typer": []}
    for _ in range(args.repeat):
        runs["catherd --help"].append(timed(CATHERD))
        runs["import typer"].append(timed(REFERENCE))
    medians = {}
    for name, measured in runs.items():
        wall = statistics.median(w for w, _ in measured)
        cpu = statistics.median(c for _, c in measured)
        medians[name] = (wall, cpu)
        print(f"{name:<16} wall {wall * 1000:7.1f} ms   cpu {cpu * 1000:7.1f} ms")
    (wall, cpu), (ref_wall, ref_cpu) = medians["catherd --help"], medians["import typer"]
    print(f"ratio to the reference: wall {wall / ref_wall:.2f}, cpu {cpu / ref_cpu:.2f}")
    probe = (
        "import sys, runpy; sys.argv = ['catherd', '--help']\n"
        "try:\n    runpy.run_module('catherd', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        f"print(' '.join(sorted(m for m in sys.modules if m.startswith({HEAVY!r}))))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True).stdout.splitlines()[-1]  # fmt: skip
    print(f"heavy modules imported by catherd --help: {loaded or 'none'}")


if __name__ == "__main__":
    main()
