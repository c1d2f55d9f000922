"""Read the index files that list proposals with their status.

Two forms are read:

- a Markdown table with a number column (``#``, ``Number``, ``JEP``...), a status column and
  usually a title column; a number cell may link to the document (``[0012](0012-x/README.md)``);
- Sphinx ``toctree`` directives whose ``:caption:`` is a status (``Accepted``, ``Under
  review``), listing the documents filed under it — scikit-learn's SLEP index.

An entry names a document by its path (a link or a toctree entry) or by its number only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from catherd.sources.decisions.formats import clean_inline

# "#", "Number", "No.", or a process's name: JEP, PEP, RFC, SPEC, KEP, ADR, EIP...
_NUMBER_HEADER = re.compile(
    r"^(?:#|no\.?|nr\.?|num(?:ber)?|id|proposal|[a-z]{0,4}ep|rfc|spec|adr|[a-z]{2,3}ip)"
    r"(?:\s*#|[ -]?number)?$"
)
_STATUS_HEADER = re.compile(r"^(?:status|state|stage)$")
_TITLE_HEADER = re.compile(r"^(?:title|name|proposal|summary|description|subject)$")
_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")


@dataclass(frozen=True)
class Entry:
    number: int | None
    target: str | None  # the document's path, relative to the repository, when linked
    title: str | None
    status: str


def read_index(text: str, path: str) -> list[Entry]:
    """The entries of the index file at ``path`` (its folder resolves relative links)."""
    folder = PurePosixPath(path).parent
    if path.lower().endswith(".rst"):
        return _toctrees(text, folder)
    return _tables(text, folder)


def _tables(text: str, folder: PurePosixPath) -> list[Entry]:
    entries: list[Entry] = []
    lines = text.replace("\r\n", "\n").splitlines()
    i = 0
    while i + 1 < len(lines):
        if "|" in lines[i] and _SEPARATOR.match(lines[i + 1].strip()):
            header = [_plain(c).lower() for c in _cells(lines[i])]
            number_col = _column(header, _NUMBER_HEADER)
            status_col = _column(header, _STATUS_HEADER)
            title_col = _column(header, _TITLE_HEADER, exclude=number_col)
            i += 2
            while i < len(lines) and "|" in lines[i]:
                cells = _cells(lines[i])
                if number_col is not None and status_col is not None and len(cells) == len(header):
                    entry = _entry(cells, number_col, status_col, title_col, folder)
                    if entry is not None:
                        entries.append(entry)
                i += 1
            continue
        i += 1
    return entries


def _cells(line: str) -> list[str]:
    line = line.strip()
    line = line[1:] if line.startswith("|") else line
    line = line[:-1] if line.endswith("|") and not line.endswith("\\|") else line
    return [c.strip() for c in re.split(r"(?<!\\)\|", line)]


def _column(header: list[str], pattern: re.Pattern[str], exclude: int | None = None) -> int | None:
    for n, name in enumerate(header):
        if n != exclude and pattern.match(name):
            return n
    return None


def _entry(
    cells: list[str], number_col: int, status_col: int, title_col: int | None,
    folder: PurePosixPath,
) -> Entry | None:  # fmt: skip
    found = re.search(r"\d+", _plain(cells[number_col]))
    status = _plain(cells[status_col])
    if found is None or not status:
        return None
    target = None
    for cell in (cells[number_col], cells[title_col] if title_col is not None else ""):
        link = _LINK.search(cell)
        if link and not re.match(r"^[a-z]+://|^#|^mailto:", link.group(2)):
            target = _resolve(folder, link.group(2).split("#")[0])
            break
    title = _plain(cells[title_col]) if title_col is not None else None
    return Entry(int(found.group()), target, title or None, status)


def _plain(cell: str) -> str:
    return clean_inline(cell.replace("\\|", "|")) or ""


def _resolve(folder: PurePosixPath, link: str) -> str:
    parts: list[str] = []
    for part in (folder / link.lstrip("./") if not link.startswith("/") else
                 PurePosixPath(link.lstrip("/"))).parts:  # fmt: skip
        if part == "..":
            if parts:
                parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return "/".join(parts)


def _toctrees(text: str, folder: PurePosixPath) -> list[Entry]:
    entries: list[Entry] = []
    caption: str | None = None
    inside = False
    for line in text.replace("\r\n", "\n").splitlines():
        if re.match(r"^\.\.\s+toctree::", line):
            inside, caption = True, None
            continue
        if not inside:
            continue
        if line.strip() and not line[:1].isspace():
            inside = False  # the directive's indented block ended
            continue
        option = re.match(r"^\s+:(\w+):\s*(.*)$", line)
        if option:
            if option.group(1) == "caption":
                caption = option.group(2).strip()
            continue
        if line.strip() and caption:
            # "Title <slep009/proposal>" or "slep009/proposal"
            found = re.match(r"^(.*?)\s*<([^>]+)>\s*$", line.strip())
            title, target = (found.group(1), found.group(2)) if found else (None, line.strip())
            number = re.search(r"\d+", PurePosixPath(target).parent.name or target)
            entries.append(Entry(int(number.group()) if number else None,
                                 _resolve(folder, target), clean_inline(title),
                                 caption))  # fmt: skip
    return entries
