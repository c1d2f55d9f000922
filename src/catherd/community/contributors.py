"""Who contributed most in a window, by name, and which organisations they came from.

People that catherd keeps apart but who carry the same display name (a new address not yet
merged) are one line, as in the credits: a reader sees one name once. Bots and people who
asked to be left out of lists are not listed.
"""

from __future__ import annotations

from typing import Any

from catherd.community.periods import Window
from catherd.store.database import Store

_TOP = """
WITH c AS (
    SELECT c.person_id, c.org_id, c.contributed_at, coalesce(p.name_key, p.person_id) AS grp
    FROM contributions c JOIN people p USING (person_id)
    WHERE NOT c.is_bot AND NOT p.hidden
),
firsts AS (SELECT grp, min(contributed_at) AS since FROM c GROUP BY grp),
recent AS (SELECT * FROM c WHERE contributed_at >= $start AND contributed_at < $end),
orgs AS (
    SELECT grp, arg_max(o.name, n) AS organisation FROM (
        SELECT grp, org_id, count(*) AS n FROM recent GROUP BY ALL
    ) JOIN organisations o USING (org_id) GROUP BY grp
),
names AS (
    -- the name shown: the one of the group's most active person in the window
    SELECT grp, arg_max(p.display_name, n) AS display_name, arg_max(person_id, n) AS person_id
    FROM (SELECT grp, person_id, count(*) AS n FROM recent GROUP BY ALL)
    JOIN people p USING (person_id) GROUP BY grp
)
SELECT n.person_id, n.display_name, o.organisation, count(*) AS contributions, f.since
FROM recent r JOIN names n USING (grp) JOIN firsts f USING (grp) LEFT JOIN orgs o USING (grp)
GROUP BY ALL ORDER BY contributions DESC, n.display_name LIMIT $limit
"""


def top_contributors(store: Store, window: Window, limit: int = 15) -> list[dict[str, Any]]:
    """The most active names of the window, with their main organisation and first year."""
    return store.rows(_TOP, {"start": window.start, "end": window.end, "limit": limit})


def organisation_shares(
    store: Store, window: Window | None = None, limit: int = 300
) -> list[dict[str, Any]]:
    """Organisations (personal and unknown addresses included, as such) by their share of
    the contributions (bots left out) in ``window`` or all time, with their people."""
    span = [window.start, window.end] if window else [None, None]
    return store.rows(
        "SELECT o.org_id, o.name, o.kind, count(DISTINCT c.person_id) AS contributors, "
        "count(*) AS contributions, min(c.contributed_at) AS first_at, "
        "max(c.contributed_at) AS last_at, count(*) / sum(count(*)) OVER () AS share "
        "FROM contributions c JOIN organisations o USING (org_id) WHERE NOT c.is_bot "
        "AND ($1 IS NULL OR c.contributed_at >= $1) AND ($2 IS NULL OR c.contributed_at < $2) "
        "GROUP BY ALL ORDER BY contributions DESC, o.name LIMIT $3",
        [*span, limit],
    )
