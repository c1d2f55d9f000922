"""The CLI's way to a store that ``catherd serve`` holds: ask the dashboard.

DuckDB lets one process open a file for writing, and no other process may open it then, not
even to read. While the dashboard runs, it wrote ``<store>.serve.json`` (its address and a
token, readable by the store's owner only; see web/syncing.py): the CLI sends the token and
asks it to sync, to change an account, or to answer read queries.

Reads go through a *snapshot*: the dashboard opens a read transaction on a cursor of its own
and answers each query of the command in it, as Arrow (DuckDB's lossless conversion, so
every type comes back as it is stored). ``ServerConnection`` is the small part of a DuckDB
connection that read commands use (``execute``, ``sql``), so a ``Store`` over it serves every
read command unchanged: one definition of each figure, whichever process computes it.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pyarrow as pa

from catherd.errors import CatherdError, InputError, SourceError
from catherd.store.database import Store
from catherd.store.wire import MEDIA_TYPE, encode_params, from_ipc
from catherd.web.syncing import serve_file


@dataclass
class LocalServer:
    """The dashboard that holds a store, as ``<store>.serve.json`` describes it."""

    url: str
    token: str
    announced: Path

    @classmethod
    def find(cls, db: Path) -> LocalServer | None:
        announced = serve_file(db)
        if not announced.exists():
            return None
        server = json.loads(announced.read_text())
        return cls(server["url"], server["token"], announced)

    def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """One request with the token; the dashboard's refusals become catherd errors."""
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            response = httpx.request(method, self.url + path, headers=headers, timeout=600, **kw)
        except httpx.HTTPError as exc:
            raise SourceError(
                f"{self.announced} names a dashboard that does not answer: {exc}"
            ) from exc
        if response.status_code == 422:
            raise InputError(_detail(response))
        if response.status_code == 400:  # the store refused a query, as DuckDB would here
            raise duckdb.Error(_detail(response))
        if response.status_code >= 400:
            raise CatherdError(f"the dashboard at {self.url} answered: {_detail(response)}")
        return response

    def snapshot(self, db: Path) -> Store:
        """A read-only ``Store`` whose queries the dashboard answers from one snapshot."""
        snapshot = self.call("POST", "/api/local/snapshots").json()["id"]
        return Store.over(db, ServerConnection(self, snapshot))


class ServerConnection:
    """What read commands ask of a DuckDB connection, answered by the dashboard.

    Each answer comes back as an Arrow table and is handed over as a result of a local
    in-memory DuckDB, so callers get real DuckDB results (``fetchall``, ``description``,
    ``to_arrow_table``...). Settings (``SET``) apply to that local connection.
    """

    def __init__(self, server: LocalServer, snapshot: str) -> None:
        self.server = server
        self.snapshot = snapshot
        self.local = duckdb.connect()
        self.local.execute("SET TimeZone = 'UTC'")  # as Store does: answers read in UTC

    def execute(self, sql: str, params: Any = None) -> duckdb.DuckDBPyConnection:
        if self._is_setting(sql):
            return self.local.execute(sql)
        answer = self.local.cursor()
        answer.register("answer", self._ask(sql, params))
        return answer.execute("SELECT * FROM answer")

    def sql(self, sql: str, params: Any = None) -> duckdb.DuckDBPyRelation:
        return self.local.from_arrow(self._ask(sql, params))

    def cursor(self) -> ServerConnection:
        return self

    def close(self) -> None:
        self.local.close()
        with contextlib.suppress(CatherdError):  # gone? the dashboard took the snapshot along
            self.server.call("DELETE", f"/api/local/snapshots/{self.snapshot}")

    def _is_setting(self, sql: str) -> bool:
        statements = self.local.extract_statements(sql)
        return bool(statements) and all(s.type == duckdb.StatementType.SET for s in statements)

    def _ask(self, sql: str, params: Any) -> pa.Table:
        body = {"sql": sql, **encode_params(params)}
        response = self.server.call("POST", f"/api/local/snapshots/{self.snapshot}", json=body)
        if response.headers.get("content-type") != MEDIA_TYPE:
            raise CatherdError(f"the dashboard at {self.server.url} answered no Arrow table")
        return from_ipc(response.content)


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    return str(detail or f"{response.status_code} {response.reason_phrase}")
