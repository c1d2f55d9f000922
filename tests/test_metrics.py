"""Every metric against an independent computation: plain Python over git's own output.

Who is who comes from the store's ``identities`` table (checked against git's mailmap in
test_identity.py); everything else (dates, commits, lines, co-authors, periods, windows)
is recomputed here from ``git log`` without catherd's code.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from catherd.errors import InputError
from catherd.metrics import Params
from catherd.metrics.runner import run_metric
from catherd.store.database import Store

from .conftest import followed, git

_SEP = "\x1e"


def _coauthors(trailer: str) -> list[tuple[str, str]]:
    """The people of one Co-authored-by value, as docs/metrics.md says catherd reads them:
    each ``<address>`` with the name before it; a doubled key ("Author: Jane") and the
    separators between two people ("A <a@x>, B <b@x>") are not part of a name."""
    found = []
    for name, email in re.findall(r"([^<>]*)<([^<>]*)>?", trailer):
        name = re.sub(r"^[\s>,;.&]*(and\s+)?", "", name, flags=re.IGNORECASE)
        name = re.sub(r"^(co-authored-by|author|signed-off-by)\s*:\s*", "", name, flags=re.I)
        if "@" in email and " " not in email.strip():
            found.append((name.strip(), email.strip().lower()))
    return found


class GitTruth:
    """Contributions and commits of a repository read straight from ``git log``."""

    def __init__(self, repo: Path, store: Store) -> None:
        person = {
            (n, e): p
            for n, e, p in store.con.execute(
                "SELECT name, email_key, person_id FROM identities"
            ).fetchall()
        }
        bots = {
            p for (p,) in store.con.execute("SELECT person_id FROM people WHERE is_bot").fetchall()
        }
        org = {
            (n, e): o
            for n, e, o in store.con.execute(
                "SELECT name, email_key, org_id FROM identities"
            ).fetchall()
        }
        trailers = "%(trailers:key=Co-authored-by,valueonly,separator=%x1f)"
        fmt = f"{_SEP}%H%x00%at%x00%an%x00%ae%x00%P%x00{trailers}"
        out = git(repo, "log", "--numstat", "--find-renames", f"--format={fmt}", *followed(repo))
        self.commits: list[dict] = []
        self.contributions: list[tuple[str, datetime, str, str]] = []  # person, when, role, org
        for record in out.split(_SEP)[1:]:
            header, _, numstat = record.partition("\n")
            sha, at, name, email, parents, trailers = header.split("\0")
            when = datetime.fromtimestamp(int(at), UTC)
            files = [line.split("\t", 2) for line in numstat.splitlines() if line.strip()]
            self.commits.append(
                {
                    "sha": sha,
                    "when": when,
                    "merge": len(parents.split()) > 1,
                    "added": sum(int(f[0]) for f in files if f[0] != "-"),
                    "deleted": sum(int(f[1]) for f in files if f[1] != "-"),
                    "files": [f[2] for f in files],
                    "author": person[(name, email.lower())],
                }
            )
            seen = {person[(name, email.lower())]}
            self.contributions.append(
                (person[(name, email.lower())], when, "author", org[(name, email.lower())])
            )
            for key in (p for t in filter(None, trailers.split("\x1f")) for p in _coauthors(t)):
                if person[key] not in seen:
                    seen.add(person[key])
                    self.contributions.append((person[key], when, "coauthor", org[key]))
        self.contributions = [c for c in self.contributions if c[0] not in bots]
        self.human_commits = [c for c in self.commits if c["author"] not in bots]
        # who counts as one contributor for who is new: people sharing a display name
        self.name_group = {
            p: key or p
            for p, key in store.con.execute("SELECT person_id, name_key FROM people").fetchall()
        }

    def newcomers(self) -> dict[str, tuple[datetime, list[datetime]]]:
        """Each name group's first contribution and all its contribution times."""
        times: dict[str, list[datetime]] = defaultdict(list)
        for who, when, _, _ in self.contributions:
            times[self.name_group[who]].append(when)
        return {group: (min(stamps), stamps) for group, stamps in times.items()}


@pytest.fixture(scope="module")
def networkx(mirrors: dict[str, Path], ingested: dict[str, Path]) -> tuple[Store, GitTruth]:
    store = Store(ingested["networkx"], read_only=True)
    yield store, GitTruth(mirrors["networkx"], store)
    store.close()


def _by_year(rows: list[dict], column: str) -> dict[int, object]:
    return {row["period"].year: row[column] for row in rows}


def test_commits_and_lines_per_year(networkx: tuple[Store, GitTruth]) -> None:
    store, truth = networkx
    rows = run_metric(store, "commits", Params(by="year"))
    expected: dict[int, Counter] = defaultdict(Counter)
    for c in truth.commits:
        expected[c["when"].year].update(
            commits=1,
            merges=int(c["merge"]),
            lines_added=c["added"],
            lines_deleted=c["deleted"],
            files_changed=len(c["files"]),
        )
    for row in rows:
        exp = expected.get(row["period"].year, Counter())
        assert {
            k: row[k]
            for k in ("commits", "merges", "lines_added", "lines_deleted", "files_changed")
        } == {
            k: exp[k]
            for k in ("commits", "merges", "lines_added", "lines_deleted", "files_changed")
        }
    assert sum(r["commits"] for r in rows) == len(truth.commits)


def test_active_and_new_contributors(networkx: tuple[Store, GitTruth]) -> None:
    store, truth = networkx
    active: dict[int, set[str]] = defaultdict(set)
    for who, when, _, _ in truth.contributions:
        active[when.year].add(who)
    got = _by_year(run_metric(store, "active_contributors", Params(by="year")), "contributors")
    assert got == {year: len(active.get(year, ())) for year in got}
    assert set(active) <= set(got)
    newcomers = Counter(first_at.year for first_at, _ in truth.newcomers().values())
    got_new = _by_year(run_metric(store, "new_contributors", Params(by="year")), "newcomers")
    assert got_new == {year: newcomers.get(year, 0) for year in got_new}
    # a window: first contributions ever still count from all time, not from the window
    window = run_metric(
        store,
        "new_contributors",
        Params(since=date(2020, 1, 1), until=date(2021, 1, 1), by="quarter"),
    )
    assert sum(r["newcomers"] for r in window) == newcomers[2020]


def test_months_without_activity_are_zero(networkx: tuple[Store, GitTruth]) -> None:
    store, truth = networkx
    rows = run_metric(store, "active_contributors", Params(by="month"))
    months = {(c[1].year, c[1].month) for c in truth.contributions}
    assert len(rows) > len(months)  # networkx had quiet months in its early years
    assert all(
        r["contributors"] == 0 for r in rows if (r["period"].year, r["period"].month) not in months
    )


def _fewest_for_half(counts: Counter) -> int:
    total, running = sum(counts.values()), 0
    for n, (_, value) in enumerate(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])), start=1):
        running += value
        if running * 2 >= total:
            return n
    return 0


def test_bus_factor(networkx: tuple[Store, GitTruth]) -> None:
    store, truth = networkx
    per_year: dict[int, Counter] = defaultdict(Counter)
    for who, when, role, _ in truth.contributions:
        if role == "author":
            per_year[when.year][who] += 1
    got = _by_year(run_metric(store, "bus_factor", Params(by="year")), "bus_factor")
    assert got == {year: _fewest_for_half(per_year[year]) for year in got}
    assert max(got.values()) > 1


def test_elephant_factor(networkx: tuple[Store, GitTruth]) -> None:
    store, truth = networkx
    per_year: dict[int, Counter] = defaultdict(Counter)
    all_commits: Counter = Counter()
    for _, when, role, org in truth.contributions:
        if role == "author":
            all_commits[when.year] += 1
            if org not in ("unknown", "personal"):
                per_year[when.year][org] += 1
    rows = run_metric(store, "elephant_factor", Params(by="year"))
    for row in rows:
        year = row["period"].year
        assert row["elephant_factor"] == _fewest_for_half(per_year[year])
        if all_commits[year]:
            assert row["coverage"] == pytest.approx(
                sum(per_year[year].values()) / all_commits[year]
            )
    assert any(row["elephant_factor"] > 0 for row in rows)


def test_retention(networkx: tuple[Store, GitTruth]) -> None:
    store, truth = networkx
    data_end = max(when for _, when, _, _ in truth.contributions)
    expected: dict[int, dict[str, int]] = defaultdict(Counter)
    for first, stamps in truth.newcomers().values():
        later = [t for t in stamps if t.date() > first.date()]
        gap = (min(later) - first) if later else None
        for window in (90, 365):
            if data_end - first >= timedelta(days=window):
                expected[first.year][f"measurable_{window}"] += 1
                if gap is not None and gap <= timedelta(days=window):
                    expected[first.year][f"retained_{window}"] += 1
    for row in run_metric(store, "retention", Params(by="year")):
        exp = expected[row["period"].year]
        for key in ("measurable_90", "retained_90", "measurable_365", "retained_365"):
            assert row[key] == exp[key], (row["period"], key)
        if exp["measurable_365"]:
            assert row["retention_365"] == pytest.approx(
                exp["retained_365"] / exp["measurable_365"]
            )


def test_tenure_and_first_last(networkx: tuple[Store, GitTruth]) -> None:
    store, truth = networkx
    first: dict[str, datetime] = {}
    last_in_year: dict[tuple[str, int], datetime] = {}
    for who, when, _, _ in truth.contributions:
        first[who] = min(first.get(who, when), when)
        key = (who, when.year)
        last_in_year[key] = max(last_in_year.get(key, when), when)
    rows = run_metric(store, "tenure", Params(by="year"))
    for row in rows:
        spans = [
            (t - first[who]).total_seconds() / 86400
            for (who, year), t in last_in_year.items()
            if year == row["period"].year
        ]
        if spans:
            assert row["median_tenure_days"] == pytest.approx(statistics.median(spans))
    summary = {r["person_id"]: r for r in run_metric(store, "contributor_summary", Params())}
    last = {}
    for who, when, _, _ in truth.contributions:
        last[who] = max(last.get(who, when), when)
    assert {p: (r["first_at"], r["last_at"]) for p, r in summary.items()} == {
        p: (first[p], last[p]) for p in first
    }


def test_breadth(networkx: tuple[Store, GitTruth]) -> None:
    store, truth = networkx
    dirs: dict[str, set[str]] = defaultdict(set)
    for c in truth.human_commits:
        for path in c["files"]:
            # a rename shows as "old => new" or "dir/{a => b}" in plain numstat: take the new side
            new = path.split(" => ")[-1].replace("}", "") if " => " in path else path
            head = path.split("{")[0] if "{" in path else new
            dirs[c["author"]].add(head.split("/")[0] if "/" in head else "/")
    got = {r["person_id"]: r["directories"] for r in run_metric(store, "breadth", Params())}
    assert got == {p: len(d) for p, d in dirs.items() if d}


def test_filters_and_bad_parameters(
    networkx: tuple[Store, GitTruth], ingested: dict[str, Path]
) -> None:
    store, truth = networkx
    rows = run_metric(
        store, "commits", Params(since=date(2019, 3, 1), until=date(2019, 9, 1), by="month")
    )
    assert rows[0]["period"] == date(2019, 3, 1) and rows[-1]["period"] == date(2019, 8, 1)
    assert sum(r["commits"] for r in rows) == sum(
        1
        for c in truth.commits
        if datetime(2019, 3, 1, tzinfo=UTC) <= c["when"] < datetime(2019, 9, 1, tzinfo=UTC)
    )
    assert run_metric(store, "commits", Params(repository="networkx", by="year"))
    with pytest.raises(InputError, match="no repository"):
        run_metric(store, "commits", Params(repository="nope"))
    with pytest.raises(InputError, match="choose one of"):
        Params(by="week")
    with pytest.raises(InputError, match="must be after"):
        Params(since=date(2020, 1, 1), until=date(2019, 1, 1))
    with pytest.raises(InputError, match="unknown metric"):
        run_metric(store, "nonsense", Params())
    bots = run_metric(store, "active_contributors", Params(by="year", include_bots=True))
    plain = run_metric(store, "active_contributors", Params(by="year"))
    assert sum(r["contributors"] for r in bots) >= sum(r["contributors"] for r in plain)


def _plotted(spec: object) -> list[dict[str, object]]:
    """Every data row a chart specification holds, wherever Vega-Lite put it."""
    if isinstance(spec, dict):
        if "column" in spec and "value" in spec:
            return [spec]
        return [row for value in spec.values() for row in _plotted(value)]
    if isinstance(spec, list):
        return [row for value in spec for row in _plotted(value)]
    return []


def _y_titles(spec: object) -> set[str]:
    if isinstance(spec, dict):
        found = (
            {spec["y"]["title"]}
            if isinstance(spec.get("y"), dict) and "title" in spec["y"]
            else set()
        )
        return found.union(*(_y_titles(v) for v in spec.values()))
    if isinstance(spec, list):
        return set().union(*(_y_titles(v) for v in spec))
    return set()


def test_every_chart_plots_its_metrics_declared_headline(
    networkx: tuple[Store, GitTruth],
) -> None:
    """What a chart shows is what the metric declares beside its definition: the headline
    columns (nothing else, none missing), in the declared unit."""
    from catherd.metrics import REGISTRY
    from catherd.reports.charts import metric_chart

    store, _ = networkx
    for metric in REGISTRY.values():
        if metric.unit == "period":
            assert metric.headline is not None, f"{metric.name} declares no headline"
        if metric.headline is None:
            continue
        rows = run_metric(store, metric.name, Params(by="year"))
        if not rows:
            continue  # a GitHub metric on a git-only store
        spec = metric_chart(metric, rows, "year")
        assert spec is not None, metric.name
        plotted = _plotted(spec)
        assert {r["column"] for r in plotted} == set(metric.headline.columns), metric.name
        for row in plotted:
            when = row["period"]  # Vega-Lite writes dates as {"year":, "month":, "date":}
            if isinstance(when, dict):
                when = date(when["year"], when["month"], when["date"])
            source = next(r for r in rows if str(r["period"])[:10] == str(when)[:10]
                          and (metric.headline.split is None
                               or str(r[metric.headline.split]) in str(row["series"])))  # fmt: skip
            assert row["value"] == source[str(row["column"])], (metric.name, row)
        assert _y_titles(spec) == {metric.headline.unit}, metric.name
