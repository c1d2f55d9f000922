"""The Spark engine: the same compiled metrics over the lake, on a local or remote cluster.

One SparkSession (one JVM) serves a process; each engine works in a session of its own
(``newSession``), so the temporary views naming one lake's tables never shadow another's.
The views select exactly the columns the manifest lists (a month partition column is
discovered by Spark but is not part of the table). Timestamps are read and cut in UTC, as
in the store.

Local masters (``local[*]``, ``local-cluster[...]``) bind to 127.0.0.1 and run without the
web UI; any other master is a cluster URL and is left to Spark's own settings, plus
``[engine] conf``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from typing import Any

import ibis
import pyarrow as pa

from catherd.engine.archive import EVENTS_SCHEMA, events_root
from catherd.engine.base import EVENTS, Engine, EngineSettings
from catherd.engine.lake import MANIFEST, STORE_FOLDER, check_manifest, read_manifest, table_schemas
from catherd.errors import InputError, SourceError

_SESSION: Any = None  # the process's SparkSession, started on first use


class SparkEngine(Engine):
    name = "spark"
    dialect = "pyspark"
    jobs = 4

    def __init__(self, settings: EngineSettings) -> None:
        if settings.lake is None:
            raise InputError("the Spark engine needs a lake: set [engine] lake")
        self.settings = settings
        self.session = spark_session(settings).newSession()
        lake = settings.lake.rstrip("/")
        local = settings.local_lake
        manifest = read_manifest(local) if local is not None else self._remote_manifest(lake)
        manifest = check_manifest(manifest, lake)
        self._schemas = table_schemas(manifest)
        for table, schema in self._schemas.items():
            frame = self.session.read.parquet(f"{lake}/{STORE_FOLDER}/{table}")
            frame.select(*schema.names).createOrReplaceTempView(table)
        self._events = False
        root = events_root(local) if local is not None else f"{lake}/gharchive/events"
        if root is not None:
            try:
                frame = self.session.read.option("basePath", str(root)).parquet(str(root))
            except Exception:  # no events written there (yet)
                return
            frame.select(*EVENTS_SCHEMA.names).createOrReplaceTempView(EVENTS)
            self._events = True
            self._schemas[EVENTS] = EVENTS_SCHEMA

    def _remote_manifest(self, lake: str) -> dict[str, Any] | None:
        try:
            text = self.session.read.text(f"{lake}/{STORE_FOLDER}/{MANIFEST}", wholetext=True)
            return json.loads(text.first()[0])
        except Exception:
            return None

    def schema(self, table: str) -> ibis.Schema:
        try:
            return self._schemas[table]
        except KeyError:
            raise InputError(f"{self.settings.lake}: the lake has no table {table!r}") from None

    def arrow(self, sql: str) -> pa.Table:
        return self.session.sql(sql).toArrow()

    def has_events(self) -> bool:
        return self._events


def spark_session(settings: EngineSettings) -> Any:
    """The process's SparkSession for ``settings.master``, started on first use."""
    global _SESSION
    if _SESSION is not None:
        running = _SESSION.sparkContext.master
        if running != settings.master:
            raise InputError(
                f"Spark already runs with master {running} in this process; "
                f"cannot start {settings.master} too"
            )
        return _SESSION
    try:
        from pyspark.sql import SparkSession

        # loading ibis's pyspark backend sets ibis.options.pyspark, which its compiler reads
        ibis.pyspark  # noqa: B018
    except ImportError:
        raise InputError("the Spark engine needs PySpark: pip install 'catherd[spark]'") from None
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise InputError(
            "the Spark engine needs Java 17 (Debian: apt-get install default-jre-headless)"
        )
    local = settings.master.startswith("local")
    # executors start Python only for Python code; they must use this interpreter if so
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(settings.master)
        .appName("catherd")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
        # list a lake's month folders on the driver: a listing job per table costs more
        .config("spark.sql.sources.parallelPartitionDiscovery.threshold", "100000")
    )
    if local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = builder.config("spark.driver.host", "127.0.0.1").config(
            "spark.driver.bindAddress", "127.0.0.1"
        )
        # a query here is small: Spark's 200 shuffle partitions would mostly be empty tasks
        builder = builder.config("spark.sql.shuffle.partitions", str(2 * (os.cpu_count() or 2)))
    for key, value in settings.conf.items():
        builder = builder.config(key, value)
    try:
        _SESSION = builder.getOrCreate()
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"Spark did not start (master {settings.master}): {first}") from exc
    _SESSION.sparkContext.setLogLevel("OFF")  # failures arrive as exceptions
    return _SESSION


def stop_spark() -> None:
    """Stop the process's SparkSession (tests, and commands that are done with it)."""
    global _SESSION
    if _SESSION is not None:
        _SESSION.stop()
        _SESSION = None
