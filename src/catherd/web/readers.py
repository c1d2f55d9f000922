"""Read snapshots for the CLI on this machine, while the dashboard holds the store.

``catherd status``, ``metrics``, ``report``... open the store read-only; DuckDB refuses that
while this process holds the file, so the CLI asks here instead (cli/remote.py), with the
token ``catherd serve`` wrote beside the store. A snapshot is a cursor of its own in a read
transaction: every query of one command reads the same committed state, even while a sync
commits. It ends when the CLI says so, or after ``IDLE_SECONDS`` without a query (a CLI
that was killed); its transaction is rolled back, so nothing can be written through it.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel

from catherd.store.database import Store
from catherd.store.wire import MEDIA_TYPE, answer, decode_params, prepare_for_answers

IDLE_SECONDS = 300.0
MAX_SNAPSHOTS = 16


@dataclass
class _Snapshot:
    handle: Store
    used: float
    lock: threading.Lock = field(default_factory=threading.Lock)


class Snapshots:
    """Open read snapshots, by id."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.clock = clock
        self.open: dict[str, _Snapshot] = {}
        self.lock = threading.Lock()

    def start(self) -> str:
        handle = Store.on_cursor(self.store)
        prepare_for_answers(handle)
        handle.con.execute("BEGIN TRANSACTION")
        snapshot_id = secrets.token_urlsafe(12)
        with self.lock:
            self._end_idle()
            self.open[snapshot_id] = _Snapshot(handle, self.clock())
        return snapshot_id

    def query(self, snapshot_id: str, sql: str, params: Any) -> bytes:
        with self.lock:
            self._end_idle()
            snapshot = self.open.get(snapshot_id)
        if snapshot is None:
            raise HTTPException(404, "no such snapshot (it ended after a long idle time)")
        with snapshot.lock:
            snapshot.used = self.clock()
            return answer(snapshot.handle, sql, params)

    def end(self, snapshot_id: str) -> None:
        with self.lock:
            snapshot = self.open.pop(snapshot_id, None)
        if snapshot is not None:
            with snapshot.lock:
                _close(snapshot.handle)

    def _end_idle(self) -> None:
        now = self.clock()
        by_age = sorted(self.open.items(), key=lambda item: item[1].used)
        for n, (snapshot_id, snapshot) in enumerate(by_age):
            if now - snapshot.used > IDLE_SECONDS or len(by_age) - n > MAX_SNAPSHOTS:
                del self.open[snapshot_id]
                with snapshot.lock:  # after the query it may be answering
                    _close(snapshot.handle)


def _close(handle: Store) -> None:
    handle.con.execute("ROLLBACK")
    handle.close()


class ReadQuery(BaseModel):
    sql: str
    params: str | None = None  # one Arrow row, base64 (store/wire.py)
    named: bool = False


def register(app: FastAPI, board: Any, local_caller: Callable[[Request], bool]) -> None:
    """Add ``/api/local/snapshots``: for the local token only (the store owner's CLI)."""
    snapshots = Snapshots(board.store)

    def local_only(request: Request) -> None:
        if not local_caller(request):
            raise HTTPException(403, "for catherd's CLI on this machine only")

    @app.post("/api/local/snapshots", include_in_schema=False)
    def start_snapshot(request: Request) -> dict[str, str]:
        local_only(request)
        return {"id": snapshots.start()}

    @app.post("/api/local/snapshots/{snapshot_id}", include_in_schema=False)
    def read_query(snapshot_id: str, query: ReadQuery, request: Request) -> Response:
        local_only(request)
        try:
            data = snapshots.query(snapshot_id, query.sql,
                                   decode_params(query.params, query.named))  # fmt: skip
        except duckdb.Error as exc:
            first = (str(exc).strip() or type(exc).__name__).splitlines()[0]
            raise HTTPException(400, first) from exc
        return Response(data, media_type=MEDIA_TYPE)

    @app.delete("/api/local/snapshots/{snapshot_id}", include_in_schema=False)
    def end_snapshot(snapshot_id: str, request: Request) -> dict[str, bool]:
        local_only(request)
        snapshots.end(snapshot_id)
        return {"ended": True}
