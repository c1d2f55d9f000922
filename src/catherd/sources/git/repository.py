"""Locate, mirror and read one git repository: what catherd ingests and from which refs.

A *location* is what a user typed: a working tree, a bare repository, a ``.bundle`` file or
a URL. Working trees and bare repositories are read in place; bundles and URLs are mirrored
into a cache folder first (``git clone --mirror``) and fetched again on each sync, so that
pull-request refs (``refs/pull/N/head``) come along.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast

from catherd.errors import InputError, SourceError
from catherd.sources.git.versions import tag_version

_MISSING_OBJECT = re.compile(r"unable to read|bad object|missing (blob|tree|object)|not our ref")
_URL = re.compile(r"^(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")
_PULL_HEAD = re.compile(r"^refs/pull/(\d+)/head$")


class GitLogError(SourceError):
    """One ``git log`` process failed; ``index`` says which of the commands it was."""

    def __init__(self, message: str, index: int, stderr: str) -> None:
        super().__init__(message)
        self.index = index
        self.stderr = stderr

    @property
    def missing_object(self) -> bool:
        """True when git stopped because this copy lacks an object (a blob left out)."""
        return bool(_MISSING_OBJECT.search(self.stderr))


def git_executable() -> str:
    found = shutil.which("git")
    if not found:
        raise SourceError("git executable not found on PATH: install git to ingest repositories")
    return found


def run_git(git_dir: Path | str, *args: str, check: bool = True) -> str:
    """Run one git command in ``git_dir`` and return its stdout (UTF-8, replaced on error)."""
    proc = subprocess.run(
        [git_executable(), "--git-dir", str(git_dir), *args],
        capture_output=True,
        check=False,
    )
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SourceError(f"git {args[0]} failed in {git_dir}: {message[-1] if message else ''}")
    return proc.stdout.decode("utf-8", "replace")


def is_url(location: str) -> bool:
    return bool(_URL.match(location))


def default_name(location: str) -> str:
    """A short repository name from a location: the last path part without .git/.bundle."""
    tail = location.rstrip("/").replace(":", "/").split("/")
    name = tail[-1] or "repository"
    for suffix in (".git", ".bundle"):
        name = name.removesuffix(suffix)
    if name in {"", "."}:
        name = Path(location).resolve().name
    return name


@dataclass(frozen=True)
class Tag:
    name: str
    sha: str  # the commit it points at
    tagged_at: datetime
    tagger_name: str | None
    tagger_email: str | None


@dataclass(frozen=True)
class GitRepository:
    """A git directory ready to be read, and how it was obtained."""

    location: str
    git_dir: Path
    kind: str  # "worktree", "bare", "bundle" or "url"
    work_tree: Path | None = None

    def mailmap_fingerprint(self, extra_file: str | None) -> str:
        """A digest of the mailmap git applies here, to notice when it changes."""
        digest = hashlib.sha1()
        if self.work_tree is not None:
            own = self.work_tree / ".mailmap"
            digest.update(own.read_bytes() if own.is_file() else b"")
        else:
            digest.update(
                run_git(
                    self.git_dir, "rev-parse", "-q", "--verify", "HEAD:.mailmap", check=False
                ).encode()
            )
        if extra_file:
            try:
                digest.update(Path(extra_file).read_bytes())
            except OSError as exc:
                message = f"{extra_file}: cannot read the mailmap file: {exc.strerror}"
                raise InputError(message) from None
        return digest.hexdigest()

    # -- refs -----------------------------------------------------------------------------
    def tips(self, all_branches: bool, tags: list[Tag] | None = None) -> dict[str, str]:
        """The refs catherd follows, mapped to the commit each points at.

        The default branch (or every branch), and every version tag whatever the branches:
        releases are often cut on maintenance branches nobody follows, and their commits
        are what release credits are made of.
        """
        tips = {
            f"refs/tags/{tag.name}": tag.sha
            for tag in (self.tags() if tags is None else tags)
            if tag_version(tag.name)
        }
        if not all_branches:
            sha = run_git(
                self.git_dir, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False
            ).strip()
            if not sha:
                return tips
            branch = run_git(self.git_dir, "symbolic-ref", "-q", "HEAD", check=False).strip()
            return {branch or "HEAD": sha, **tips}
        out = run_git(
            self.git_dir,
            "for-each-ref",
            "--format=%(objectname) %(objecttype) %(refname)",
            "refs/heads",
            "refs/remotes",
        )
        for line in out.splitlines():
            sha, kind, ref = line.split(" ", 2)
            if kind == "commit" and not ref.endswith("/HEAD"):
                tips[ref] = sha
        return tips

    def shallow_boundary(self) -> set[str]:
        """The commits a shallow clone stops at (their parents are missing): empty if complete."""
        path = self.git_dir / "shallow"
        return set(path.read_text().split()) if path.is_file() else set()

    def check_mailmap(
        self, contacts: list[str], mailmap_file: str | None = None, revision: str | None = None
    ) -> list[str]:
        """``Name <email>`` contacts as the mailmap maps them (``git check-mailmap``), in order.

        The same mailmap as ``git log`` applies: the working tree's ``.mailmap``, a bare
        repository's ``HEAD:.mailmap``, and ``mailmap_file`` on top; with ``revision``, the
        ``.mailmap`` of that revision instead (as it was when a release was tagged).
        """
        if not contacts:
            return []
        if revision is None:
            command, cwd = self._mailmapped(mailmap_file), None
        else:  # run outside any working tree, so that no current .mailmap file is read
            command = [git_executable(), "--git-dir", str(self.git_dir.resolve())]
            command += ["-c", f"mailmap.blob={revision}:.mailmap"]
            command += ["-c", f"mailmap.file={mailmap_file}"] if mailmap_file else []
            cwd = self.git_dir
        proc = subprocess.run(
            [*command, "check-mailmap", "--stdin"],
            input="".join(f"{contact}\n" for contact in contacts).encode(),
            capture_output=True,
            check=False,
            cwd=cwd,
        )
        mapped = proc.stdout.decode("utf-8", "replace").splitlines()
        if proc.returncode != 0 or len(mapped) != len(contacts):
            message = proc.stderr.decode("utf-8", "replace").strip()
            raise SourceError(f"git check-mailmap failed in {self.location}: {message}")
        return mapped

    def tags(self) -> list[Tag]:
        """Every tag pointing (maybe through annotated tags) at a commit: releases, mostly.

        An annotated tag gives its tagger and date; a lightweight one its commit's committer
        date and no tagger.
        """
        fields = ("%(refname:strip=2)", "%(objecttype)", "%(objectname)", "%(*objectname)",
                  "%(*objecttype)", "%(creatordate:iso-strict)", "%(taggername)",
                  "%(taggeremail:trim)")  # fmt: skip
        out = run_git(self.git_dir, "for-each-ref", "--format=" + "%00".join(fields), "refs/tags")
        found = []
        for line in out.splitlines():
            name, kind, sha, peeled, peeled_kind, when, tagger, address = line.split("\0")
            target = sha if kind == "commit" else peeled if peeled_kind == "commit" else ""
            if target and when:
                found.append(Tag(name, target, datetime.fromisoformat(when),
                                 tagger or None, address.lower() or None))  # fmt: skip
        return found

    def default_branch(self) -> str | None:
        ref = run_git(self.git_dir, "symbolic-ref", "-q", "HEAD", check=False).strip()
        return ref.removeprefix("refs/heads/") or None

    def pull_request_heads(self) -> dict[str, int]:
        """Commit hash -> pull-request number, from GitHub's ``refs/pull/N/head`` refs."""
        out = run_git(
            self.git_dir, "for-each-ref", "--format=%(objectname) %(refname)", "refs/pull"
        )
        heads: dict[str, int] = {}
        for line in out.splitlines():
            sha, ref = line.split(" ", 1)
            found = _PULL_HEAD.match(ref)
            if found:
                # The lowest number wins when one commit heads several PRs: it was first.
                number = int(found.group(1))
                heads[sha] = min(number, heads.get(sha, number))
        return heads

    def has_commit(self, sha: str) -> bool:
        proc = subprocess.run(
            [
                git_executable(),
                "--git-dir",
                str(self.git_dir),
                "cat-file",
                "-e",
                f"{sha}^{{commit}}",
            ],
            capture_output=True,
            check=False,
        )
        return proc.returncode == 0

    def is_ancestor(self, older: str, newer: str) -> bool:
        """True if ``older`` is ``newer`` or one of its ancestors."""
        proc = subprocess.run(
            [git_executable(), "--git-dir", str(self.git_dir), "merge-base", "--is-ancestor",
             older, newer],
            capture_output=True,
            check=False,
        )  # fmt: skip
        return proc.returncode == 0

    def rev_list(self, include: Sequence[str], exclude: Sequence[str] = ()) -> set[str]:
        return {sha for _, sha in self.dated_commits(include, exclude)}

    def dated_commits(
        self, include: Sequence[str], exclude: Sequence[str] = (), first_parent: bool = False
    ) -> list[tuple[int, str]]:
        """(commit time, hash) of the commits reachable from ``include`` but not ``exclude``."""
        if not include:
            return []
        args = ["rev-list", "--timestamp", *(["--first-parent"] if first_parent else [])]
        out = run_git(self.git_dir, *args, *include, *(f"^{sha}" for sha in exclude), "--")
        return [(int(ts), sha) for ts, sha in (line.split() for line in out.splitlines())]

    def _mailmapped(self, mailmap_file: str | None) -> list[str]:
        """A git command line that applies the repository's mailmap, plus ``mailmap_file``.

        git reads a working tree's ``.mailmap`` relative to where it runs: run it there. A
        bare repository's ``HEAD:.mailmap`` is read by default only when git knows it is bare
        (``core.bare``), which copies made by other tools do not always say: name it.
        """
        if self.work_tree is not None:
            command = [git_executable(), "-C", str(self.work_tree)]
        else:
            command = [git_executable(), "--git-dir", str(self.git_dir)]
            command += ["-c", "mailmap.blob=HEAD:.mailmap"]
        if mailmap_file:
            command += ["-c", f"mailmap.file={mailmap_file}"]
        return command

    # -- the log stream -------------------------------------------------------------------
    def log_command(
        self,
        include: Sequence[str],
        exclude: Sequence[str],
        fmt: str,
        mailmap_file: str | None = None,
        numstat: bool = True,
    ) -> list[str]:
        """One ``git log`` over ``include`` minus ``exclude``, NUL-separated, in ``fmt``."""
        command = self._mailmapped(mailmap_file)
        command += ["-c", "core.quotepath=off", "-c", "log.showSignature=false", "log", "-z"]
        if numstat:
            command += ["--numstat", "--find-renames"]
        if not include:  # the commits to show come on stdin, in that order, each alone
            command += ["--no-walk=unsorted", "--stdin"]
        command += [
            "--no-color",
            "--no-abbrev-commit",
            f"--format={fmt}",
            *include,
            *(f"^{sha}" for sha in exclude),
            "--",
        ]
        return command

    def stream_log(
        self, command: list[str], chunk_size: int = 1 << 20, stdin: bytes | None = None
    ) -> Iterator[bytes]:
        """Yield the stdout of one ``git log`` process; raise ``GitLogError`` if it fails."""
        for _, chunk in self.stream_logs([command], chunk_size, stdin=stdin):
            if chunk is not None:
                yield chunk

    def stream_logs(
        self,
        commands: list[list[str]],
        chunk_size: int = 1 << 20,
        at_once: int = 1,
        stdin: bytes | None = None,
    ) -> Iterator[tuple[int, bytes | None]]:
        """Run ``git log`` processes, ``at_once`` at a time; yield (command index, chunk).

        ``None`` as the chunk says that command's output is complete.

        A thread per process drains its pipe into one queue, so that no git process ever
        waits while the consumer is busy loading a batch: git's own pace is the floor of
        an ingest, and several processes use several cores. A finished process makes room
        for the next command, so unequal ranges still keep every core busy.
        """
        chunks: queue.Queue[tuple[int, bytes | None]] = queue.Queue(maxsize=64)
        procs: list[subprocess.Popen[bytes]] = []
        readers: list[threading.Thread] = []

        def drain(index: int, stdout: io.BufferedReader) -> None:
            try:
                while chunk := stdout.read1(chunk_size):
                    chunks.put((index, chunk))
            finally:
                chunks.put((index, None))

        with contextlib.ExitStack() as stack:
            errors = [stack.enter_context(tempfile.TemporaryFile()) for _ in commands]

            def start(index: int) -> None:
                proc = subprocess.Popen(
                    commands[index],
                    stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=errors[index],
                )
                procs.append(proc)
                if stdin is not None and proc.stdin is not None:
                    # git reads all of --stdin before it writes, so this cannot deadlock
                    with contextlib.suppress(BrokenPipeError):
                        proc.stdin.write(stdin)
                    proc.stdin.close()
                stdout = cast(io.BufferedReader, proc.stdout)
                reader = threading.Thread(target=drain, args=(index, stdout), daemon=True)
                readers.append(reader)
                reader.start()

            try:
                for index in range(min(at_once, len(commands))):
                    start(index)
                finished = 0
                while finished < len(commands):
                    index, chunk = chunks.get()
                    if chunk is not None:
                        yield index, chunk
                        continue
                    finished += 1
                    code = procs[index].wait()
                    if code != 0:
                        errors[index].seek(0)
                        text = errors[index].read().decode("utf-8", "replace").strip()
                        message = f"git log failed in {self.location}: {text or f'exit {code}'}"
                        raise GitLogError(message, index, text)
                    if len(procs) < len(commands):
                        start(len(procs))
                    yield index, None
            finally:
                for proc in procs:
                    if proc.poll() is None:
                        proc.kill()
                while any(reader.is_alive() for reader in readers):  # unblock full-queue puts
                    with contextlib.suppress(queue.Empty):
                        chunks.get(timeout=0.05)
                for proc in procs:
                    cast(io.BufferedReader, proc.stdout).close()
                    proc.wait()


def open_repository(location: str, cache_dir: Path) -> GitRepository:
    """Resolve a location to a readable git directory, mirroring bundles and URLs."""
    git_executable()
    if is_url(location):
        return _mirror(location, "url", cache_dir)
    path = Path(location).expanduser()
    if not path.exists():
        raise InputError(f"{location}: no such file or directory")
    if path.is_file():
        if not _is_bundle(path):
            raise InputError(f"{location}: not a git bundle (and files are not repositories)")
        return _mirror(str(path.resolve()), "bundle", cache_dir)
    proc = subprocess.run(
        [
            git_executable(),
            "-C",
            str(path),
            "rev-parse",
            "--is-bare-repository",
            "--absolute-git-dir",
        ],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise InputError(f"{location}: not a git repository")
    bare, git_dir = proc.stdout.decode().split("\n")[:2]
    if bare == "true":
        return GitRepository(str(path.resolve()), Path(git_dir), "bare")
    top = (
        subprocess.run(
            [git_executable(), "-C", str(path), "rev-parse", "--show-toplevel"],
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    return GitRepository(str(path.resolve()), Path(git_dir), "worktree", Path(top))


def _is_bundle(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(16) in (b"# v2 git bundle\n", b"# v3 git bundle\n")


def _mirror(source: str, kind: str, cache_dir: Path) -> GitRepository:
    key = hashlib.sha1(source.encode()).hexdigest()[:10]
    # absolute: the path is stored, and read again from wherever a later command runs
    target = cache_dir.resolve() / f"{default_name(source)}-{key}.git"
    if target.exists():
        _git_checked(["--git-dir", str(target), "fetch", "--prune", "--quiet", "origin"], source)
    else:
        cache_dir.mkdir(parents=True, exist_ok=True)
        # Clone beside the target and rename, so an interrupted clone never looks complete.
        partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=cache_dir))
        try:
            _git_checked(
                ["clone", "--mirror", "--quiet", source, str(partial / "repo.git")], source
            )
            os.replace(partial / "repo.git", target)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    return GitRepository(source, target, kind)


def _git_checked(args: list[str], source: str) -> None:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    proc = subprocess.run([git_executable(), *args], capture_output=True, env=env, check=False)
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SourceError(
            f"{source}: git {args[0]} failed: {lines[-1] if lines else 'unknown error'}"
        )
