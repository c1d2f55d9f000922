"""Acts in the GH Archive lake, who did them, and for which organisation.

An *act* is a GH Archive event that is a contribution: a push, a pull request opened, a
review submitted, an issue opened, a comment (on an issue, a pull request's code or a
commit), a release published. Stars, forks, branch creation and wiki edits are not acts.
Repositories are keyed by id and shown by the latest name the lake saw for them.

People come from the identity store: a GitHub login joins the person whose identities carry
it (the same rules that merge identities, see docs/architecture.md); bots and hidden people
are left out. A person's organisation is the one of their latest commit with a known
organisation (as for prospects, docs/partners.md); personal and unknown addresses are none.
Both questions are ibis expressions, so they run on DuckDB or Spark alike.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir

from catherd.engine.base import EVENTS, Engine
from catherd.errors import InputError
from catherd.identity.organisations import PERSONAL, UNKNOWN
from catherd.metrics.base import literal_date
from catherd.partners import book
from catherd.store.database import Store

COMMENTS = ("IssueCommentEvent", "PullRequestReviewCommentEvent", "CommitCommentEvent")
# each kind of act and the column counting it
KINDS = {"push": "pushes", "pull_request": "pull_requests", "review": "reviews",
         "issue": "issues", "comment": "comments", "release": "releases"}  # fmt: skip


def acts(engine: Engine, since: date | None = None) -> ir.Table:
    """Every act in the lake (since ``since``): kind, lower-cased login, repository, time."""
    if not engine.has_events():
        raise InputError(
            "no GH Archive events in the lake: import some with "
            "`catherd import gharchive FILES --lake DIR`"
        )
    e = engine.table(EVENTS)
    if since is not None:
        # the day filter lets both engines skip whole day partitions
        e = e.filter((e.day >= since) & (e.created_at >= literal_date(since)))
    kind = ibis.cases(
        (e.type == "PushEvent", "push"),
        ((e.type == "PullRequestEvent") & (e.action == "opened"), "pull_request"),
        (e.type == "PullRequestReviewEvent", "review"),
        ((e.type == "IssuesEvent") & (e.action == "opened"), "issue"),
        (e.type.isin(COMMENTS), "comment"),
        ((e.type == "ReleaseEvent") & (e.action == "published"), "release"),
        else_=ibis.null("string"),
    )
    e = e.mutate(kind=kind, login=e.actor_login.lower())
    return e.filter(e.kind.notnull() & e.login.notnull()).select(
        "kind", "login", "repo_id", "repo_name", "created_at"
    )


def repository_names(engine: Engine) -> ir.Table:
    """Each repository id with the latest name the lake saw for it."""
    e = engine.table(EVENTS)
    return e.group_by("repo_id").aggregate(repository=e.repo_name.argmax(e.created_at))


def in_repositories(table: ir.Table, engine: Engine, names: set[str], owners: set[str]) -> ir.Table:
    """Rows of ``table`` in the repositories that ever carried one of ``names`` (by id) or
    whose owner is one of ``owners``."""
    if not names and not owners:
        raise InputError("name repositories with --repos or owners with --orgs")
    e = engine.table(EVENTS)
    lowered = e.repo_name.lower()
    chosen = (
        e.filter(lowered.isin(sorted(names)) | lowered.split("/")[0].isin(sorted(owners)))
        .select("repo_id")
        .distinct()
    )
    return table.semi_join(chosen, "repo_id")


def people_logins(engine: Engine) -> ir.Table:
    """(login, person_id, name) for every person with a GitHub login, bots and hidden people
    left out."""
    i = engine.table("identities")
    logins = i.filter(i.login.notnull()).select(login=i.login.lower(), person_id=i.person_id)
    p = engine.table("people")
    people = p.filter(~p.is_bot & ~p.hidden).select("person_id", name=p.display_name)
    return logins.distinct().join(people, "person_id")


def person_organisations(engine: Engine) -> ir.Table:
    """Each person's organisation: that of their latest commit with a known one."""
    c = engine.table("contributions")
    known = c.filter(~c.org_id.isin([PERSONAL, UNKNOWN]))
    latest = known.group_by("person_id").aggregate(org_id=known.org_id.argmax(known.contributed_at))
    o = engine.table("organisations").select("org_id", organisation="name")
    return latest.join(o, "org_id")


def _counts(table: ir.Table) -> dict[str, ir.Value]:
    counts: dict[str, ir.Value] = {c: (table.kind == k).sum() for k, c in KINDS.items()}
    return {
        **counts,
        "acts": table.count(),
        "first_at": table.created_at.min(),
        "last_at": table.created_at.max(),
    }


def breadth(
    engine: Engine, team: dict[str, str] | None = None, since: date | None = None
) -> list[dict[str, Any]]:
    """Acts per person and repository: the team's (``team`` maps logins to names) or, with
    None, every person's with a GitHub login. Ordered by person, then most acts first."""
    a = acts(engine, since)
    if team is not None:
        if not team:
            raise InputError("the funded team has no member with a GitHub login")
        a = a.filter(a.login.isin(sorted(team)))
        who = ibis.cases(*((a.login == login, name) for login, name in sorted(team.items())))
        a = a.mutate(who=who)
    else:
        joined = a.join(people_logins(engine), "login")
        a = joined.mutate(who=joined.name)
    per = a.group_by(["who", "repo_id"]).aggregate(**_counts(a))
    named = per.join(repository_names(engine), "repo_id")
    return engine.rows(
        named.select(
            "who", "repository", "repo_id", *KINDS.values(), "acts", "first_at", "last_at"
        ).order_by(["who", ibis.desc("acts"), "repository", "repo_id"])
    )


def organisations(
    engine: Engine, names: set[str], owners: set[str], since: date | None = None
) -> dict[str, Any]:
    """Organisations whose people act in the repositories chosen, most acts first; with what
    could not be attributed (logins of no known person, people of no known organisation)."""
    a = in_repositories(acts(engine, since), engine, names, owners)
    people = a.join(people_logins(engine), "login")
    attributed = people.join(person_organisations(engine), "person_id")
    ranked = attributed.group_by(["org_id", "organisation"]).aggregate(
        people=attributed.person_id.nunique(),
        repositories=attributed.repo_id.nunique(),
        **_counts(attributed),
    )
    rows = engine.rows(ranked.order_by([ibis.desc("acts"), ibis.desc("people"), "organisation"]))
    (totals,) = engine.rows(a.aggregate(acts=a.count(), repositories=a.repo_id.nunique()))
    (known,) = engine.rows(people.aggregate(acts=people.count()))
    (placed,) = engine.rows(attributed.aggregate(acts=attributed.count()))
    return {
        "organisations": rows,
        "acts": totals["acts"],
        "repositories": totals["repositories"],
        # logins the identity store does not know (or bots, or hidden people)
        "acts_of_unknown_people": totals["acts"] - known["acts"],
        "acts_of_people_without_organisation": known["acts"] - placed["acts"],
    }


def team_logins(store: Store) -> dict[str, str]:
    """The funded team's GitHub logins (lower case), each with the member's name."""
    rows = book.team_rows(store, book.load(store))
    return {login: str(row["name"]) for row in rows for login in row["logins"]}
