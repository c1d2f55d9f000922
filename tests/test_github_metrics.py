"""Responsiveness metrics on real recorded GitHub traffic, against hand-checked values.

The PyGithub recordings hold 16 real issues of PyGithub (March-May 2012) and 30 real issue
events. Reading them by hand: issue #24 (by roskakori, opened 2012-04-30 20:01:20) was first
answered when jacquev6 assigned it on 2012-05-01 21:58:55 (25 h 57 min 35 s); issue #27 (by
bilderbuchi, opened 2012-05-18 10:52:29) when jacquev6 assigned it at 11:06:05 (13 min 36 s).
Every other issue is jacquev6's own, and acts by an item's author are not responses.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from catherd.config import Config, RepositorySpec
from catherd.metrics import Params
from catherd.metrics.runner import run_metric
from catherd.pipeline import sync
from catherd.store.database import Store

from .test_github_sync import pygithub_server


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("github")
    with pygithub_server() as server:
        store = Store(folder / "s.duckdb")
        config = Config(root=folder, db=store.path, github_api_url=server.url, github_token=None)
        sync(store, config, [RepositorySpec("github:PyGithub/PyGithub")])
    yield store
    store.close()


def test_time_to_first_response_hand_checked(store: Store) -> None:
    rows = {r["period"]: r for r in run_metric(store, "time_to_first_response", Params(by="month"))}
    assert rows[date(2012, 3, 1)]["opened"] == 12 and rows[date(2012, 3, 1)]["answered"] == 0
    april, may = rows[date(2012, 4, 1)], rows[date(2012, 5, 1)]
    assert (april["opened"], april["answered"]) == (1, 1)
    assert april["median_hours"] == pytest.approx(25 + 57 / 60 + 35 / 3600)
    assert (may["opened"], may["answered"]) == (3, 1)
    assert may["median_hours"] == pytest.approx(13 / 60 + 36 / 3600)
    assert all(r["kind"] == "issue" for r in rows.values())


def test_window_and_repository_filters(store: Store) -> None:
    may = Params(since=date(2012, 5, 1), until=date(2012, 6, 1), by="year")
    rows = run_metric(store, "time_to_first_response", may)
    assert [(r["opened"], r["answered"]) for r in rows] == [(3, 1)]
    assert run_metric(store, "time_to_first_response", Params(repository="PyGithub/PyGithub"))
    # no pull request was ever closed in these answers
    assert run_metric(store, "pr_acceptance", Params()) == []


def test_no_pull_requests_in_2012_answers(store: Store) -> None:
    assert run_metric(store, "time_to_first_review", Params()) == []
    assert run_metric(store, "review_load", Params()) == []
    assert run_metric(store, "time_to_close", Params()) == []  # all 16 are still open here


def test_backlog_hand_checked(store: Store) -> None:
    # every recorded issue is still open: 12 opened in March, 1 in April, 3 in May
    rows = {r["period"]: r["open"] for r in run_metric(store, "backlog", Params(by="month"))}
    assert rows == {date(2012, 3, 1): 12, date(2012, 4, 1): 13, date(2012, 5, 1): 16}


def test_newcomer_response_hand_checked(store: Store) -> None:
    # first items of their authors: #2 (jacquev6, never answered by another), #24 (roskakori,
    # answered after 26 h), #27 (bilderbuchi, after 14 min)
    rows = {r["period"]: r for r in run_metric(store, "newcomer_response", Params(by="month"))}
    march, april, may = rows[date(2012, 3, 1)], rows[date(2012, 4, 1)], rows[date(2012, 5, 1)]
    assert (march["newcomers"], march["within_2_days"]) == (1, 0)
    assert (april["newcomers"], april["within_2_days"], april["share_7_days"]) == (1, 1, 1.0)
    assert (may["newcomers"], may["within_2_days"]) == (1, 1)


def test_label_flow_synthetic(tmp_path: Path) -> None:
    """Synthetic events (recordings hold a single labeled event and no unlabeled one):
    #1 spends 2 h in "needs triage" and is labelled again later and still is; #2 spends
    10 h until it is closed."""
    from catherd.store.github_loader import upsert_raw
    from catherd.store.github_tables import refresh_github_tables

    def event(n: int, number: int, kind: str, at: str, label: str) -> dict:
        actor = {"login": "triager", "type": "User"}
        return {"id": n, "event": kind, "created_at": at, "label": {"name": label},
                "actor": actor, "issue": {"number": number}}  # fmt: skip

    def issue(number: int, closed: str | None) -> dict:
        return {"id": 100 + number, "number": number, "user": {"login": "someone"},
                "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-05T00:00:00Z",
                "closed_at": closed, "state": "closed" if closed else "open"}  # fmt: skip

    with Store(tmp_path / "s.duckdb") as store:
        with store.transaction():
            upsert_raw(store, "o/r", "issue", [issue(1, None), issue(2, "2024-01-02T10:00:00Z")])
            upsert_raw(store, "o/r", "event", [
                event(1, 1, "labeled", "2024-01-01T00:00:00Z", "needs triage"),
                event(2, 1, "unlabeled", "2024-01-01T02:00:00Z", "needs triage"),
                event(3, 1, "labeled", "2024-01-03T00:00:00Z", "needs triage"),
                event(4, 2, "labeled", "2024-01-02T00:00:00Z", "needs triage"),
            ])  # fmt: skip
            refresh_github_tables(store.con)
        (row,) = run_metric(store, "label_flow", Params(by="month"))
    assert (row["label"], row["added"], row["ended"], row["still_labelled"]) == (
        "needs triage",
        3,
        2,
        1,
    )
    assert row["median_hours"] == pytest.approx(6.0) and row["mean_hours"] == pytest.approx(6.0)
