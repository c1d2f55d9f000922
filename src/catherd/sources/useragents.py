"""What kind of program sent a request: a browser, a bot or a tool, from its user agent.

The list is crawler-user-agents (github.com/monperrus/crawler-user-agents, on PyPI): some
1,500 patterns kept up to date by many contributors, each tagged. Patterns tagged
``http-library`` (curl, wget, python-requests, Go-http-client...) make a *tool*; any other
pattern makes a *bot* (search engines, SEO crawlers, monitors, AI crawlers, feed readers...).
What matches none is a *browser* if it says so the way every browser does (``Mozilla/...``,
``Opera/...``), and a *tool* otherwise (an empty agent, ``pip/...``, ``Debian APT-HTTP``...).

The patterns are RE2-compatible (the list is tested in Go), so DuckDB applies them in bulk,
each distinct agent once.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import version

import duckdb
import pyarrow as pa

KINDS = ("browser", "bot", "tool")
LIST_VERSION = version("crawler-user-agents")


# RE2 runs an alternation as a DFA while it fits its memory budget; the whole list does not
# (22,000 agents took 13 s as one expression, 0.1 s as six of 250 patterns each).
_PER_EXPRESSION = 250


@cache
def _expressions() -> tuple[list[str], list[str]]:
    """The bot patterns and the tool patterns, each as a few alternations."""
    import crawleruseragents

    data = crawleruseragents.CRAWLER_USER_AGENTS_DATA
    tools = [e["pattern"] for e in data if "http-library" in e.get("tags", [])]
    bots = [e["pattern"] for e in data if "http-library" not in e.get("tags", [])]
    return _alternations(bots), _alternations(tools)


def _alternations(patterns: list[str]) -> list[str]:
    return ["|".join(patterns[i : i + _PER_EXPRESSION])
            for i in range(0, len(patterns), _PER_EXPRESSION)]  # fmt: skip


def classify(con: duckdb.DuckDBPyConnection, agents: list[str]) -> dict[str, str]:
    """Each agent's kind: ``browser``, ``bot`` or ``tool`` (a bot pattern wins over a tool's)."""
    if not agents:
        return {}
    bots, tools = _expressions()
    params = [*bots, *tools]

    def any_of(first: int, count: int) -> str:
        return " OR ".join(f"regexp_matches(agent, ${n})" for n in range(first, first + count))

    name = "catherd_agents"
    con.register(name, pa.table({"agent": pa.array(agents, pa.string())}))
    try:
        rows = con.execute(
            f"""SELECT agent, CASE WHEN {any_of(1, len(bots))} THEN 'bot'
                                   WHEN {any_of(len(bots) + 1, len(tools))} THEN 'tool'
                                   WHEN regexp_matches(agent, '^(Mozilla|Opera)/') THEN 'browser'
                                   ELSE 'tool' END
                FROM {name}""",
            params,
        ).fetchall()
    finally:
        con.unregister(name)
    return dict(rows)
