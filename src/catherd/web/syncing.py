"""Syncing while the dashboard serves: one writer, many readers, nobody blocked for long.

DuckDB lets one process write a database file. While ``catherd serve`` runs, that process
is the server: it holds the store read-write and runs syncs itself, in a background thread
on a cursor of its own. Readers (each request has its own cursor) see the last committed
state thanks to DuckDB's MVCC, so a sync never blocks them and they never see half of it;
each repository commits on its own, so progress shows as it lands.

A sync starts from the admin page, on a schedule (``--sync-every``), or from the CLI:
``catherd sync`` finds the store locked, reads the server's address and a one-off token from
``<store>.serve.json`` (mode 0600, written at start, removed at exit) and asks the server.
One sync runs at a time; asking while one runs says so.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from catherd.config import Config
from catherd.pipeline import known_repositories, sync
from catherd.store.database import Store


@dataclass
class SyncRunner:
    store: Store
    config: Config
    lock: threading.Lock = field(default_factory=threading.Lock)
    state: dict[str, Any] = field(default_factory=lambda: {"running": False})
    thread: threading.Thread | None = None
    after: Callable[[], None] | None = None  # run once a sync has committed (while "running")

    def start(self, requested_by: str) -> bool:
        """Start a sync in the background; False if one is already running."""
        if not self.lock.acquire(blocking=False):
            return False
        self.state = {"running": True, "requested_by": requested_by,
                      "started_at": datetime.now(UTC).isoformat()}  # fmt: skip
        self.thread = threading.Thread(target=self._run, name="catherd-sync", daemon=True)
        self.thread.start()
        return True

    def wait(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    def _run(self) -> None:
        worker = Store.on_cursor(self.store)
        try:
            specs = self.config.repositories or known_repositories(worker)
            report = sync(worker, self.config, specs, stop_on_error=False, logs=True)
            self.state.update(
                ok=not report.failures,
                repositories=[r.repository for r in report.repositories]
                + [f"github:{g.repository}" for g in report.github],
                commits_added=sum(r.commits_added for r in report.repositories),
                github_rows_changed=sum(g.changed for g in report.github),
                web_requests_added=report.traffic.requests if report.traffic else 0,
                failures=[f"{where}: {why}" for where, why in report.failures],
            )
            if self.after is not None:
                self.after()
        except Exception as exc:  # a failed sync must not take the server down
            self.state.update(ok=False, failures=[f"{type(exc).__name__}: {exc}"],
                              trace=traceback.format_exc(limit=3))  # fmt: skip
        finally:
            worker.close()
            self.state.update(running=False, finished_at=datetime.now(UTC).isoformat())
            self.lock.release()


def serve_file(db: Path) -> Path:
    return db.with_name(db.name + ".serve.json")


def announce(db: Path, url: str) -> str:
    """Write the server's address and a fresh token beside the store; return the token."""
    token = secrets.token_urlsafe(24)
    path = serve_file(db)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"url": url, "token": token, "pid": os.getpid()}, handle)
    return token


def withdraw(db: Path) -> None:
    serve_file(db).unlink(missing_ok=True)
