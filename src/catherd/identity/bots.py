"""Recognise automated accounts (merge bots, dependency bots, GitHub Apps) by name or e-mail.

The list lives in ``data/bots.toml`` with the reason for each entry, so that a reader can see
why an account is left out of people metrics and credits: exact names (``Homu``, ``bors``),
and patterns (every ``*[bot]`` login, ``dependabot``...). Exact names match a whole name or
login only, never an address's local part: people do use ``github@their-domain.org``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class BotList:
    exact: dict[str, str]  # lower-cased name or login -> reason
    pattern: re.Pattern[str]
    reasons: tuple[tuple[str, str], ...]  # (pattern, reason), in file order


@cache
def bot_list() -> BotList:
    """The shipped list of automated accounts (read once)."""
    text = resources.files("catherd.identity").joinpath("data/bots.toml").read_text("utf-8")
    data = tomllib.loads(text)
    exact = {entry["name"].lower(): entry["reason"] for entry in data.get("exact", [])}
    reasons = tuple((entry["pattern"], entry["reason"]) for entry in data.get("pattern", []))
    pattern = re.compile("|".join(f"(?:{p})" for p, _ in reasons), re.IGNORECASE)
    return BotList(exact, pattern, reasons)


def bot_reason(*texts: str | None) -> str | None:
    """Why one of a name, e-mail address or login is an automated account, or None."""
    bots = bot_list()
    for text in texts:
        if not text:
            continue
        if text.strip().lower() in bots.exact:
            return bots.exact[text.strip().lower()]
        if bots.pattern.search(text):
            return next(r for p, r in bots.reasons if re.search(p, text, re.IGNORECASE))
    return None


def is_bot(*texts: str | None) -> bool:
    """True if any of a name, e-mail address or login looks like an automated account."""
    return bot_reason(*texts) is not None
