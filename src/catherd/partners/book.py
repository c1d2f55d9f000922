"""The records in the store: read them, replace them all-or-nothing, and log every change.

An import (or an edit from the dashboard) is checked as a whole — each record, the references
between records, the currencies against ``[funding]``, each team member against the identity
store — and written in one transaction with one audit-log row per record added, changed or
removed (who, when, before, after). On any problem nothing is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from catherd.errors import InputError
from catherd.partners.funding import Funding
from catherd.partners.records import FILES, KINDS, Member, Record, Records, from_json, to_toml
from catherd.store.database import Store


@dataclass(frozen=True)
class Change:
    kind: str
    record_id: str
    action: str  # added, changed, removed


def load(store: Store) -> Records:
    by_kind: dict[str, dict[str, Record]] = {kind: {} for kind in KINDS}
    for row in store.rows("SELECT kind, record_id, data FROM records ORDER BY kind, record_id"):
        by_kind[row["kind"]][row["record_id"]] = from_json(row["kind"], json.loads(row["data"]))
    return Records(by_kind)


@dataclass(frozen=True)
class Who:
    """A funded team member as the store knows them: a person, a GitHub login, or both."""

    person_id: str | None
    name: str
    logins: frozenset[str]  # lower case


_GITHUB_LOGINS = """
SELECT DISTINCT login FROM (
    SELECT lower(author) AS login FROM gh_items UNION ALL
    SELECT lower(author) FROM gh_comments UNION ALL
    SELECT lower(reviewer) FROM gh_reviews UNION ALL
    SELECT lower(actor) FROM gh_events
) WHERE login = lower(?)
"""


def identify(store: Store, reference: str) -> Who | None:
    """Whom a team member's ``person`` names: a person id, an e-mail, ``Name <email>`` or
    ``github:login`` (a login seen in GitHub activity is enough, as people who only review
    or triage have no commit); None when it names no one, or several people."""
    reference = reference.strip()
    login = reference.removeprefix("github:") if reference.startswith("github:") else None
    if login is not None:
        sql, value = "lower(login) = lower(?)", login
    elif "<" in reference and reference.endswith(">"):
        sql, value = "email_key = lower(?)", reference.rsplit("<", 1)[1].rstrip(">").strip()
    elif "@" in reference:
        sql, value = "email_key = lower(?)", reference
    else:
        sql, value = "person_id = ?", reference
    people = store.rows(f"SELECT DISTINCT person_id FROM identities WHERE {sql}", [value])
    if len(people) > 1:
        return None
    if not people:
        if login is None or not store.rows(_GITHUB_LOGINS, [login]):
            return None
        return Who(None, login, frozenset({login.lower()}))
    person_id = str(people[0]["person_id"])
    name = store.scalar("SELECT display_name FROM people WHERE person_id = ?", [person_id])
    logins = store.rows(
        "SELECT DISTINCT lower(login) AS login FROM identities "
        "WHERE person_id = ? AND login IS NOT NULL",
        [person_id],
    )
    found = {r["login"] for r in logins} | ({login.lower()} if login else set())
    return Who(person_id, str(name), frozenset(found))


def team_rows(store: Store, records: Records) -> list[dict[str, Any]]:
    """The funded team's records, each with whom it names: person id, name, GitHub logins."""
    rows = []
    for member in records.of(Member):
        who = identify(store, member.person)
        rows.append({**member.model_dump(mode="json"), "person_id": who and who.person_id,
                     "name": who.name if who else member.person,
                     "logins": sorted(who.logins) if who else []})  # fmt: skip
    return rows


def replace(
    store: Store, incoming: Records, kinds: tuple[str, ...], funding: Funding, actor: str,
    via: str = "import", force: bool = False,
) -> list[Change]:  # fmt: skip
    """Make the stored records of ``kinds`` those of ``incoming``; return what changed.

    ``via`` says where the change comes from: an ``import`` of files, or the ``dashboard``.
    An import refuses to overwrite records edited on the dashboard since the last import
    (they would be lost from the files' point of view) unless ``force``. Raises InputError
    listing every problem, having written nothing.
    """
    current = load(store)
    merged = Records(
        {**current.by_kind, **{kind: incoming.by_kind.get(kind, {}) for kind in kinds}}
    )
    if via == "import" and not force:
        _refuse_to_overwrite_dashboard_edits(store, current, merged, kinds)
    problems = merged.check(funding.currencies)
    for member in merged.of(Member):
        if identify(store, member.person) is None:
            problems.append(
                f"member {member.id!r}: person {member.person!r} is not one known person "
                "(use a person id from `catherd people`, an e-mail, Name <email> or github:login)"
            )
    if problems:
        raise InputError("records not saved:\n  " + "\n  ".join(problems))
    changes: list[Change] = []
    now = datetime.now(UTC)
    with store.transaction() as con:
        for kind in kinds:
            before = current.by_kind.get(kind, {})
            after = merged.by_kind.get(kind, {})
            for record_id in sorted(before.keys() | after.keys()):
                old, new = before.get(record_id), after.get(record_id)
                if old == new:
                    continue
                action = "added" if old is None else "removed" if new is None else "changed"
                con.execute(
                    "DELETE FROM records WHERE kind = ? AND record_id = ?", [kind, record_id]
                )
                if new is not None:
                    con.execute(
                        "INSERT INTO records VALUES (?, ?, ?)", [kind, record_id, _json(new)]
                    )
                con.execute(
                    "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [now, actor, kind, record_id, action, _json(old), _json(new), via],
                )
                changes.append(Change(kind, record_id, action))
    return changes


_DASHBOARD_EDITS = """
SELECT kind, record_id, arg_max(actor, changed_at) AS actor, max(changed_at) AS changed_at
FROM audit_log
WHERE via = 'dashboard' AND changed_at > (
    SELECT coalesce(max(changed_at), TIMESTAMPTZ '1970-01-01') FROM audit_log WHERE via = 'import')
GROUP BY ALL ORDER BY kind, record_id
"""


def _refuse_to_overwrite_dashboard_edits(
    store: Store, current: Records, merged: Records, kinds: tuple[str, ...]
) -> None:
    clobbered = [
        f"{e['kind']} {e['record_id']} ({e['actor']}, {e['changed_at']:%Y-%m-%d %H:%M})"
        for e in store.rows(_DASHBOARD_EDITS)
        if e["kind"] in kinds
        and current.get(e["kind"], e["record_id"]) != merged.get(e["kind"], e["record_id"])
    ]
    if clobbered:
        raise InputError(
            "records not saved: these were edited on the dashboard since the last import, and "
            "the files would undo that: " + "; ".join(clobbered) + ". Run `catherd records "
            "export` and merge the edits into your files, or import with --force."
        )


def _json(record: Record | None) -> str | None:
    return None if record is None else json.dumps(record.model_dump(mode="json"), sort_keys=True)


def export(store: Store, folder: Path) -> list[Path]:
    """Write the three record files (every kind, even when empty) into ``folder``."""
    records = load(store)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, kinds in FILES.items():
        path = folder / name
        path.write_text(to_toml(records, kinds), encoding="utf-8")
        written.append(path)
    return written


def audit_log(store: Store, limit: int = 100) -> list[dict[str, Any]]:
    """The latest changes first, with the fields that changed."""
    rows = store.rows(
        "SELECT changed_at AS at, actor, kind, record_id, action, old_data, new_data "
        "FROM audit_log ORDER BY changed_at DESC, kind, record_id LIMIT ?",
        [limit],
    )
    for row in rows:
        before = json.loads(row.pop("old_data") or "{}")
        after = json.loads(row.pop("new_data") or "{}")
        changed = before.keys() & after.keys()  # an added or removed record lists none
        row["fields"] = sorted(k for k in changed if before[k] != after[k])
    return rows
