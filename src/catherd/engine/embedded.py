"""The embedded engine: SQL runs on the store's own DuckDB connection (or a cursor of it).

Given a lake holding GH Archive events, they are readable as ``gharchive_events``: a
temporary view over the Parquet files, which needs no write access to the store.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import pyarrow as pa

from catherd.engine.archive import EVENTS_SCHEMA, events_glob
from catherd.engine.base import EVENTS, Engine
from catherd.store.database import Store
from catherd.store.schema import SCHEMA_VERSION

# Every store of one schema version has the same tables: their schemas are read once.
_SCHEMAS: dict[tuple[int, str], ibis.Schema] = {}


class DuckDBEngine(Engine):
    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, store: Store, lake: Path | None = None) -> None:
        self.store = store
        self.lake = lake
        self._events = False
        if lake is not None:
            pattern = events_glob(lake)
            if pattern is not None:
                quoted = pattern.replace("'", "''")
                store.con.execute(
                    f"CREATE OR REPLACE TEMP VIEW {EVENTS} AS SELECT * FROM read_parquet("
                    f"'{quoted}', hive_partitioning = true, hive_types = {{'day': DATE}})"
                )
                self._events = True

    def schema(self, table: str) -> ibis.Schema:
        if table == EVENTS:
            return EVENTS_SCHEMA
        key = (SCHEMA_VERSION, table)
        if key not in _SCHEMAS:
            _SCHEMAS[key] = ibis.duckdb.from_connection(self.store.con).get_schema(table)
        return _SCHEMAS[key]

    def arrow(self, sql: str) -> pa.Table:
        return self.store.con.sql(sql).to_arrow_table()

    def has_events(self) -> bool:
        return self._events
