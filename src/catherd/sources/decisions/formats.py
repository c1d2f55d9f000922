"""Read one decision document's header: the fields proposal processes write at the top.

Four written forms cover the common processes:

- ``rst-fields``: an RST title, then a field list (``:Status: Accepted``) — SLEPs, NEPs;
- ``pep-headers``: RFC 822 headers before the first blank line (``Status: Final``) — PEPs;
- ``markdown``: YAML front matter, ``- Key: value`` / ``Key: value`` lines before the first
  section, and a ``## Status`` section — JEPs, SPECs, Rust RFCs, ADRs;
- ``kep-yaml``: a ``kep.yaml`` metadata file — Kubernetes KEPs.

Each gives raw fields (names lower-cased, values as written); ``interpret`` maps them to
the few things a decision log needs. Nothing here knows which process a repository follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import yaml

FORMATS = ("rst-fields", "pep-headers", "markdown", "kep-yaml")

_ADORNMENT = re.compile(r"^([=\-#*~^+`:.'\"_])\1{2,}\s*$")
_RST_FIELD = re.compile(r"^:([A-Za-z][\w .()/-]*?):(?:\s+(.*))?$")
_PEP_HEADER = re.compile(r"^([A-Za-z][\w-]*):\s*(.*)$")
_MD_FIELD = re.compile(r"^(?:[-*+]\s+)?\**([A-Za-z][\w ()/-]{0,40}?)\**:\**\s+(.+)$")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_URL = re.compile(r"https?://[^\s<>`'\"\])|]+")
_EMAIL = re.compile(r"<?([\w.+-]+@[\w-]+(?:\.[\w-]+)+)>?")
_LOGIN = re.compile(r"(?:^|[\s(])@([A-Za-z0-9][A-Za-z0-9-]{0,38})\b")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}

# Raw field names that mean the same thing in the processes catherd knows.
STATUS_KEYS = ("status", "state")
TITLE_KEYS = ("title", "feature name", "feature-name")
TYPE_KEYS = ("type", "category")
AUTHOR_KEYS = ("author", "authors", "author(s)", "champion", "champions")
CREATED_KEYS = ("created", "creation-date", "creation date", "date created", "start date",
                "start-date", "date-started", "date")  # fmt: skip
NUMBER_KEYS = ("number", "pep", "nep", "slep", "jep", "spec", "kep-number", "kep", "rfc", "id")
# Fields whose values are where a proposal was discussed (their URLs and numbers are links).
LINK_KEYS = ("discussions-to", "discussion", "discussions", "post-history", "resolution",
             "rfc pr", "rust issue", "tracking issue", "pr", "pr-number", "pull request",
             "pull-request", "issue", "issue-number", "mailing list", "mailing-list",
             "thread")  # fmt: skip


@dataclass
class Header:
    """What one version of a document says about itself."""

    fields: dict[str, str] = field(default_factory=dict)  # lower-cased name -> value as written
    title: str | None = None  # from the document's own title line, when fields give none
    status_section: str | None = None  # the first line of a "## Status" section
    authors: list[str] = field(default_factory=list)  # list-valued author fields (YAML)


@dataclass(frozen=True)
class Author:
    text: str  # as written, e-mail removed
    name: str | None
    email: str | None
    login: str | None


@dataclass(frozen=True)
class Link:
    kind: str  # pull, issue, discussion, mailing_list, forum, url
    target: str  # owner/name#N for GitHub, else the URL
    url: str | None
    found_in: str  # the field it came from, or "text"


@dataclass
class Facts:
    """The header interpreted: what the decision log stores for a document."""

    number: int | None
    title: str | None
    status: str | None
    type: str | None
    authors: list[Author]
    created: str | None  # ISO date, as precise as written (YYYY, YYYY-MM or YYYY-MM-DD)
    resolution: str | None
    fields: dict[str, str]


def read_header(text: str, form: str) -> Header:
    """The raw header of ``text`` written in ``form`` (one of ``FORMATS``)."""
    if form == "rst-fields":
        return _rst(text)
    if form == "pep-headers":
        return _pep(text)
    if form == "kep-yaml":
        data = _yaml(text)
        return _from_mapping(data) if data is not None else Header()
    return _markdown(text)


def sniff(text: str, path: str) -> str:
    """The form a document of a configured layout is written in, from its first lines."""
    if path.endswith((".yaml", ".yml")):
        return "kep-yaml"
    if text.startswith("---"):
        return "markdown"
    head = text.lstrip("\ufeff").splitlines()[:1]
    if head and _PEP_HEADER.match(head[0]) and not path.endswith(".md"):
        return "pep-headers"
    if path.endswith((".rst", ".txt")):
        return "rst-fields"
    return "markdown"


# -- the four forms -----------------------------------------------------------------------
def _rst(text: str) -> Header:
    lines = text.replace("\r\n", "\n").splitlines()
    header = Header(title=_rst_title(lines))
    start = next((i for i, line in enumerate(lines) if _RST_FIELD.match(line)), None)
    if start is None:
        return header
    name = ""
    for line in lines[start:]:
        found = _RST_FIELD.match(line)
        if found:
            name = found.group(1).strip().lower()
            header.fields[name] = (found.group(2) or "").strip()
        elif line.strip() and line[:1].isspace() and name:
            header.fields[name] = (header.fields[name] + "\n" + line.strip()).strip()
        else:
            break  # a field list ends at its first blank or unindented line
    return header


def _rst_title(lines: list[str]) -> str | None:
    for i, line in enumerate(lines[:-1]):
        text = line.strip()
        if not text or text.startswith(".. ") or _ADORNMENT.match(line):
            if _ADORNMENT.match(line) and i + 2 < len(lines) and _ADORNMENT.match(lines[i + 2]):
                return lines[i + 1].strip() or None  # overlined title
            continue
        below = lines[i + 1]
        if _ADORNMENT.match(below) and len(below.strip()) >= len(text) - 1:
            return text
    return None


def _pep(text: str) -> Header:
    header = Header()
    name = ""
    for line in text.lstrip("\ufeff").replace("\r\n", "\n").splitlines():
        if not line.strip():
            break
        found = _PEP_HEADER.match(line)
        if found and not line[:1].isspace():
            name = found.group(1).lower()
            header.fields[name] = found.group(2).strip()
        elif name:
            header.fields[name] = (header.fields[name] + "\n" + line.strip()).strip()
    return header


def _markdown(text: str) -> Header:
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    header = Header()
    if text.startswith("---\n"):
        end = re.search(r"^(?:---|\.\.\.)\s*$", text[4:], re.M)
        if end:
            data = _yaml(text[4 : 4 + end.start()])
            if data is not None:
                header = _from_mapping(data)
            text = text[4 + end.end() :]
    lines = text.splitlines()
    seen_text = False
    in_preamble = True
    for i, line in enumerate(lines):
        heading = _MD_HEADING.match(line)
        if not heading and i + 1 < len(lines) and re.match(r"^=+\s*$", lines[i + 1]):
            heading = re.match(r"^()(.+)$", line.strip())  # a Setext title: Title / =====
        if heading:
            level, title = len(heading.group(1)) or 1, heading.group(2).strip()
            if level == 1 and not seen_text and header.title is None:
                header.title = title
                continue
            if title.lower().strip("* ") == "status" and header.status_section is None:
                header.status_section = _first_paragraph_line(lines[i + 1 :])
            in_preamble = False
            continue
        if not line.strip() or re.match(r"^=+\s*$", line):
            continue
        seen_text = True
        found = _MD_FIELD.match(line.strip()) if in_preamble else None
        if found:
            header.fields.setdefault(found.group(1).strip().lower(), found.group(2).strip())
    return header


def _first_paragraph_line(lines: list[str]) -> str | None:
    for line in lines:
        if _MD_HEADING.match(line):
            return None
        if line.strip():
            return re.sub(r"^[-*+>]\s+", "", line.strip()) or None
    return None


def _yaml(text: str) -> dict[str, Any] | None:
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


def _from_mapping(data: dict[str, Any]) -> Header:
    header = Header()
    for key, value in data.items():
        name = str(key).strip().lower()
        if isinstance(value, list):
            items = [_scalar(v) for v in value if v is not None]
            if name in AUTHOR_KEYS:
                header.authors = [i for i in items if i]
            header.fields[name] = ", ".join(i for i in items if i)
        elif value is not None and not isinstance(value, dict):
            header.fields[name] = _scalar(value)
    return header


def _scalar(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    if isinstance(value, dict):  # {name: ..., email: ...} authors
        parts = [str(value.get(k)) for k in ("name", "email") if value.get(k)]
        return " ".join(parts[:1] + [f"<{p}>" for p in parts[1:]])
    return str(value).strip()


# -- interpretation -----------------------------------------------------------------------
def interpret(header: Header) -> Facts:
    """The decision-log facts of one header (raw values kept in ``fields``)."""
    fields = header.fields
    status = _first(fields, STATUS_KEYS) or header.status_section
    authors_text = header.authors or _split_authors(_first(fields, AUTHOR_KEYS) or "")
    number_text = _first(fields, NUMBER_KEYS)
    number = int(m.group()) if number_text and (m := re.search(r"\d+", number_text)) else None
    return Facts(
        number=number,
        title=clean_inline(_first(fields, TITLE_KEYS) or header.title),
        status=clean_inline(status),
        type=clean_inline(_first(fields, TYPE_KEYS)),
        authors=[parse_author(a) for a in authors_text],
        created=parse_date(_first(fields, CREATED_KEYS)),
        resolution=fields.get("resolution") or None,
        fields=fields,
    )


def status_of(text: str, form: str) -> str | None:
    """The status alone (what a version in a document's history is read for)."""
    header = read_header(text, form)
    return clean_inline(_first(header.fields, STATUS_KEYS) or header.status_section)


def _first(fields: dict[str, str], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = fields.get(key)
        if value and value.strip():
            return value.strip()
    return None


def clean_inline(text: str | None) -> str | None:
    """Text without inline markup: RST ``literals``, roles, Markdown emphasis and links
    (what a literal holds is kept as it is: ``__sklearn_clone__``)."""
    if text is None:
        return None
    text = re.sub(r":\w+:`([^`<]*?)\s*(?:<[^>]*>)?`", r"\1", text)  # :ref:`SLEP006 <slep_006>`
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](url)
    text = re.sub(r"`([^`<]*?)\s*<[^>]*>`_+", r"\1", text)  # `text <url>`_
    parts = re.split(r"(``[^`]*``|`[^`]*`)", text)
    text = "".join(
        part.strip("`") if part.startswith("`") else re.sub(r"(\*\*|\*|~~)(.+?)\1", r"\2", part)
        for part in parts
    )
    text = " ".join(text.split())
    return text or None


def _split_authors(text: str) -> list[str]:
    # One author per line, or separated by commas, semicolons or a final "and"; a comma
    # inside <...> or (...) separates nothing.
    parts: list[str] = []
    for line in text.splitlines():
        depth, current = 0, ""
        for char in line:
            if char in "<(":
                depth += 1
            elif char in ">)":
                depth -= 1
            if char in ",;" and depth <= 0:
                parts.append(current)
                current = ""
            else:
                current += char
        parts.append(current)
    names = []
    for part in parts:
        names.extend(re.split(r"\s+and\s+|\s+&\s+", part.strip()))
    return [n.strip() for n in names if n.strip() and n.strip().lower() not in ("et al.", "et al")]


def parse_author(text: str) -> Author:
    """``Name <address>``, ``@login``, ``Name (@login)`` or a bare name."""
    email_found = _EMAIL.search(text)
    login_found = _LOGIN.search(text)
    email = email_found.group(1).lower() if email_found else None
    login = login_found.group(1) if login_found else None
    name = _EMAIL.sub("", text)
    name = re.sub(r"\(?@[A-Za-z0-9-]+\)?|\(\s*\)", "", name)
    name = re.sub(r"<[^>]*>|\[[^\]]*\]\([^)]*\)", "", name)
    name = " ".join(name.strip(" ,;:-").split())
    shown = name or (f"@{login}" if login else "") or (email.split("@")[0] if email else "")
    return Author(text=shown, name=name or None, email=email, login=login)


def parse_date(text: str | None) -> str | None:
    """An ISO date from the usual ways of writing one, as precise as written."""
    if not text:
        return None
    if m := re.search(r"(\d{4})-(\d{1,2})-(\d{1,2})", text):
        return _iso(int(m[1]), int(m[2]), int(m[3]))
    if m := re.search(r"(\d{1,2})[- ]([A-Za-z]{3})[a-z]*[- ,]+(\d{4})", text):
        return _iso(int(m[3]), _MONTHS.get(m[2].lower()), int(m[1]))
    if m := re.search(r"([A-Za-z]{3})[a-z]*\.? (\d{1,2}),? (\d{4})", text):
        return _iso(int(m[3]), _MONTHS.get(m[1].lower()), int(m[2]))
    if m := re.search(r"(?<![\d-])(\d{4})-(\d{1,2})(?![\d-])", text):
        return _iso(int(m[1]), int(m[2]), None)
    if m := re.fullmatch(r"\s*(\d{4})\s*", text):
        return m[1]
    return None


def _iso(year: int, month: int | None, day: int | None) -> str | None:
    if month is None or not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def links_in(facts: Facts, body: str) -> list[Link]:
    """Where a proposal was discussed: URLs and numbers in the discussion fields, and
    pull-request, issue and mailing-list URLs anywhere in the text."""
    found: dict[tuple[str, str], Link] = {}
    for key in LINK_KEYS:
        value = facts.fields.get(key)
        if not value:
            continue
        for url in _URL.findall(value):
            link = classify(url.rstrip(".,;:"), key)
            found.setdefault((link.kind, link.target), link)
        if not _URL.search(value) and (m := re.fullmatch(r"#?(\d+)", value.strip())):
            kind = "issue" if "issue" in key else "pull"
            found.setdefault((kind, f"#{m[1]}"), Link(kind, f"#{m[1]}", None, key))
    for url in _URL.findall(body):
        link = classify(url.rstrip(".,;:"), "text")
        if link.kind != "url":
            found.setdefault((link.kind, link.target), link)
    return list(found.values())


_GITHUB = re.compile(
    r"^https?://(?:www\.)?github\.com/([\w.-]+)/([\w.-]+)/(pull|issues|discussions)/(\d+)"
)
_LISTS = re.compile(
    r"^https?://(?:mail\.|lists\.|[\w.-]*mailman|groups\.google\.com|marc\.info|lore\.kernel\.org"
    r"|[\w.-]*mail-archive)|/pipermail/|/mailman/|/hyperkitty/|/archives/list/"
)  # fmt: skip
_FORUMS = re.compile(r"^https?://(?:discuss|discourse|forum)\.[\w.-]+|^https?://[\w.-]+/t/[\w-]+/\d+")


def classify(url: str, found_in: str) -> Link:
    """A URL as a link of one kind: GitHub pull request, issue or discussion, mailing-list
    thread, forum topic, or another address."""
    if m := _GITHUB.match(url):
        kind = {"pull": "pull", "issues": "issue", "discussions": "discussion"}[m[3]]
        return Link(kind, f"{m[1]}/{m[2]}#{m[4]}", url, found_in)
    if _LISTS.search(url):
        return Link("mailing_list", url, url, found_in)
    if _FORUMS.search(url):
        return Link("forum", url, url, found_in)
    return Link("url", url, url, found_in)
