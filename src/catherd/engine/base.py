"""What an engine is, and which one a command uses (``[engine]`` in catherd.toml, ``--engine``).

An engine runs SQL compiled (by ibis) in its own dialect and answers Arrow tables; it knows
the schema of every table it can read. The DuckDB engine reads the store itself; the Spark
engine reads the lake (the store's tables exported as Parquet, and GH Archive events).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from catherd.config import Config
from catherd.errors import InputError

if TYPE_CHECKING:
    from catherd.store.database import Store

KINDS = ("duckdb", "spark")
EVENTS = "gharchive_events"  # the table name GH Archive events go by in every engine


class Engine(ABC):
    """Runs compiled SQL over the store's tables (and, given a lake, GH Archive events)."""

    name: ClassVar[str]
    dialect: ClassVar[str]  # the sqlglot dialect ibis compiles to
    jobs: ClassVar[int] = 1  # queries worth running side by side (Spark schedules them)

    @abstractmethod
    def schema(self, table: str) -> ibis.Schema:
        """The columns of ``table`` as ibis types."""

    @abstractmethod
    def arrow(self, sql: str) -> pa.Table:
        """Run ``sql`` and return its answer."""

    def table(self, name: str) -> ir.Table:
        """An unbound ibis table of this engine's: expressions over it compile for any engine."""
        return ibis.table(self.schema(name), name=name)

    def rows(self, expression: ir.Table) -> list[dict[str, Any]]:
        """Compile ``expression``, run it, and return its rows with the types ibis promises."""
        answer = self.arrow(str(ibis.to_sql(expression, dialect=self.dialect)))
        return answer.cast(expression.schema().to_pyarrow()).to_pylist()

    def has_events(self) -> bool:
        """True if GH Archive events can be read (a lake holding some was given)."""
        return False


@dataclass(frozen=True)
class EngineSettings:
    """The ``[engine]`` table: which engine, Spark's master URL, and the lake."""

    kind: str = "duckdb"
    master: str = "local[*]"
    lake: str | None = None  # a folder, or a URI Spark can read (s3a://, hdfs://, ...)
    conf: dict[str, str] = field(default_factory=dict)  # extra Spark settings

    @classmethod
    def of(cls, config: Config, kind: str | None = None) -> EngineSettings:
        """The project's settings; ``kind`` (from ``--engine``) overrides the file's."""
        where = str(config.source or "catherd.toml")
        table: dict[str, Any] = config.engine
        chosen = kind or table.get("kind", "duckdb")
        if chosen not in KINDS:
            raise InputError(f"engine {chosen!r}: choose one of {', '.join(KINDS)}")
        master = table.get("master", "local[*]")
        if not isinstance(master, str) or not master:
            raise InputError(f'{where}: [engine] master must be a string such as "local[*]"')
        lake = table.get("lake")
        if lake is not None and not isinstance(lake, str):
            raise InputError(f'{where}: [engine] lake must be a folder or URI such as "lake"')
        if lake is None:
            lake = str(config.db.parent / ".catherd" / "lake")  # beside the store, like mirrors
        elif not is_uri(lake):
            lake = str((config.root / lake).resolve())
        conf = table.get("conf", {})
        if not isinstance(conf, dict):
            raise InputError(f"{where}: [engine] conf must be a table of Spark settings")
        return cls(chosen, master, lake, {str(k): str(v) for k, v in conf.items()})

    @property
    def local_lake(self) -> Path | None:
        """The lake as a local folder (None for a URI only Spark reads)."""
        return None if self.lake is None or is_uri(self.lake) else Path(self.lake)


def is_uri(location: str) -> bool:
    return "://" in location


def open_engine(settings: EngineSettings, store: Store | None) -> Engine:
    """The engine ``settings`` name. For Spark over a local lake with the store at hand, the
    lake is first brought up to date with the store (incrementally), so both engines answer
    from the same data."""
    from catherd.engine.embedded import DuckDBEngine

    if settings.kind == "duckdb":
        if store is None:
            raise InputError("the DuckDB engine reads the store: none was found")
        return DuckDBEngine(store, settings.local_lake)
    from catherd.engine.lake import export_lake
    from catherd.engine.spark import SparkEngine

    if store is not None and settings.local_lake is not None:
        export_lake(store, settings.local_lake)
    return SparkEngine(settings)
