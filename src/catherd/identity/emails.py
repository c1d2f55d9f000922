"""What an e-mail address says about its owner: a comparable key, a GitHub login, a placeholder."""

from __future__ import annotations

import re

_NOREPLY = re.compile(
    r"^(?:(\d+)\+)?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\[bot\])?)@users\.noreply\.github\.com$"
)
# Addresses many unrelated people share: they must never join two identities.
_PLACEHOLDERS = {
    "",
    "none",
    "(none)",
    "none@none",
    "unknown",
    "unknown@unknown",
    "root@localhost",
    "noreply@github.com",
    "noreply@example.com",
    "user@example.com",
    "you@example.com",
    "email@example.com",
    "test@test.com",
    "nobody@nowhere",
    "devnull@localhost",
}


def email_key(email: str | None) -> str:
    """The form two addresses are compared in: trimmed and lower-cased."""
    return (email or "").strip().strip("<>").lower()


def is_placeholder(key: str) -> bool:
    """True for addresses that do not single out one person (empty, ``root@localhost``...)."""
    if key in _PLACEHOLDERS or "@" not in key:
        return True
    local, _, domain = key.rpartition("@")
    return not local or not domain or domain in {"localhost", "localhost.localdomain", "(none)"}


def noreply_login(key: str) -> str | None:
    """The GitHub login in a no-reply address (``12345+login@users.noreply.github.com``)."""
    return noreply_account(key)[1]


def noreply_account(key: str) -> tuple[int | None, str | None]:
    """The account id (newer addresses carry it) and the login of a GitHub no-reply address."""
    found = _NOREPLY.match(key)
    if not found:
        return None, None
    return (int(found.group(1)) if found.group(1) else None), found.group(2)


def domain_of(key: str) -> str:
    return key.rpartition("@")[2] if "@" in key else ""
