"""The triage queue (team only): what needs a person today, filtered (kind, label,
repository, age) and grouped, and how the review load is spread."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import Response

from catherd.errors import InputError
from catherd.metrics import Params
from catherd.metrics.runner import run_metric
from catherd.triage.queue import QueueFilter, TriageRules, triage_queue
from catherd.triage.reviewers import gini
from catherd.web.accounts import User
from catherd.web.site import Site
from catherd.web.state import Dashboard

GROUPS = {"": None, "reason": "reason", "repository": "repo", "kind": "kind"}


@dataclass(frozen=True)
class TriageView:
    kind: str = ""
    label: str = ""
    repo: str = ""
    min_days: float = 0
    group: str = ""  # "", reason, repository, kind


def register(site: Site) -> None:
    app, board = site.app, site.board

    @app.get("/triage")
    @app.get("/api/triage")
    def triage(
        request: Request, view: TriageView = Depends(),
        user: User | None = Depends(site.access("triage")),
    ) -> Response:  # fmt: skip
        """What needs a person today (newcomers first), and how the review load is spread."""
        if view.group not in GROUPS:
            raise HTTPException(422, f"group {view.group!r}: choose reason, repository or kind")
        data = triage_data(board, QueueFilter(view.kind, view.label, view.repo, view.min_days))
        if request.url.path.startswith("/api/"):
            return site.answer(request, "", user, data)
        key = GROUPS[view.group]
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in data["queue"]:
            groups[str(row[key]) if key else ""].append(row)
        labels = sorted({label for row in data["queue"] for label in row["labels"] or []})
        return site.answer(request, "triage.html.j2", user, data, view=asdict(view),
                           groups=groups, labels=labels)  # fmt: skip


def triage_data(
    board: Dashboard, only: QueueFilter = QueueFilter(), order: str = "newcomers", limit: int = 100
) -> dict[str, Any]:
    """The triage queue as of now, the review load per reviewer and its Gini coefficient."""
    try:
        rules = TriageRules.from_config(board.triage)
        with board.handle() as store:
            queue = triage_queue(store, rules, datetime.now(UTC), limit, only, order)
            load = run_metric(store, "review_load", Params())
    except InputError as exc:
        raise HTTPException(422, str(exc)) from exc
    return {"queue": queue, "load": load, "gini": gini([r["reviews"] for r in load])}
