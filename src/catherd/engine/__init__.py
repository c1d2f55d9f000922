"""Where metrics run: the embedded store (DuckDB, the default) or Apache Spark over a lake.

A *lake* is a folder (or object-storage URI) of Parquet tables: the store's tables exported
by ``lake.export_lake`` and GH Archive events imported by ``catherd import gharchive --lake``.
Engines execute SQL compiled from the same ibis expressions, so a metric has one definition
whichever engine computes it.
"""
