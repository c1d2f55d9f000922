"""Open a catherd store (one DuckDB file), migrate it, and run all-or-nothing transactions."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from catherd.errors import InputError, StoreBusy
from catherd.store.schema import MIGRATIONS, SCHEMA_VERSION

Params = list[Any] | dict[str, Any] | None  # positional ? or named $name parameters
# DuckDB's memory for bulk imports (it spills to disk beyond): with the interpreter and what
# DuckDB allocates outside its buffers, an import process stays under 1 GB whatever its input.
IMPORT_MEMORY_LIMIT = "768MB"


class Store:
    """A connection to one store file; every write goes through ``transaction()``."""

    def __init__(self, path: Path | str, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise InputError(f"{self.path}: no catherd store here (run `catherd analyze` first)")
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreBusy(self.path, _first_line(exc)) from exc
            raise InputError(f"{self.path}: cannot open the store: {_first_line(exc)}") from exc
        except duckdb.Error as exc:
            raise InputError(f"{self.path}: not a catherd store: {_first_line(exc)}") from exc
        self._use_utc()
        if not read_only:
            self._migrate()
        elif (found := self.schema_version()) != SCHEMA_VERSION:
            raise InputError(
                f"{self.path}: store schema {found} is not this catherd's ({SCHEMA_VERSION}): "
                + ("run `catherd sync` to upgrade it" if found < SCHEMA_VERSION
                   else "use the catherd that wrote it")
            )  # fmt: skip

    @classmethod
    def on_cursor(cls, store: Store) -> Store:
        """Another handle on an open store, with its own cursor (for another thread)."""
        handle = cls.over(store.path, store.con.cursor())
        handle._use_utc()  # a cursor does not inherit its connection's settings
        return handle

    @classmethod
    def over(cls, path: Path, con: Any) -> Store:
        """A handle on a connection opened elsewhere: a cursor, or (for the CLI while the
        dashboard holds the file) an object answering ``execute`` and ``sql`` like one."""
        handle = cls.__new__(cls)
        handle.path = path
        handle.con = con
        return handle

    def _use_utc(self) -> None:
        # Periods (months, years) are cut in UTC whatever the machine's time zone.
        self.con.execute("SET TimeZone = 'UTC'")

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ---------------------------------------------------------------------------
    def schema_version(self) -> int:
        if not self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
        ):
            return 0
        value = self.scalar("SELECT value FROM meta WHERE key = 'schema_version'")
        return int(value) if value is not None else 0

    def _migrate(self) -> None:
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise InputError(
                f"{self.path}: store schema {current} is newer than this catherd ({SCHEMA_VERSION})"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                for statement in MIGRATIONS[version]:
                    self.con.execute(statement)
                self.con.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version)]
                )
        if current < SCHEMA_VERSION and not self.scalar(
            "SELECT count(*) FROM meta WHERE key = 'web_secret'"
        ):
            # The key that signs the web dashboard's session cookies: one per store.
            with self.transaction():
                self.con.execute(
                    "INSERT INTO meta VALUES ('web_secret', ?)", [secrets.token_urlsafe(32)]
                )

    # -- transactions ---------------------------------------------------------------------
    @contextmanager
    def transaction(self, versioned: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """All statements inside commit together, or none do (also on Ctrl-C).

        ``versioned=False`` is for bookkeeping no kept answer reads (accounts, sessions): it
        leaves the data version alone, so it neither makes answers stale nor conflicts with
        a sync committing at the same time (both would update the version's row).
        """
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            if not versioned:
                self.con.execute("COMMIT")
                return
            # Every committed change moves the data version on: readers that keep answers
            # (the dashboard) know by it that theirs are stale.
            self.con.execute(
                "INSERT OR REPLACE INTO meta SELECT 'data_version', "
                "(coalesce(max(value::BIGINT), 0) + 1)::VARCHAR FROM meta "
                "WHERE key = 'data_version'"
            )
            self.con.execute("COMMIT")

    # -- small helpers --------------------------------------------------------------------
    def scalar(self, sql: str, params: Params = None) -> Any:
        # fetchall, not fetchone: DuckDB refuses new statements while a result is unfinished
        rows = self.con.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None

    def rows(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def data_version(self) -> int:
        """A number that grows with every committed write to the store."""
        return int(self.scalar("SELECT value FROM meta WHERE key = 'data_version'") or 0)

    def bump_raw_version(self) -> None:
        """Note that raw data changed, so derived tables get rebuilt. Inside a transaction."""
        current = int(self.scalar("SELECT value FROM meta WHERE key = 'raw_version'") or 0)
        self.con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('raw_version', ?)", [str(current + 1)]
        )

    def cursor_value(self, source: str, repo_id: int) -> dict[str, Any] | None:
        raw = self.scalar(
            "SELECT cursor FROM sync_cursors WHERE source = ? AND repo_id = ?", [source, repo_id]
        )
        return json.loads(raw) if raw is not None else None

    def set_cursor(self, source: str, repo_id: int, value: dict[str, Any]) -> None:
        self.con.execute(
            "INSERT OR REPLACE INTO sync_cursors VALUES (?, ?, ?, ?)",
            [source, repo_id, json.dumps(value, sort_keys=True), datetime.now(UTC)],
        )


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
