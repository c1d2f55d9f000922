"""Website traffic figures over ``web_requests``, each defined once (docs/traffic.md).

Every figure is a SQL condition or expression below; the summary, the top lists, the CLI, the
community report, the dashboard and the API all use them, so they cannot disagree.
``requests``, ``visitors`` and ``not_found`` are GoAccess's own definitions, and equal its
counts on the same files (tested):

- a *visitor* is one client address + calendar day + user agent, as GoAccess counts them:
  over a week or a month, visitors are the sum of each day's (nobody can tell that Monday's
  visitor came back on Tuesday: that is the privacy guarantee, see store/visitor_keys.py);
  a request answered with a client error (4xx) makes no visitor, as in GoAccess;
- *bots* (crawlers, monitors...) and *tools* (curl, scripts...) are told from browsers by
  their user agent (sources/useragents.py) and counted apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from catherd.config import TrafficSettings
from catherd.errors import InputError
from catherd.store.database import Store

PERIODS = ("day", "week", "month")

_EXTENSION = r"lower(regexp_extract(path, '\.([A-Za-z][A-Za-z0-9]*)$', 1))"
_PAGE_EXTENSIONS = ("", "html", "htm", "xhtml", "shtml", "php", "asp", "aspx", "jsp")
_DOWNLOAD_EXTENSIONS = ("zip", "gz", "tgz", "bz2", "xz", "zst", "7z", "rar", "tar", "whl",
                        "egg", "exe", "msi", "dmg", "pkg", "deb", "rpm", "apk", "jar", "iso",
                        "pdf", "epub")  # fmt: skip


def _within(extensions: tuple[str, ...]) -> str:
    return f"{_EXTENSION} IN ({', '.join(repr(e) for e in extensions)})"


# -- the definitions --------------------------------------------------------------------------
COUNTS_AS_VISIT = "status NOT BETWEEN 400 AND 499"
NOT_FOUND = "status = 404"
# a page a person read: a document (no extension, or an HTML-like one) fetched by a browser
PAGE_VIEW = (
    "agent_kind = 'browser' AND method = 'GET' AND (status BETWEEN 200 AND 299 OR status = 304) "
    f"AND {_within(_PAGE_EXTENSIONS)}"
)
# a file fetched whole (a release archive, an installer, a PDF) by anything but a bot
DOWNLOAD = (
    f"agent_kind <> 'bot' AND method = 'GET' AND status = 200 AND {_within(_DOWNLOAD_EXTENSIONS)}"
)
# documentation versions read: /stable/, /dev/, /1.5/ (optionally behind a language, /en/)
DOC_VERSION = (
    r"^/(?:[a-z]{2}(?:[-_][A-Za-z]{2,4})?/)?"
    r"(stable|latest|dev|devel|main|master|v?[0-9]+(?:\.[0-9]+)+(?:\.x)?)/"
)
REFERRER_HOST = r"lower(regexp_extract(referrer, '^[A-Za-z][A-Za-z0-9+.-]*://([^/:?#]+)', 1))"

_SUMMARY = f"""
    count(*) AS requests,
    count(DISTINCT visitor) FILTER ({COUNTS_AS_VISIT}) AS visitors,
    count(*) FILTER ({NOT_FOUND}) AS not_found,
    count(*) FILTER ({PAGE_VIEW}) AS page_views,
    count(DISTINCT visitor) FILTER ({COUNTS_AS_VISIT} AND agent_kind = 'browser')
        AS browser_visitors,
    count(*) FILTER (agent_kind = 'bot') AS bot_requests,
    count(DISTINCT visitor) FILTER ({COUNTS_AS_VISIT} AND agent_kind = 'bot') AS bot_visitors,
    count(*) FILTER (agent_kind = 'tool') AS tool_requests,
    count(*) FILTER ({DOWNLOAD}) AS downloads,
    coalesce(sum(bytes), 0)::BIGINT AS bytes"""


@dataclass(frozen=True)
class Scope:
    """Which requests: one site (or all), from ``since`` (included) to ``until`` (excluded)."""

    site: str | None = None
    since: date | None = None
    until: date | None = None

    def where(self) -> tuple[str, dict[str, Any]]:
        return (
            "($site IS NULL OR site = $site) AND ($since IS NULL OR day >= $since) "
            "AND ($until IS NULL OR day < $until)",
            {"site": self.site, "since": self.since, "until": self.until},
        )


def _period(by: str) -> str:
    if by not in PERIODS:
        raise InputError(f"--by {by!r}: traffic is counted by {', '.join(PERIODS)}")
    return f"date_trunc('{by}', day)::DATE"


def period_label(period: date, by: str) -> str:
    """``2015-05`` for a month, ``2015-W20`` for an ISO week, ``2015-05-17`` for a day."""
    if by == "month":
        return f"{period:%Y-%m}"
    if by == "week":
        year, week, _ = period.isocalendar()
        return f"{year}-W{week:02d}"
    return period.isoformat()


def own_hosts(settings: TrafficSettings, site: str | None) -> tuple[str, ...]:
    """The host names of ``site`` (of every configured site if None): not referrers."""
    return tuple(h for s in settings.sites if site in (None, s.name) for h in s.hosts)


def has_traffic(store: Store) -> bool:
    return bool(store.scalar("SELECT EXISTS (SELECT 1 FROM web_requests)"))


def traffic_summary(
    store: Store, by: str = "month", scope: Scope = Scope()
) -> list[dict[str, Any]]:
    """Per period (the first day of each day, ISO week or month with requests): every figure.

    Periods without any imported request are absent, not zero: no log is no measurement.
    """
    where, params = scope.where()
    return store.rows(
        f"SELECT {_period(by)} AS period, {_SUMMARY} FROM web_requests WHERE {where} "
        "GROUP BY 1 ORDER BY 1",
        params,
    )


def traffic_totals(store: Store, scope: Scope = Scope()) -> dict[str, Any]:
    """Every figure over the whole scope (visitors: the sum of each day's, as GoAccess)."""
    where, params = scope.where()
    row = store.rows(f"SELECT {_SUMMARY} FROM web_requests WHERE {where}", params)[0]
    return row


def top_pages(store: Store, scope: Scope = Scope(), limit: int = 20) -> list[dict[str, Any]]:
    """The pages people read most: page views and visitors per path."""
    where, params = scope.where()
    return store.rows(
        f"SELECT path, count(*) AS page_views, count(DISTINCT visitor) AS visitors "
        f"FROM web_requests WHERE {where} AND {PAGE_VIEW} "
        f"GROUP BY path ORDER BY page_views DESC, path LIMIT {int(limit)}",
        params,
    )


def top_referrers(
    store: Store, scope: Scope = Scope(), own_hosts: tuple[str, ...] = (), limit: int = 20
) -> list[dict[str, Any]]:
    """The other sites people came from: page views whose referrer is another host (not one
    of ``own_hosts``, nor the virtual host that served the page), per referring host."""
    where, params = scope.where()
    return store.rows(
        f"SELECT {REFERRER_HOST} AS referrer, count(*) AS page_views, "
        "count(DISTINCT visitor) AS visitors "
        f"FROM web_requests WHERE {where} AND {PAGE_VIEW} AND {REFERRER_HOST} <> '' "
        f"AND {REFERRER_HOST} IS DISTINCT FROM lower(vhost) "
        f"AND NOT list_contains($own, {REFERRER_HOST}) "
        f"GROUP BY 1 ORDER BY page_views DESC, referrer LIMIT {int(limit)}",
        {**params, "own": [h.lower() for h in own_hosts]},
    )


def doc_versions(
    store: Store, by: str = "month", scope: Scope = Scope(), pattern: str | None = None
) -> list[dict[str, Any]]:
    """Page views and visitors per documentation version read (``/stable/``, ``/1.5/``...),
    per period. ``pattern``: an expression whose first group is the version."""
    where, params = scope.where()
    version = "regexp_extract(path, $pattern, 1)"
    return store.rows(
        f"SELECT {_period(by)} AS period, {version} AS version, count(*) AS page_views, "
        "count(DISTINCT visitor) AS visitors "
        f"FROM web_requests WHERE {where} AND {PAGE_VIEW} AND {version} <> '' "
        "GROUP BY ALL ORDER BY period, page_views DESC, version",
        {**params, "pattern": pattern or DOC_VERSION},
    )


def top_downloads(store: Store, scope: Scope = Scope(), limit: int = 20) -> list[dict[str, Any]]:
    """Files downloaded (archives, installers, PDFs...), with how many visitors did."""
    where, params = scope.where()
    return store.rows(
        "SELECT path, count(*) AS downloads, count(DISTINCT visitor) AS visitors "
        f"FROM web_requests WHERE {where} AND {DOWNLOAD} "
        f"GROUP BY path ORDER BY downloads DESC, path LIMIT {int(limit)}",
        params,
    )


def traffic_sites(store: Store) -> list[dict[str, Any]]:
    """Each site: the logs read for it, lines and requests, unparsed lines, the days covered."""
    return store.rows(
        """SELECT l.site, count(*) AS logs, sum(l.lines)::BIGINT AS lines,
                  sum(l.requests)::BIGINT AS requests, sum(l.unparsed)::BIGINT AS unparsed,
                  (SELECT min(day) FROM web_requests r WHERE r.site = l.site) AS first_day,
                  (SELECT max(day) FROM web_requests r WHERE r.site = l.site) AS last_day,
                  max(l.last_read_at) AS last_read_at
           FROM web_logs l GROUP BY l.site ORDER BY l.site"""
    )


def traffic_logs(store: Store) -> list[dict[str, Any]]:
    """Every log read: where it was last, its format, how far it was read."""
    return store.rows(
        "SELECT site, path, compression, log_format, content_offset, lines, requests, unparsed, "
        "last_read_at FROM web_logs ORDER BY site, path"
    )
