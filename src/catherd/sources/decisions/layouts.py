"""Which files of a repository are decision documents, by their path: the layouts of the
common proposal processes, found without configuration, plus the globs of ``[decisions]
paths`` for other layouts.

A layout says how a document's number is written in its path, the form its header is
written in (see ``formats.py``), how its number is shown (``SLEP017``, ``PEP 8``), and, for
processes where a document's place says its status (a Rust RFC is in ``text/`` once
accepted), that status.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from catherd.errors import InputError


@dataclass(frozen=True)
class Layout:
    name: str
    pattern: re.Pattern[str]  # group "n": the number; optional group "prefix"
    form: str | None  # one of formats.FORMATS; None: sniffed from the text
    label: str  # str.format pattern over n (the number) and prefix
    implied_status: str | None = None
    # Kept only if its header states a status or a number, or an index lists it: the
    # path pattern alone is too loose (numbered Markdown files are common).
    needs_confirmation: bool = False


# Checked in this order; the first that matches a path wins.
LAYOUTS: tuple[Layout, ...] = (
    Layout("slep", re.compile(r"^slep(?P<n>\d+)/proposal\.rst$"), "rst-fields", "SLEP{n:03d}"),
    Layout("nep", re.compile(r"(?:^|/)nep-(?P<n>\d+)(?:[-_][^/]*)?\.rst$"), "rst-fields",
           "NEP {n}"),
    Layout("pep", re.compile(r"(?:^|/)pep-(?P<n>\d+)\.(?:rst|txt)$"), "pep-headers", "PEP {n}"),
    Layout("kep", re.compile(r"(?:^|/)keps/(?:[^/]+/)*(?P<n>\d+)-[^/]+/kep\.yaml$"), "kep-yaml",
           "KEP-{n}"),
    Layout("rfc", re.compile(r"^text/(?P<n>\d+)-[^/]+\.md$"), "markdown", "RFC {n}",
           implied_status="Accepted"),
    Layout("adr", re.compile(r"(?:^|/)(?:adr|adrs|decisions|architecture-decisions)/"
                             r"(?P<n>\d{3,5})-[^/]+\.md$"), "markdown", "ADR-{n:04d}"),
    # JEPs, SPECs and the like: numbered Markdown files or folders, usually with front matter.
    Layout("front-matter",
           re.compile(r"(?:^|/)(?:(?P<prefix>[A-Za-z]{2,8})[-_]?)?(?P<n>\d{1,5})(?:[-_][^/]*)?"
                      r"(?:/[^/]+)?\.md$"),
           "markdown", "{prefix}{n}", needs_confirmation=True),
)  # fmt: skip
# Folders whose numbered files are not proposals (blog posts, vendored packages).
_SKIP = re.compile(r"(?:^|/)(?:_posts|node_modules|vendor|third_party|\.github)/")
_DATED = re.compile(r"(?:^|/)\d{4}-\d{2}-\d{2}")
INDEX_NAMES = frozenset({"readme.md", "readme.rst", "index.md", "index.rst", "proposals.md"})


@dataclass(frozen=True)
class Match:
    layout: Layout
    number: int | None
    prefix: str = ""  # the letters before the number in the path (jep-0012: jep)

    @property
    def label(self) -> str:
        return label_of(self.layout, self.number, self.prefix)


def label_of(layout: Layout, number: int | None, prefix: str = "") -> str:
    if number is None:
        return "(no number)"
    return layout.label.format(n=number, prefix=f"{prefix.upper()} " if prefix else "#")


def check_patterns(patterns: object, source: str) -> tuple[str, ...]:
    """``[decisions] paths``: a list of glob patterns (``*`` also crosses folders)."""
    if patterns is None:
        return ()
    if not isinstance(patterns, list) or not all(isinstance(p, str) and p for p in patterns):
        raise InputError(f'{source}: [decisions] paths must be a list such as ["adr/*.md"]')
    return tuple(patterns)


def match(path: str, patterns: tuple[str, ...] = ()) -> Match | None:
    """The layout ``path`` belongs to, with the number its path gives, or None."""
    for pattern in patterns:
        if fnmatch.fnmatchcase(path, pattern):
            return _configured(path)
    if _SKIP.search(path) or _DATED.search(path):
        return None
    for layout in LAYOUTS:
        found = layout.pattern.search(path)
        if found:
            prefix = found.groupdict().get("prefix") or ""
            return Match(layout, int(found.group("n")), prefix)
    return None


_CUSTOM = Layout("custom", re.compile(""), None, "{prefix}{n}")


def _configured(path: str) -> Match:
    # The number is the last digits of the file's name, else of its folder's; the letters
    # before them (mep-0012.md) name the process.
    parts = PurePosixPath(path)
    for part in (parts.stem, parts.parent.name):
        found = re.search(r"(?:(?P<prefix>[A-Za-z]{2,8})[-_]?)?(?P<n>\d+)(?!.*\d)", part)
        if found:
            return Match(_CUSTOM, int(found.group("n")), found.group("prefix") or "")
    return Match(_CUSTOM, None)


def index_candidates(paths: list[str], documents: list[str]) -> list[str]:
    """Files that may list the proposals in a table: README/index files at the top of the
    repository and in the two folders above each document."""
    folders = {""}
    for doc in documents:
        parents = PurePosixPath(doc).parents
        folders.update(str(p) if str(p) != "." else "" for p in list(parents)[:2])
    return sorted(
        p for p in paths
        if PurePosixPath(p).name.lower() in INDEX_NAMES
        and (str(PurePosixPath(p).parent) if "/" in p else "") in folders
        and p not in documents
    )  # fmt: skip
