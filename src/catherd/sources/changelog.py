"""Read the contributor lists that projects publish in their release notes.

Three conventions are read, each as projects write them:

- a *list* under a "Contributors" or "Authors" heading, one person an item (``* Name`` or
  ``- Name``), first-timers marked with a trailing ``+`` (numpy, SciPy, pandas);
- the same with GitHub handles, ``- Name (`@login <https://github.com/login>`_)`` or only
  ``- `@login <...>`_`` (networkx, scikit-image), where a "reviewers" block that follows is
  not part of the authors;
- a *paragraph*: "Thanks to everyone who has contributed ... including:" then the names
  separated by commas (scikit-learn).

Nothing here knows catherd's people: it returns what the text says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(?:#+\s*)?(contributors|authors)\s*$", re.IGNORECASE)
_UNDERLINE = re.compile(r"^[=\-~^*+#`'\"]{3,}\s*$")
_ITEM = re.compile(r"^\s*[*-]\s+(.*\S)\s*$")
_HANDLE = re.compile(r"`?@([A-Za-z0-9][A-Za-z0-9-]*(?:\[bot\])?)(?:\s*<[^>]*>`_*)?")
_REVIEWERS = re.compile(r"^\d+\s+reviewers?\b|^reviewers\b", re.IGNORECASE)
_PARAGRAPH = re.compile(r"including:\s*\n\s*\n(.+?)(?:\n\s*\n|\Z)", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True)
class PublishedName:
    """One entry of a published list: a name, a GitHub login, or both."""

    name: str
    login: str | None = None
    first_time: bool = False


def published_credits(text: str) -> list[PublishedName]:
    """The contributors a release note names (authors, not reviewers), in its order."""
    listed = _listed(text.splitlines())
    if listed:
        return listed
    found = _PARAGRAPH.search(text)
    if not found:
        return []
    names = " ".join(found.group(1).split())
    return [PublishedName(name.strip()) for name in names.split(",") if name.strip()]


def _listed(lines: list[str]) -> list[PublishedName]:
    for n, line in enumerate(lines):
        if not _HEADING.match(line.strip()):
            continue
        body = lines[n + 1 :]
        if body and _UNDERLINE.match(body[0]):
            body = body[1:]
        items = []
        for entry in body:
            stripped = entry.strip()
            if _REVIEWERS.match(stripped) or (items and _UNDERLINE.match(stripped)):
                break
            item = _ITEM.match(entry)
            if item:
                items.append(_entry(item.group(1)))
            elif items and stripped and not stripped[0].isdigit():
                break  # the first paragraph after the list ends it
        if items:
            return items
    return []


def _entry(text: str) -> PublishedName:
    first = text.endswith(" +")
    text = text.removesuffix(" +").strip()
    handle = _HANDLE.search(text)
    login = handle.group(1).lower() if handle else None
    name = _HANDLE.sub("", text) if handle else text
    name = name.replace("()", "").strip(" ()")
    return PublishedName(name, login, first)
