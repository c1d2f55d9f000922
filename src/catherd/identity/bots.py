"""Recognise automated accounts (dependabot, pre-commit-ci, GitHub Actions...) by name or e-mail."""

from __future__ import annotations

import re

_BOT_PATTERNS = [
    r"\[bot\]",
    r"[-_.\s]bot\b",
    r"dependabot",
    r"pre-commit-ci",
    r"github-actions",
    r"renovate",
    r"greenkeeper",
    r"snyk-bot",
    r"codecov",
    r"allcontributors",
    r"imgbot",
    r"pyup-bot",
    r"meeseeksmachine",
    r"lumberbot",
    r"sourcery-ai",
    r"deepsource-autofix",
    r"scientific-python-pr-tagger",
]
_BOT = re.compile("|".join(_BOT_PATTERNS), re.IGNORECASE)


def is_bot(*texts: str | None) -> bool:
    """True if any of a name, e-mail address or login looks like an automated account."""
    return any(text and _BOT.search(text) for text in texts)
