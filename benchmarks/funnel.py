"""Benchmark the newcomer funnel, stuck newcomers, mentors and sprint detection on a large store.

    python benchmarks/funnel.py [--commits 500000] [--items 100000] [--repeat 3]

The store is benchmarks/web.py's SYNTHETIC one (COMMITS commits by 5,000 people over 20
years, ITEMS issues and pull requests by 3,000 logins with two comments each). Each
computation is timed REPEAT times (median) against two references measured in the same run:
the ``newcomers`` metric over the same window (catherd's other whole-history newcomer
question), and a bare SQL pass that only finds every login's and person's first act (the
least any funnel must read). The dashboard's ``/funnel`` page is timed through the ASGI
application right after the store changed (nothing kept: the server computes it after a
sync, before anyone asks), and again (the kept answer a visitor gets), against the 300 ms
target.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from web import build  # benchmarks/web.py: the same SYNTHETIC store

from catherd.community.funnel import funnel_window, journeys, newcomer_funnel
from catherd.community.mentors import mentors
from catherd.community.newcomers import list_newcomers
from catherd.community.sprint_detect import proposed_sprints
from catherd.community.stuck import stuck_newcomers
from catherd.store.database import Store

FLOOR = """
SELECT count(*) FROM (
    SELECT author, min(created_at) FROM gh_items GROUP BY 1
    UNION ALL SELECT author, min(created_at) FROM gh_comments GROUP BY 1
    UNION ALL SELECT person_id, min(contributed_at) FROM contributions GROUP BY 1
)
"""


def timed(work: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=500_000)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.duckdb"
        start = time.perf_counter()
        build(db, args.commits, args.items)
        built = time.perf_counter() - start
        print(f"SYNTHETIC store: {args.commits:,} commits, {args.items:,} items, "
              f"{2 * args.items:,} comments, built in {built:.0f} s")  # fmt: skip
        now = datetime.now(UTC)
        with Store(db, read_only=True) as store:
            window = funnel_window(store)
            assert window is not None
            subjects = len(journeys(store))
            floor = timed(lambda: store.scalar(FLOOR), args.repeat)
            reference = timed(lambda: list_newcomers(store, window), args.repeat)
            print(f"{subjects:,} subjects; window {window.label}")
            print(f"reference: bare first-act SQL {floor * 1000:.0f} ms; newcomers metric "
                  f"{reference * 1000:.0f} ms")  # fmt: skip
            for name, work in (
                ("journeys (every subject, every stage)", lambda: journeys(store)),
                ("newcomer funnel by quarter", lambda: newcomer_funnel(store, window, "quarter")),
                ("stuck newcomers", lambda: stuck_newcomers(store, now)),
                ("mentors", lambda: mentors(store, window)),
                ("sprint detect", lambda: proposed_sprints(store)),
            ):
                took = timed(work, args.repeat)
                print(f"{name:40} {took * 1000:7.0f} ms   x{took / floor:5.1f} bare SQL   "
                      f"x{took / reference:5.2f} newcomers metric")  # fmt: skip
        page(db, args.repeat)


def page(db: Path, repeat: int) -> None:
    warnings.filterwarnings("ignore")
    from fastapi.testclient import TestClient

    from catherd.web.app import create_app

    client = TestClient(create_app(db), base_url="http://127.0.0.1")
    form = client.get("/login").text
    token = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    client.post("/login", data={"username": "bench", "password": "benchmark password",
                                "csrf": token})  # fmt: skip
    board = client.app.state.board  # type: ignore[attr-defined]
    cold, warm = [], []
    for _ in range(repeat):
        with board.store.transaction():  # a committed write: kept answers are stale
            pass
        start = time.perf_counter()
        assert client.get("/funnel").status_code == 200
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()
        client.get("/funnel")
        warm.append(time.perf_counter() - start)
    print(f"/funnel page (team: with stuck and mentors): after a change "
          f"{statistics.median(cold) * 1000:.0f} ms, kept {statistics.median(warm) * 1000:.0f} "
          "ms (target 300 ms)")  # fmt: skip


if __name__ == "__main__":
    main()
