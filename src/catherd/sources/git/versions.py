"""Which git tags name versions: ``v1.2.3``, ``1.2.3``, ``name-1.2.3``, ``2.0rc1``, ``1.0.dev0``.

A tag is a *version tag* when what follows its prefix parses as a PEP 440 version
(``packaging``): the prefix is a project name ending in ``-`` or ``_`` (``networkx-2.0``), a
``v`` (``v1.2.3``), or nothing. Tags with the same prefix form one *series*, ordered by
version; ``v`` and no prefix are one series (projects switch between the two). Pre-releases
(``a``, ``b``, ``rc``, ``.dev``) are versions too, marked as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

_TAG = re.compile(r"^(?P<prefix>(?:[A-Za-z][\w.]*?[-_])?)[vV]?(?P<version>\d[\w.+!-]*)$")


@dataclass(frozen=True, order=True)
class TagVersion:
    """A version tag: its series (the prefix, lower-cased) and its version."""

    series: str
    version: Version
    tag: str

    @property
    def prerelease(self) -> bool:
        return self.version.is_prerelease


def tag_version(tag: str) -> TagVersion | None:
    """The version a tag names, or None if it names none (``help``, ``before-refactor``)."""
    found = _TAG.match(tag.strip())
    if not found:
        return None
    try:
        version = Version(found.group("version"))
    except InvalidVersion:
        return None
    series = found.group("prefix").rstrip("-_").lower()
    return TagVersion("" if series == "release" else series, version, tag)
