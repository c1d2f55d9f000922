"""Read queries between processes: parameters and answers as Arrow IPC streams.

While the dashboard holds a store, the CLI's read queries run in the dashboard process
(cli/remote.py asks, web/readers.py answers). Parameters travel as one Arrow row and answers
as an Arrow table exported with DuckDB's lossless conversion, so every value comes back with
the type it has in the store (128-bit sums, JSON, UUID, time zones included). Only single
``SELECT`` statements (``DESCRIBE`` and ``SHOW`` are ones) are run.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import duckdb
import pyarrow as pa

from catherd.store.database import Store

MEDIA_TYPE = "application/vnd.apache.arrow.stream"


def encode_params(params: Any) -> dict[str, Any]:
    """Positional (list) or named (dict) parameters as one Arrow row, in base64."""
    if not params:
        return {"params": None, "named": False}
    named = isinstance(params, dict)
    row = params if named else {str(i): value for i, value in enumerate(params)}
    encoded = base64.b64encode(to_ipc(pa.Table.from_pylist([row]))).decode()
    return {"params": encoded, "named": named}


def decode_params(encoded: str | None, named: bool) -> Any:
    if not encoded:
        return None
    row = from_ipc(base64.b64decode(encoded)).to_pylist()[0]
    return row if named else list(row.values())


def to_ipc(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def from_ipc(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(data).read_all()


def prepare_for_answers(store: Store) -> None:
    """Make a handle export answers losslessly (this handle's session only)."""
    store.con.execute("SET SESSION arrow_lossless_conversion = true")


def answer(store: Store, sql: str, params: Any) -> bytes:
    """Run one read query on ``store`` and return its answer as an Arrow IPC stream."""
    statements = store.con.extract_statements(sql)
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise duckdb.InvalidInputException("only one SELECT statement is answered for the CLI")
    return to_ipc(store.con.sql(sql, params=params).to_arrow_table())
