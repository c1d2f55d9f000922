"""Rebuild who is who from the raw tables: identities, people, organisations, contributions.

An *identity* is a (name, e-mail) pair as git recorded it (e-mails compared lower-cased).
Identities join into one *person* only through safe evidence:

- ``email``: the same address (in any case), unless it is a placeholder like ``root@localhost``;
- ``mailmap``: git's mailmap maps the identity to a canonical name and address;
- ``github-noreply``: a ``12345+login@users.noreply.github.com`` address names the login;
- ``github-pr``: a pull request merged as a single commit is authored, by GitHub, with an
  address of the pull request's author: that identity has the author's login;
- ``github-id``: the same GitHub account (user id) behind two logins or addresses: the id in
  a no-reply address (``12345+old-login@...``, ``12345+new-login@...``), or the id GitHub
  gives a login in its own data;
- ``override``: a ``[[merge]]`` decision in the overrides file.

Co-authors are read through the repository's mailmap like authors (``git check-mailmap``).

A ``[[split]]`` decision keeps an identity out of every automatic rule. Weaker evidence (same
name, other addresses) is never applied here: ``suggest.py`` lists it for a person to confirm.
Everything derived is rebuilt in one go inside the caller's transaction, so it is always
consistent with the raw tables and with the latest decisions.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pyarrow as pa

from catherd.errors import InputError
from catherd.identity.bots import is_bot
from catherd.identity.emails import domain_of, is_placeholder, noreply_account, noreply_login
from catherd.identity.organisations import PERSONAL, UNKNOWN, OrganisationMap, org_slug
from catherd.identity.overrides import IdentityRef, Overrides
from catherd.identity.suggest import name_key

_RAW_IDENTITIES = """
WITH raw AS (
    SELECT coalesce(author_name, '') AS name, lower(trim(coalesce(author_email, ''))) AS email_key,
           author_email AS email, author_name_mapped AS mapped_name,
           lower(trim(author_email_mapped)) AS mapped_email, authored_at AS seen_at
    FROM commits
    UNION ALL
    SELECT coalesce(ca.name, ''), lower(trim(coalesce(ca.email, ''))), ca.email,
           ca.name_mapped, lower(trim(ca.email_mapped)), c.authored_at
    FROM commit_coauthors ca JOIN commits c USING (sha)
)
SELECT name, email_key, any_value(email) AS email, any_value(mapped_name) AS mapped_name,
       any_value(mapped_email) AS mapped_email, count(*) AS contributions,
       min(seen_at) AS first_seen, max(seen_at) AS last_seen
FROM raw GROUP BY name, email_key ORDER BY name, email_key
"""

_CONTRIBUTIONS = """
INSERT INTO contributions
SELECT sha, role, identity_id, person_id, org_id, is_bot, contributed_at FROM (
    SELECT c.sha, 'author' AS role, i.identity_id, i.person_id, i.org_id, p.is_bot,
           c.authored_at AS contributed_at
    FROM commits c
    JOIN identities i ON i.name = coalesce(c.author_name, '')
                     AND i.email_key = lower(trim(coalesce(c.author_email, '')))
    JOIN people p USING (person_id)
    UNION ALL
    SELECT ca.sha, 'coauthor', i.identity_id, i.person_id, i.org_id, p.is_bot, c.authored_at
    FROM commit_coauthors ca JOIN commits c USING (sha)
    JOIN identities i ON i.name = coalesce(ca.name, '')
                     AND i.email_key = lower(trim(coalesce(ca.email, '')))
    JOIN people p USING (person_id)
)
WHERE contributed_at IS NOT NULL
-- a co-author who is also the author (another of their addresses) counts once, as author;
-- between two co-author addresses of one person, the same one every time (the lake's
-- re-export and every rebuild must see the same rows)
QUALIFY row_number() OVER (
    PARTITION BY sha, person_id ORDER BY role = 'author' DESC, identity_id
) = 1
"""

ANONYMOUS = "Anonymous contributor"
PERSON_ID = re.compile(r"^p[0-9a-f]{10}$")  # the form of every person id (see below)

_SQUASHED_PRS = """
SELECT DISTINCT coalesce(c.author_name, ''), lower(trim(coalesce(c.author_email, ''))),
       lower(i.author)
FROM gh_items i JOIN commits c ON c.sha = i.merge_commit_sha
WHERE i.is_pr AND i.merged_at IS NOT NULL AND len(c.parents) = 1 AND NOT i.author_is_bot
"""

# Accounts GitHub itself marks as bots, wherever they appear.
_BOT_LOGINS = """
SELECT DISTINCT lower(author) FROM gh_items WHERE author_is_bot
UNION SELECT DISTINCT lower(author) FROM gh_comments WHERE author_is_bot
UNION SELECT DISTINCT lower(reviewer) FROM gh_reviews WHERE reviewer_is_bot
"""
# Every login GitHub data names, to mark the ones catherd's bot list knows (Homu, bors...)
_GITHUB_ACTORS = """
SELECT DISTINCT author FROM gh_items UNION SELECT DISTINCT author FROM gh_comments
UNION SELECT DISTINCT reviewer FROM gh_reviews UNION SELECT DISTINCT actor FROM gh_events
"""
_MARK_GITHUB_BOTS = [
    "UPDATE gh_items SET author_is_bot = TRUE WHERE author IN (SELECT login FROM bot_actors)",
    "UPDATE gh_comments SET author_is_bot = TRUE WHERE author IN (SELECT login FROM bot_actors)",
    "UPDATE gh_reviews SET reviewer_is_bot = TRUE WHERE reviewer IN (SELECT login FROM bot_actors)",
    "UPDATE gh_events SET actor_is_bot = TRUE WHERE actor IN (SELECT login FROM bot_actors)",
]
# The account id GitHub gives each login it shows as an author
_GITHUB_IDS = """
SELECT lower(author), any_value(author_id) FROM gh_items
WHERE author IS NOT NULL AND author_id IS NOT NULL GROUP BY 1
"""

_APPLY_AFFILIATIONS = """
UPDATE contributions SET org_id = a.org_id
FROM affiliations a
WHERE a.person_id = contributions.person_id
  AND (a.valid_from IS NULL OR contributions.contributed_at >= a.valid_from)
  AND (a.valid_until IS NULL OR contributions.contributed_at < a.valid_until)
"""


@dataclass
class _Identity:
    key: tuple[str, str]
    email: str | None
    mapped_name: str | None
    mapped_email: str | None
    contributions: int
    first_seen: datetime | None
    last_seen: datetime | None

    @property
    def identity_id(self) -> str:
        return hashlib.sha1("\0".join(self.key).encode()).hexdigest()[:16]


@dataclass
class ResolveResult:
    identities: int = 0
    people: int = 0
    unmatched_overrides: list[str] = field(default_factory=list)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[object, object] = {}

    def find(self, node: object) -> object:
        parent = self.parent.setdefault(node, node)
        if parent != node:
            parent = self.parent[node] = self.find(parent)
        return parent

    def union(self, a: object, b: object) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[root_b] = root_a


def resolve_identities(
    con: duckdb.DuckDBPyConnection,
    overrides: Overrides,
    organisations: OrganisationMap,
    team: tuple[str, ...] = (),
) -> ResolveResult:
    """Rebuild every derived identity table. Run inside a transaction.

    ``team`` names the team's members (identity references or person ids): they are marked
    ``people.is_team``, and never count as newcomers.
    """
    rows = con.execute(_RAW_IDENTITIES).fetchall()
    identities = [_Identity((r[0], r[1]), r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows]
    result = ResolveResult(identities=len(identities))
    by_email: dict[str, list[_Identity]] = defaultdict(list)
    by_login: dict[str, list[_Identity]] = defaultdict(list)
    by_key = {identity.key: identity for identity in identities}
    logins: dict[int, tuple[str, str]] = {}  # identity -> (GitHub login, rule)
    github_ids: dict[int, int] = {}  # identity -> GitHub account id
    for identity in identities:
        by_email[identity.key[1]].append(identity)
        account_id, login = noreply_account(identity.key[1])
        if login:
            logins[id(identity)] = (login, "github-noreply")
        if account_id is not None:
            github_ids[id(identity)] = account_id
    # GitHub's own attribution: a pull request merged as one commit (squash or rebase of a
    # single commit) is authored by the pull request's author, with an address GitHub
    # verified for that account.
    for name, email_key, login in con.execute(_SQUASHED_PRS).fetchall():
        squashed = by_key.get((name, email_key))
        if squashed is not None and id(squashed) not in logins:
            logins[id(squashed)] = (login, "github-pr")
    id_of_login = dict(con.execute(_GITHUB_IDS).fetchall())
    for identity in identities:
        if id(identity) in logins:
            login = logins[id(identity)][0]
            by_login[login].append(identity)
            if id(identity) not in github_ids and login in id_of_login:
                github_ids[id(identity)] = int(id_of_login[login])
    bot_logins = {row[0] for row in con.execute(_BOT_LOGINS).fetchall()}
    _mark_github_bots(con)

    def matching(ref: IdentityRef) -> list[_Identity]:
        if ref.login:
            return by_login.get(ref.login, [])
        found = by_email.get(ref.email or "", [])
        if ref.name is not None:
            found = [i for i in found if i.key[0].casefold() == ref.name.casefold()]
        return found

    split = {id(i) for ref in overrides.splits for i in matching(ref)}
    groups = _UnionFind()
    edges: dict[int, list[tuple[object, str]]] = defaultdict(list)

    def link(identity: _Identity, node: object, rule: str) -> None:
        groups.union(id(identity), node)
        edges[id(identity)].append((node, rule))

    for identity in identities:
        groups.find(id(identity))
        if id(identity) in split:
            continue
        email = identity.key[1]
        if not is_placeholder(email):
            link(identity, ("email", email), "email")
        mapped = identity.mapped_email
        if mapped and (identity.mapped_name, mapped) != identity.key and not is_placeholder(mapped):
            link(identity, ("email", mapped), "mailmap")
        if id(identity) in logins:
            login, rule = logins[id(identity)]
            link(identity, ("login", login), rule)
        if id(identity) in github_ids:
            link(identity, ("github-id", github_ids[id(identity)]), "github-id")
    for number, refs in enumerate(overrides.merges):
        for ref in refs:
            members = matching(ref)
            if not members:
                result.unmatched_overrides.append(f"merge #{number + 1}: {ref}")
            for identity in members:
                link(identity, ("override", number), "override")

    members_of: dict[object, list[_Identity]] = defaultdict(list)
    for identity in identities:
        members_of[groups.find(id(identity))].append(identity)
    # A rule explains a merge only where its node links this identity to another one.
    node_members = Counter(node for links in edges.values() for node in {n for n, _ in links})

    person_settings: dict[int, tuple[str | None, bool | None]] = {}
    for ref, name, bot in overrides.people:
        members = matching(ref)
        if not members:
            result.unmatched_overrides.append(f"person: {ref}")
        for identity in members:
            person_settings[id(identity)] = (name, bot)
    team_people, team_members = _team(team, matching)
    forgotten: dict[int, bool] = {}  # identity -> hide as well
    for ref, hide in overrides.forget:
        members = matching(ref)
        if not members:
            result.unmatched_overrides.append(f"forget: {ref}")
        for identity in members:
            forgotten[id(identity)] = forgotten.get(id(identity), False) or hide

    identity_rows: dict[str, list] = defaultdict(list)
    people_rows: dict[str, list] = defaultdict(list)
    person_of: dict[int, str] = {}
    org_names: dict[str, tuple[str, str]] = {
        UNKNOWN: ("Unknown", UNKNOWN),
        PERSONAL: ("Personal address", PERSONAL),
    }
    domain_rows: dict[str, tuple[str, str]] = {}
    for group in members_of.values():
        anchor = min(group, key=lambda i: (i.first_seen or datetime.max, i.key))
        person_id = "p" + hashlib.sha1("\0".join(anchor.key).encode()).hexdigest()[:10]
        name_override = next(
            (
                person_settings[id(i)][0]
                for i in group
                if id(i) in person_settings and person_settings[id(i)][0]
            ),
            None,
        )
        bot_override = next(
            (
                person_settings[id(i)][1]
                for i in group
                if id(i) in person_settings and person_settings[id(i)][1] is not None
            ),
            None,
        )
        group_is_bot = any(
            is_bot(i.key[0], i.key[1], logins.get(id(i), ("", ""))[0])
            or logins.get(id(i), ("", ""))[0] in bot_logins
            for i in group
        )
        people_rows["person_id"].append(person_id)
        forget = [forgotten[id(i)] for i in group if id(i) in forgotten]
        display = ANONYMOUS if forget else name_override or _display_name(group)
        people_rows["display_name"].append(display)
        # a forgotten person shares no name with anyone, even another forgotten one
        people_rows["name_key"].append(None if forget else name_key(display) or None)
        people_rows["is_team"].append(
            person_id in team_people or any(id(i) in team_members for i in group)
        )
        people_rows["hidden"].append(any(forget))
        people_rows["forgotten"].append(bool(forget))
        people_rows["primary_email"].append(None if forget else _primary_email(group))
        people_rows["is_bot"].append(group_is_bot if bot_override is None else bot_override)
        for identity in group:
            person_of[id(identity)] = person_id
            domain = domain_of(identity.key[1])
            if is_placeholder(identity.key[1]):
                org_id, org_name, kind, rule = UNKNOWN, "Unknown", UNKNOWN, "placeholder"
            else:
                org, rule = organisations.classify(domain)
                org_id, org_name, kind = org.org_id, org.name, org.kind
            org_names.setdefault(org_id, (org_name, kind))
            if domain:
                domain_rows[domain] = (org_id, rule)
            rules = sorted(
                {rule for node, rule in edges[id(identity)] if node_members[node] > 1}
            ) or ["alone"]
            identity_rows["identity_id"].append(identity.identity_id)
            identity_rows["name"].append(identity.key[0])
            identity_rows["email"].append(identity.email)
            identity_rows["email_key"].append(identity.key[1])
            identity_rows["login"].append(logins.get(id(identity), (None, None))[0])
            identity_rows["github_id"].append(github_ids.get(id(identity)))
            identity_rows["mapped_name"].append(identity.mapped_name or identity.key[0])
            identity_rows["org_id"].append(org_id)
            identity_rows["person_id"].append(person_id)
            identity_rows["merged_by"].append(",".join(rules))
            identity_rows["is_bot"].append(is_bot(identity.key[0], identity.key[1]))
            identity_rows["first_seen"].append(identity.first_seen)
            identity_rows["last_seen"].append(identity.last_seen)
            identity_rows["contributions"].append(identity.contributions)
    result.people = len(members_of)

    affiliation_rows: dict[str, list] = defaultdict(list)
    for affiliation in organisations.affiliations:
        members = matching(IdentityRef.parse(affiliation.person))
        if not members:
            result.unmatched_overrides.append(f"affiliation: {affiliation.person}")
        org_id = org_slug(affiliation.organisation)
        org_names.setdefault(org_id, (affiliation.organisation, "company"))
        for person_id in sorted({person_of[id(i)] for i in members}):
            affiliation_rows["person_id"].append(person_id)
            affiliation_rows["org_id"].append(org_id)
            affiliation_rows["valid_from"].append(affiliation.valid_from)
            affiliation_rows["valid_until"].append(affiliation.valid_until)
            affiliation_rows["source"].append("organisation map")

    _replace(con, "identities", identity_rows)
    _replace(con, "people", people_rows)
    _replace(
        con,
        "organisations",
        {
            "org_id": list(org_names),
            "name": [v[0] for v in org_names.values()],
            "kind": [v[1] for v in org_names.values()],
        },
    )
    _replace(
        con,
        "email_domains",
        {
            "domain": list(domain_rows),
            "org_id": [v[0] for v in domain_rows.values()],
            "rule": [v[1] for v in domain_rows.values()],
        },
    )
    _replace(con, "affiliations", affiliation_rows)
    con.execute("DELETE FROM contributions")
    con.execute(_CONTRIBUTIONS)
    con.execute(_APPLY_AFFILIATIONS)
    return result


def _team(
    team: tuple[str, ...], matching: Callable[[IdentityRef], list[_Identity]]
) -> tuple[set[str], set[int]]:
    """The person ids, and the identities, that ``team`` references name."""
    person_ids: set[str] = set()
    members: set[int] = set()
    for text in team:
        if PERSON_ID.match(text):
            person_ids.add(text)
            continue
        try:
            members.update(id(i) for i in matching(IdentityRef.parse(text)))
        except InputError:
            continue  # checked where the team is configured; an odd entry names nobody
    return person_ids, members


def _mark_github_bots(con: duckdb.DuckDBPyConnection) -> None:
    """Flag GitHub activity of accounts the bot list knows but GitHub types as users."""
    actors = [row[0] for row in con.execute(_GITHUB_ACTORS).fetchall() if row[0]]
    bots = pa.table({"login": pa.array([a for a in actors if is_bot(a)], pa.string())})
    con.register("bot_actors", bots)
    try:
        for statement in _MARK_GITHUB_BOTS:
            con.execute(statement)
    finally:
        con.unregister("bot_actors")


def _display_name(group: list[_Identity]) -> str:
    names: Counter[str] = Counter()
    for identity in group:
        names[identity.mapped_name or identity.key[0]] += identity.contributions
    best = [name for name, _ in names.most_common() if name.strip()]
    return best[0] if best else (group[0].email or "(no name)")


def _primary_email(group: list[_Identity]) -> str | None:
    """The address most of the person's work was made with, after the mailmap."""
    weights: Counter[str] = Counter()
    for identity in group:
        address = identity.mapped_email or identity.key[1]
        if not is_placeholder(address):
            weights[address] += identity.contributions
    ranked = sorted(weights, key=lambda a: (noreply_login(a) is not None, -weights[a], a))
    return ranked[0] if ranked else None


def _replace(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, list]) -> None:
    """Replace a derived table's rows with ``columns`` (a dict of equal-length lists)."""
    names = [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]
    con.execute(f"DELETE FROM {table}")
    if not columns or not next(iter(columns.values()), []):
        return
    data = pa.table({name: columns[name] for name in names})
    con.register("derived_rows", data)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM derived_rows")
    finally:
        con.unregister("derived_rows")
