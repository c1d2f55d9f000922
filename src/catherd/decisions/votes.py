"""Votes, where a process records them: a pull request or issue whose title says vote.

- **Which**: items of the GitHub repository that goes with a decision repository (same
  name, as ``owner/name``) whose title calls a vote: it starts with "vote" or "voting"
  (``VOTE SLEP 20``, ``[VOTE] Accept SLEP000``), or says ``[VOTE]`` or "call for votes".
  Without GitHub data, the main line's commits whose subject says vote still show the pull
  request that carried the vote, with no tally.
- **For which decision**: the one its title names (``SLEP 17``, ``SLEP017``, ``PEP-8``), else
  the one whose document that pull request changed.
- **Votes**: a person's last word counts: an approving review or a comment starting with
  ``+1`` (or a thumbs-up) is for; a review requesting changes or a comment starting with
  ``-1`` is against; ``0``/``+0``/``-0`` abstains. Bots do not vote. Only the people entitled
  count (``[decisions] voters``, else ``[triage] team``, else anyone); the others are listed.
- **Outcome**: a merged pull request is ``accepted``, one closed unmerged ``rejected``; a
  closed issue ``passed`` or ``failed`` by the tally; an open item is ``open``. The tally
  passes when those for make at least the majority (default two thirds) of the votes cast.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from catherd.decisions.log import HEAD, Decision
from catherd.decisions.rules import DecisionRules
from catherd.sources.git.repository import default_name
from catherd.store.database import Store

# A title that calls a vote: it starts with the word (VOTE SLEP 20, [VOTE] Accept X, Voting:
# ...), or says [VOTE] or "call for votes" anywhere; "easier to vote on" does not count.
VOTE_TITLE = re.compile(r"(?i)^\W*vot(?:e|ing)\b|\[vot(?:e|ing)\]|\bcall(?:ing)? for votes?\b")
_STANCE = re.compile(r"^\s*(?P<v>\+1|-1|\+0|-0|0|👍|👎|:\+1:|:-1:|:thumbsup:|:thumbsdown:)(?!\d)")
_FOR = {"+1", "👍", ":+1:", ":thumbsup:"}
_AGAINST = {"-1", "👎", ":-1:", ":thumbsdown:"}


def votes(
    store: Store, decisions: Sequence[Decision], rules: DecisionRules
) -> list[dict[str, Any]]:
    """Every vote about the decisions' repositories, newest first."""
    found: list[dict[str, Any]] = []
    repositories = {d.repo_id: d.repository for d in decisions}
    # people who asked to be forgotten are shown as the identity layer names them
    forgotten = {r["login"]: r["display_name"] for r in store.rows(
        "SELECT DISTINCT lower(i.login) AS login, p.display_name FROM identities i "
        "JOIN people p USING (person_id) WHERE p.forgotten AND i.login IS NOT NULL")}  # fmt: skip
    for repo_id, name in repositories.items():
        mine = [d for d in decisions if d.repo_id == repo_id]
        slugs = _slugs(store, repo_id, name)
        items = _vote_items(store, slugs)
        for item in items:
            item.update(_tally(store, item, rules, forgotten))
            item["decision"] = _decision_of(item, mine)
            item["repository"] = name
            found.append(item)
        known = {item["number"] for item in items}
        found.extend(_from_history(mine, known, name))
    return sorted(found, key=lambda v: v["opened"] or v["closed"] or "", reverse=True)


def _slugs(store: Store, repo_id: int, name: str) -> list[str]:
    """GitHub repositories (owner/name) that go with a decision repository: the same name."""
    location = store.scalar("SELECT location FROM repositories WHERE repo_id = ?", [repo_id])
    names = {name.lower(), default_name(str(location or name)).lower()}
    return [r["repo"] for r in store.rows("SELECT DISTINCT repo FROM gh_items ORDER BY repo")
            if r["repo"].split("/")[-1].lower() in names]  # fmt: skip


def _vote_items(store: Store, slugs: list[str]) -> list[dict[str, Any]]:
    if not slugs:
        return []
    rows = store.rows(
        "SELECT repo AS github, number, is_pr, title, state, url, created_at, closed_at, "
        "merged_at FROM gh_items WHERE list_contains($slugs, repo) "
        "AND regexp_matches(title, $pattern) ORDER BY created_at",
        {"slugs": slugs, "pattern": VOTE_TITLE.pattern},
    )
    return [{**r, "source": "github", "opened": r["created_at"].isoformat(),
             "closed": r["closed_at"].isoformat() if r["closed_at"] else None,
             "merged": r["merged_at"] is not None} for r in rows]  # fmt: skip


def _tally(
    store: Store, item: dict[str, Any], rules: DecisionRules, forgotten: dict[str, str]
) -> dict[str, Any]:
    key = {"repo": item["github"], "number": item["number"]}
    said: list[tuple[datetime, str, int]] = []  # (when, login, +1 / -1 / 0)
    for row in store.rows(
        "SELECT reviewer AS login, state, submitted_at AS at FROM gh_reviews "
        "WHERE repo = $repo AND number = $number AND NOT reviewer_is_bot "
        "AND submitted_at IS NOT NULL",
        key,
    ):
        stance = {"APPROVED": 1, "CHANGES_REQUESTED": -1}.get(str(row["state"]).upper())
        if stance is not None:
            said.append((row["at"], row["login"], stance))
    for row in store.rows(
        "SELECT payload->>'$.user.login' AS login, payload->>'$.body' AS body, "
        "(payload->>'$.created_at')::TIMESTAMPTZ AS at FROM github_raw "
        "WHERE repo = $repo AND kind = 'issue_comment' "
        "AND regexp_extract(payload->>'$.issue_url', '/(\\d+)$', 1) = $number::VARCHAR "
        "AND coalesce(payload->>'$.user.type', '') <> 'Bot'",
        key,
    ):
        stance = _stance(row["body"] or "")
        if stance is not None and row["login"]:
            said.append((row["at"], row["login"], stance))
    last: dict[str, int] = {}
    for _, login, stance in sorted(said, key=lambda s: s[0]):
        last[login.lower()] = stance
    counted = {k: v for k, v in last.items() if rules.voters is None or k in rules.voters}
    yes = sorted(k for k, v in counted.items() if v > 0)
    no = sorted(k for k, v in counted.items() if v < 0)
    cast = len(yes) + len(no)
    passes = cast > 0 and len(yes) >= rules.majority * cast
    if item["state"] == "open":
        outcome = "open"
    elif item["is_pr"]:
        outcome = "accepted" if item["merged"] else "rejected"
    else:
        outcome = "passed" if passes else "failed"

    def shown(logins: list[str]) -> list[str]:
        return [forgotten.get(login, login) for login in logins]

    return {
        "for": shown(yes), "against": shown(no),
        "abstained": shown(sorted(k for k, v in counted.items() if v == 0)),
        "not_entitled": shown(sorted(k for k in last if k not in counted)),
        "voters": rules.voters_from, "majority": rules.majority,
        "majority_reached": passes, "outcome": outcome,
    }  # fmt: skip


def _stance(body: str) -> int | None:
    for line in body.splitlines():
        if not line.strip() or line.lstrip().startswith(">"):
            continue  # quoted text is someone else's vote
        found = _STANCE.match(line)
        if not found:
            return None
        word = found.group("v")
        return 1 if word in _FOR else -1 if word in _AGAINST else 0
    return None


def _decision_of(item: dict[str, Any], decisions: list[Decision]) -> str | None:
    """The label of the decision a vote is about."""
    for decision in decisions:
        prefix = re.match(r"[A-Za-z]+", decision.label)
        if decision.number is None or prefix is None or decision.ref != HEAD:
            continue
        if re.search(rf"(?i)\b{prefix.group()}\s*[-#]?\s*0*{decision.number}\b", item["title"]):
            return decision.label
    for decision in decisions:
        if decision.ref == HEAD and any(c["pull_request"] == item["number"]
                                        for c in decision.commits):  # fmt: skip
            return decision.label
    return None


def _from_history(decisions: list[Decision], known: set[int], name: str) -> list[dict[str, Any]]:
    """Vote pull requests seen only in git: a main-line commit whose subject says vote."""
    found: dict[int, dict[str, Any]] = {}
    for decision in decisions:
        for event in decision.commits:
            pull = event["pull_request"]
            if decision.ref != HEAD or not pull or pull in known or pull in found:
                continue
            if VOTE_TITLE.search(event["subject"]):
                found[pull] = {
                    "repository": name, "github": None, "number": pull, "is_pr": True,
                    "title": event["subject"], "state": "merged", "url": None,
                    "opened": None, "closed": event["at"].isoformat(), "merged": True,
                    "source": "git", "for": None, "against": None, "abstained": None,
                    "not_entitled": None, "voters": None, "majority": None,
                    "majority_reached": None, "outcome": "accepted",
                    "decision": decision.label,
                }  # fmt: skip
    return list(found.values())
