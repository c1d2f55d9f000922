"""Read a repository's decision documents from git: at HEAD, along its history, and those
proposed only in pull requests.

- **HEAD**: every file whose path fits a layout (``layouts.py``) is read and its header
  interpreted (``formats.py``); index files beside the documents are read too
  (``indexes.py``). A repository with no such file costs one ``git ls-tree``.
- **History**: one ``git log --first-parent`` over the documents' folders and the index files
  (renames followed) gives every commit of the main line that changed a document or an index;
  each version is read (``git cat-file --batch``, streamed) for the status it stated then.
  The main line, because a decision is taken when its change lands, not when a branch has it.
- **Creation**: a document that names no date or authors is dated and credited by the
  commit that first added it in the whole history of HEAD (renames followed).
- **Pull requests** (``refs/pull/N/head``, kept by catherd's mirrors): documents a pull
  request adds that HEAD never held are proposals still in review, or abandoned.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath

from catherd.sources.decisions.formats import (
    Facts,
    Link,
    interpret,
    links_in,
    parse_author,
    read_header,
    sniff,
    status_of,
)
from catherd.sources.decisions.indexes import Entry, read_index
from catherd.sources.decisions.layouts import Match, index_candidates, label_of, match
from catherd.sources.git.repository import GitRepository, git_executable, run_git

# Bumped when reading rules change, so that the next sync reads every repository again.
SCANNER_VERSION = "1"
HEAD = "HEAD"
_COMMIT = "\x01"
_PULL_HEAD = re.compile(r"^refs/pull/(\d+)/head$")
# "SLEP017: Title", "NEP 29 — Title", "PEP-8 - Title": the number a title states
_TITLE_NUMBER = re.compile(r"^\W*([A-Za-z]{2,8})[\s-]?0*(\d+)\s*[:.—–-]+\s*")
_STATUS_LETTER = re.compile(r"^[ACDMRTUXB]\d*$")


@dataclass
class Document:
    ref: str  # HEAD, or refs/pull/N/head for a proposal only in a pull request
    path: str
    layout: str
    form: str  # how its header is written (formats.FORMATS)
    number: int | None
    label: str
    facts: Facts
    stated_number: int | None  # the number its header (PEP: 8) or title (SLEP017: ...) states
    status_source: str  # document, layout (implied by where it is) or none
    authors_source: str  # document, git (the commit that added it) or none
    created_source: str  # document, git or none
    links: list[Link]
    pull_request: int | None
    sha: str  # the commit read
    confirmed: bool = True


@dataclass(frozen=True)
class Change:
    """One commit of the main line that changed a document or the index listing it."""

    ref: str
    path: str
    position: int  # order along the main line, oldest first
    sha: str
    committed_at: datetime
    subject: str
    path_then: str
    touched: bool  # the document itself changed (else only the index did)
    doc_status: str | None
    index_status: str | None


@dataclass(frozen=True)
class IndexEntry:
    index_path: str
    position: int
    entry: Entry
    path: str | None  # the document it resolves to at HEAD


@dataclass
class Scan:
    head: str | None
    documents: list[Document] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    index: list[IndexEntry] = field(default_factory=list)


def fingerprint(repo: GitRepository, patterns: tuple[str, ...]) -> str:
    """What a scan depends on: HEAD, the pull-request heads, the patterns, these rules."""
    digest = hashlib.sha1(SCANNER_VERSION.encode())
    digest.update(_head(repo).encode())
    digest.update(run_git(repo.git_dir, "for-each-ref", "--format=%(objectname) %(refname)",
                          "refs/pull").encode())  # fmt: skip
    digest.update("\0".join(patterns).encode())
    return digest.hexdigest()


def scan(repo: GitRepository, patterns: tuple[str, ...] = ()) -> Scan:
    """Every decision document of ``repo``, with its history and the index entries."""
    head = _head(repo)
    if not head:
        return Scan(None)
    paths = _split(run_git(repo.git_dir, "ls-tree", "-r", "-z", "--name-only", head))
    matched = {p: m for p in paths if (m := match(p, patterns)) is not None}
    result = Scan(head)
    if not matched:
        return result
    indexes = index_candidates(paths, list(matched))
    texts = dict(_blobs(repo, [(head, p) for p in [*matched, *indexes]]))
    for path, found in matched.items():
        text = texts.get((head, path))
        if text is not None:
            result.documents.append(_document(HEAD, path, found, text, head, None))
    for index_path in indexes:
        text = texts.get((head, index_path))
        for position, entry in enumerate(read_index(text or "", index_path)):
            resolved = _resolve_entry(entry, result.documents)
            result.index.append(IndexEntry(index_path, position, entry, resolved))
    listed = {e.path for e in result.index if e.path}
    result.documents = [d for d in result.documents if d.confirmed or d.path in listed]
    kept = {d.path for d in result.documents}
    result.index = [e for e in result.index if e.path is None or e.path in kept]
    if not result.documents:
        result.index = []
        return result
    folders = sorted({_top(d.path) for d in result.documents} | set(indexes))
    if 2 * sum(1 for p in paths if _top(p) in folders) > len(paths):
        folders = []  # they hold most of the tree: a path filter would only slow git down
    _history(repo, head, result, indexes, folders)
    _creation(repo, head, result, folders)
    _proposed(repo, head, result, patterns)
    return result


# -- HEAD ---------------------------------------------------------------------------------
def _document(
    ref: str, path: str, found: Match, text: str, sha: str, pull: int | None
) -> Document:
    layout = found.layout
    form = layout.form or sniff(text, path)
    facts = interpret(read_header(text, form))
    number = found.number if found.number is not None else facts.number
    stated_number = facts.number
    if facts.title and (m := _TITLE_NUMBER.match(facts.title)):
        stated_number = stated_number if stated_number is not None else int(m.group(2))
        facts.title = facts.title[m.end() :].strip() or facts.title
    elif facts.title and (m := re.match(r"^(\d+)\.\s+", facts.title)):  # ADR: "1. Record ..."
        stated_number = stated_number if stated_number is not None else int(m.group(1))
        facts.title = facts.title[m.end() :]
    if facts.title is None and layout.name == "rfc":  # "text/0001-private-fields.md"
        facts.title = " ".join(re.split(r"[-_]", PurePosixPath(path).stem)[1:]) or None
    status_source = "document" if facts.status else "none"
    if facts.status is None and layout.implied_status:
        facts.status, status_source = layout.implied_status, "layout"
    confirmed = not layout.needs_confirmation or bool(
        facts.status or facts.number is not None
    )
    return Document(
        ref=ref, path=path, layout=layout.name, form=form, number=number,
        label=label_of(layout, number, found.prefix), facts=facts, stated_number=stated_number,
        status_source=status_source,
        authors_source="document" if facts.authors else "none",
        created_source="document" if facts.created else "none",
        links=links_in(facts, text), pull_request=pull, sha=sha, confirmed=confirmed,
    )  # fmt: skip


def _resolve_entry(entry: Entry, documents: list[Document]) -> str | None:
    """The HEAD document an index entry names: by its path, else by a number no other
    document of the repository has."""
    heads = [d for d in documents if d.ref == HEAD]
    if entry.target:
        target = entry.target.rstrip("/")
        for doc in heads:
            stem = doc.path.rsplit(".", 1)[0]
            if target in (doc.path, stem) or str(PurePosixPath(doc.path).parent) == target:
                return doc.path
        return None
    same = [d for d in heads if d.number == entry.number]
    return same[0].path if len(same) == 1 else None


def _top(path: str) -> str:
    """The folder a document's history is read in: its top-level folder, or the file when it
    sits at the top (PEPs): renames inside the folder are followed."""
    return path.split("/", 1)[0] if "/" in path else path


# -- history along the main line ------------------------------------------------------------
@dataclass
class _Commit:
    sha: str
    time: int  # committed, Unix time
    authored: str  # author date, ISO 8601 with the author's offset
    author: str
    email: str
    subject: str
    entries: list[tuple[str, str, str | None]] = field(default_factory=list)  # status, path, old


def _log(repo: GitRepository, args: list[str], pathspecs: list[str]) -> list[_Commit]:
    fmt = f"--format=%x00{_COMMIT}%H%x00%ct%x00%aI%x00%an%x00%ae%x00%s"
    out = run_git(repo.git_dir, "-c", "core.quotepath=off", "log", "-z", "--name-status",
                  "--find-renames", "--no-color", fmt, *args, "--", *pathspecs)  # fmt: skip
    commits: list[_Commit] = []
    tokens = out.split("\0")
    i = 0
    while i < len(tokens):
        token = tokens[i].lstrip("\n")
        if token.startswith(_COMMIT):
            sha, when, authored, author, email, subject = token[1:], *tokens[i + 1 : i + 6]
            commits.append(_Commit(sha, int(when), authored, author, email, subject))
            i += 6
        elif _STATUS_LETTER.match(token) and commits:
            if token[0] in "RC":
                commits[-1].entries.append((token[0], tokens[i + 2], tokens[i + 1]))
                i += 3
            else:
                commits[-1].entries.append((token[0], tokens[i + 1], None))
                i += 2
        else:
            i += 1
    return commits


def _history(
    repo: GitRepository, head: str, result: Scan, indexes: list[str], folders: list[str]
) -> None:
    commits = _log(repo, ["--first-parent", "--diff-merges=first-parent", head], folders)
    at = {len(commits) - 1 - n: c for n, c in enumerate(commits)}  # position, oldest is 0
    docs = [d for d in result.documents if d.ref == HEAD]
    forms = {d.path: d.form for d in docs}
    touches = _touches(commits, [*forms, *indexes])
    # read in git log's order, newest first: a pack's delta chains run that way, and
    # reading file by file instead was five times slower on a PEP-sized history
    order = sorted(((pos, path, key) for key, seen in touches.items() for pos, path in seen),
                   key=lambda t: -t[0])  # fmt: skip
    wanted = {(at[pos].sha, path): key for pos, path, key in order}
    statuses: dict[tuple[str, str], str | None] = {}
    listings: dict[tuple[str, str], list[Entry]] = {}
    for (sha, path), text in _blobs(repo, wanted):
        key = wanted[(sha, path)]
        if key in forms:
            statuses[(sha, path)] = status_of(text, forms[key]) if text is not None else None
        else:
            listings[(sha, path)] = read_index(text or "", path)
    versions = {
        key: [(pos, listings.get((at[pos].sha, path), [])) for pos, path in sorted(touches[key])]
        for key in indexes
    }
    for doc in docs:
        own = sorted(touches[doc.path])
        if not own:
            continue
        born = own[0][0]
        events = {pos for pos, _ in own}
        events.update(pos for key in indexes for pos, _ in touches[key] if pos >= born)
        for position in sorted(events):
            pos_then, path_then = max(t for t in own if t[0] <= position)
            commit = at[position]
            result.changes.append(Change(
                ref=HEAD, path=doc.path, position=position, sha=commit.sha,
                committed_at=datetime.fromtimestamp(commit.time, UTC), subject=commit.subject,
                path_then=path_then, touched=pos_then == position,
                doc_status=statuses.get((at[pos_then].sha, path_then)),
                index_status=_listed_status(versions, position, path_then, doc),
            ))  # fmt: skip


def _touches(commits: list[_Commit], keys: list[str]) -> dict[str, list[tuple[int, str]]]:
    """For each file (by its HEAD path), the (position, path then) of the commits that
    changed it, following renames back to its addition."""
    by_path = {key: key for key in keys}  # its path at the point reached, going back
    touches: dict[str, list[tuple[int, str]]] = {key: [] for key in keys}
    for n, commit in enumerate(commits):  # newest first
        position = len(commits) - 1 - n
        for status, path, old in commit.entries:
            key = by_path.pop(path, None)
            if key is None:
                continue
            touches[key].append((position, path))
            # before a rename it had its old name; before its addition it did not exist
            if status == "R" and old is not None:
                by_path[old] = key
            elif status not in "AC":
                by_path[path] = key
    return touches


def _listed_status(
    versions: dict[str, list[tuple[int, list[Entry]]]], position: int, path: str, doc: Document
) -> str | None:
    """The status the index files in force at ``position`` give the document then at
    ``path``: by link or toctree entry, else by its number."""
    stem = path.rsplit(".", 1)[0]
    folder = str(PurePosixPath(path).parent)
    for key in sorted(versions):
        current = [entries for pos, entries in versions[key] if pos <= position]
        if not current:
            continue
        listed = current[-1]
        for entry in listed:
            if entry.target and entry.target.rstrip("/") in (path, stem, folder):
                return entry.status
        for entry in listed:
            if entry.target is None and entry.number is not None and entry.number == doc.number:
                return entry.status
    return None


# -- creation, for documents that do not say ----------------------------------------------
def _creation(repo: GitRepository, head: str, result: Scan, folders: list[str]) -> None:
    missing = [d for d in result.documents
               if d.ref == HEAD and (not d.facts.created or not d.facts.authors)]  # fmt: skip
    if not missing:
        return
    added: dict[str, list[tuple[int, _Commit, str | None]]] = {}
    for commit in _log(repo, ["--full-history", "--diff-filter=AR", head], folders):
        for status, path, old in commit.entries:
            added.setdefault(path, []).append((commit.time, commit, old if status == "R" else None))
    for doc in missing:
        origin = _origin(added, doc.path, None)
        if origin is None:
            continue
        if not doc.facts.created:
            doc.facts.created = origin.authored[:10]  # the author's own calendar day
            doc.created_source = "git"
        if not doc.facts.authors:
            doc.facts.authors = [parse_author(f"{origin.author} <{origin.email}>")]
            doc.authors_source = "git"


def _origin(
    added: dict[str, list[tuple[int, _Commit, str | None]]], path: str, before: int | None,
    depth: int = 0,
) -> _Commit | None:  # fmt: skip
    """The commit that first added ``path``; when it came by a rename, the latest addition
    of its old name before that rename."""
    found = [a for a in added.get(path, []) if before is None or a[0] <= before]
    if not found or depth > 20:
        return None
    time, commit, old = min(found, key=lambda a: a[0]) if before is None else max(
        found, key=lambda a: a[0])  # fmt: skip
    if old is None:
        return commit
    return _origin(added, old, time, depth + 1) or commit


# -- proposals only in pull requests ------------------------------------------------------
def _proposed(repo: GitRepository, head: str, result: Scan, patterns: tuple[str, ...]) -> None:
    fmt = "--format=%(objectname) %(committerdate:unix) %(refname)"
    out = run_git(repo.git_dir, "for-each-ref", fmt, "refs/pull")
    heads: dict[int, tuple[str, int]] = {}
    for line in out.splitlines():
        sha, stamp, ref = line.split(" ", 2)
        pull = _PULL_HEAD.match(ref)
        if pull and stamp.isdigit():
            heads[int(pull.group(1))] = (sha, int(stamp))
    if not heads:
        return
    reachable = set(run_git(repo.git_dir, "rev-list", head).split())
    pending = {n: v for n, v in heads.items() if v[0] not in reachable}
    if not pending:
        return
    added = _added_by(repo, head, [sha for sha, _ in pending.values()])
    candidates = {
        (n, path): m
        for n, (sha, _) in pending.items()
        for path in added.get(sha, [])
        if (m := match(path, patterns)) is not None
    }
    if not candidates:
        return
    paths = sorted({path for _, path in candidates})
    ever = set(_split(run_git(repo.git_dir, "log", "-z", "--name-only", "--format=", head,
                              "--", *paths)))  # fmt: skip
    wanted = [(pending[n][0], path) for (n, path) in candidates if path not in ever]
    texts = dict(_blobs(repo, wanted))
    for (n, path), fit in sorted(candidates.items(), key=lambda c: c[0]):
        sha, when = pending[n]
        text = texts.get((sha, path))
        if path in ever or text is None:
            continue
        doc = _document(f"refs/pull/{n}/head", path, fit, text, sha, n)
        if not doc.confirmed:  # HEAD's index lists HEAD's documents, not this one
            continue
        result.documents.append(doc)
        result.changes.append(Change(
            ref=doc.ref, path=path, position=0, sha=sha,
            committed_at=datetime.fromtimestamp(when, UTC), subject=f"pull request #{n}",
            path_then=path, touched=True, doc_status=doc.facts.status, index_status=None,
        ))  # fmt: skip


def _added_by(repo: GitRepository, head: str, shas: list[str]) -> dict[str, list[str]]:
    """For each commit in ``shas``, the files it has that ``head`` lacks (one diff-tree)."""
    proc = subprocess.run(
        [git_executable(), "--git-dir", str(repo.git_dir), "diff-tree", "--stdin", "-r", "-z",
         "--no-renames", "--name-status", "--diff-filter=A"],
        input="".join(f"{sha} {head}\n" for sha in shas).encode(),
        capture_output=True, check=False,
    )  # fmt: skip
    found: dict[str, list[str]] = {}
    current = None
    tokens = proc.stdout.decode("utf-8", "replace").split("\0")
    i = 0
    while i < len(tokens):
        token = tokens[i].strip()
        if token == "A" and current is not None and i + 1 < len(tokens):
            found[current].append(tokens[i + 1])
            i += 2
            continue
        if re.fullmatch(r"[0-9a-f]{40}(?:[0-9a-f]{24})?", token):
            current = token
            found.setdefault(current, [])
        i += 1
    return found


# -- git plumbing ---------------------------------------------------------------------------
def _head(repo: GitRepository) -> str:
    return run_git(
        repo.git_dir, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False
    ).strip()


def _split(out: str) -> list[str]:
    return [p for p in out.split("\0") if p]


def _blobs(
    repo: GitRepository, wanted: Iterable[tuple[str, str]]
) -> Iterator[tuple[tuple[str, str], str | None]]:
    """(commit, path) -> the file's text (None if absent), streamed from one
    ``git cat-file --batch``: versions are parsed as they come, never all held at once."""
    wanted = list(dict.fromkeys(wanted))
    if not wanted:
        return
    proc = subprocess.Popen(
        # --buffer: git flushes once its buffer is full, not after every object
        [git_executable(), "--git-dir", str(repo.git_dir), "cat-file", "--batch", "--buffer"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None

    def feed() -> None:
        assert proc.stdin is not None
        try:
            for sha, path in wanted:
                proc.stdin.write(f"{sha}:{path}\n".encode())
        except BrokenPipeError:
            pass
        finally:
            proc.stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        for key in wanted:
            line = proc.stdout.readline().decode("utf-8", "replace").rstrip("\n")
            parts = line.split(" ")
            if len(parts) == 3 and parts[1] == "blob":
                data = proc.stdout.read(int(parts[2]))
                proc.stdout.read(1)  # the newline after each object
                yield key, data.decode("utf-8", "replace")
            elif len(parts) == 3 and parts[2].isdigit():  # a tree or commit: skip its bytes
                proc.stdout.read(int(parts[2]) + 1)
                yield key, None
            else:
                yield key, None
    finally:
        proc.stdout.close()
        proc.wait()
        writer.join()
