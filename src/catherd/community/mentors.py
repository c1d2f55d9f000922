"""Mentors: who gave newcomers their first comment and their first review, and how many of
those newcomers stayed.

For each newcomer of a window (a funnel subject, not team, whose first contact falls in it),
the *first comment* is the earliest issue or review comment by someone else (no bot) on an
issue or pull request the newcomer opened, and the *first review* the earliest review by
someone else on a pull request they opened. Their authors are the newcomer's mentors (one
person, or two). A mentored newcomer *stayed* when they reached the funnel's second merged
contribution, and became *regular* when they reached its last stage.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from catherd.community.funnel import Journey, journeys
from catherd.community.periods import Window
from catherd.dates import latest_plausible
from catherd.store.database import Store

_RESPONSES = """
SELECT lower(i.author) AS newcomer, a.kind, a.login, a.moment
FROM gh_items i JOIN (
    SELECT repo, number, 'comment' AS kind, author AS login, created_at AS moment
    FROM gh_comments WHERE NOT author_is_bot
    UNION ALL
    SELECT repo, number, 'review', reviewer, submitted_at FROM gh_reviews
    WHERE NOT reviewer_is_bot
) a USING (repo, number)
WHERE list_contains($logins::VARCHAR[], lower(i.author)) AND a.login IS NOT NULL
  AND lower(a.login) <> lower(i.author) AND a.moment <= $as_of
ORDER BY a.moment, a.kind, a.login
"""


def mentors(
    store: Store, window: Window, team: Iterable[str] = (), as_of: datetime | None = None,
    everyone: list[Journey] | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Each mentor of the window's newcomers, the most newcomers first (``everyone``:
    ``journeys(..., include_team=True)`` when the caller has it already)."""
    moment = as_of or latest_plausible()
    if everyone is None:
        everyone = journeys(store, team, moment, include_team=True)
    subject_of = {login: j for j in everyone for login in j.logins}
    start = datetime.combine(window.start, datetime.min.time(), UTC)
    end = datetime.combine(window.end, datetime.min.time(), UTC)
    newcomers = {j.subject: j for j in everyone
                 if not j.is_team and start <= j.contact_at < end}  # fmt: skip
    logins = sorted(login for j in newcomers.values() for login in j.logins)
    firsts: dict[tuple[str, str], str] = {}  # (newcomer subject, kind) -> mentor login
    for row in store.rows(_RESPONSES, {"logins": logins, "as_of": moment}):
        newcomer = subject_of[row["newcomer"]]
        mentor = subject_of.get(row["login"].lower())
        if mentor is not None and mentor.subject == newcomer.subject:
            continue  # another account of the newcomer's own
        firsts.setdefault((newcomer.subject, row["kind"]), row["login"])
    by_mentor: dict[str, dict[str, Any]] = {}
    welcomed: dict[str, set[str]] = defaultdict(set)
    for (newcomer_subject, kind), login in firsts.items():
        mentor = subject_of.get(login.lower())
        key = mentor.subject if mentor else f"github:{login.lower()}"
        entry = by_mentor.setdefault(key, _mentor(mentor, login))
        entry[f"first_{kind}s"] += 1
        welcomed[key].add(newcomer_subject)
    for key, entry in by_mentor.items():
        mentored: list[Journey] = [newcomers[s] for s in welcomed[key]]
        entry["newcomers"] = len(mentored)
        entry["stayed"] = sum(1 for j in mentored if j.second_at is not None)
        entry["regular"] = sum(1 for j in mentored if j.regular_at is not None)
        entry["stayed_share"] = entry["stayed"] / len(mentored)
    return sorted(by_mentor.values(), key=lambda e: (-e["newcomers"], -e["stayed"], e["name"]))


def _mentor(journey: Journey | None, login: str) -> dict[str, Any]:
    hidden = journey is not None and journey.hidden
    return {
        "name": "(not named)" if hidden else (journey.name if journey else login),
        "login": None if hidden else login, "is_team": bool(journey and journey.is_team),
        "first_comments": 0, "first_reviews": 0,
    }  # fmt: skip
